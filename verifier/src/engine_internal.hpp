// Private state of the engine, shared by its source files.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "gpoc/common/hex.hpp"
#include "gpoc/verifier/engine.hpp"

namespace gpoc::verifier {

struct Engine::Replica {
  PublicKey worker{};
  PublicKey operator_key{};  // the worker's operator when it was assigned
  ReplicaPhase phase = ReplicaPhase::assigned;
  std::int64_t assigned_ms = 0;
  std::int64_t contributed_ms = 0;
  Bytes statement;
  Signature signature{};
  ContributionStatement contribution;
  std::uint64_t weight = 0;
  std::uint64_t score_at_contribution = 0;
  Outcome outcome = Outcome::pending;
  std::string note;
  bool has_vote = false;
  bool stake_held = false;  // the task's worker stake is reserved from this worker
  bool voted() const { return has_vote; }
};

struct Engine::Task {
  NewTask in;
  Escrow escrow;
  std::uint64_t order = 0;
  TaskPhase phase = TaskPhase::pending;
  std::vector<Replica> replicas;
  Tally tally;
  std::int64_t contribution_deadline_ms = 0, final_deadline_ms = 0, reveal_deadline_ms = 0;
  std::int64_t consensus_ms = 0;
  std::optional<Digest32> consensus_hash, digest;
  std::optional<PublicKey> uploader;
  std::set<PublicKey> upload_tried;
  std::int64_t upload_requested_ms = 0;
  std::int64_t reveal_asked_ms = 0;  // when the winners were last asked to reveal
  bool uploaded = false;
  std::uint64_t output_bytes = 0;
  std::string exec_class;  // pinned for class-bound kernels by the first replica
  // Certificates (NewTask::certifiable): one replica at a time while `certify_alone`; the output
  // waits for the verdict while `certificate_pending`; results that failed are `refuted`.
  bool certify_alone = false;
  bool certificate_pending = false;
  std::set<Digest32> refuted;  // result hashes
  std::optional<CertificateRecord> certificate;

  Replica* replica_of(const PublicKey& w) {
    for (auto& r : replicas) {
      if (r.worker == w) return &r;
    }
    return nullptr;
  }
  bool is_winner(const Replica& r) const {
    return consensus_hash && r.voted() && r.contribution.result_hash == *consensus_hash;
  }
};

struct Engine::Worker {
  PublicKey key{};
  PublicKey operator_key{};
  std::string exec_class;
  std::uint32_t slots = 1;
  std::set<std::string> kernels;
  bool alive = false;
  std::uint32_t running = 0;
  std::uint64_t assigned_total = 0;
  std::int64_t last_seen_ms = 0;
};

}  // namespace gpoc::verifier
