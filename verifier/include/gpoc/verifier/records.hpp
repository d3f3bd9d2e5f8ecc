// What the ledger keeps of a finished task: the body of a "task.commit" or "task.fail" entry.
// Fixed little-endian layout (docs/PROTOCOL.md, "Ledger records"), so an auditor can re-check every
// signature in it without trusting the scheduler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/common/value.hpp"

namespace gpoc::verifier {

inline constexpr std::string_view kCommitKind = "task.commit";
inline constexpr std::string_view kFailKind = "task.fail";
// v3 is v2 followed by a certificate section; a record with nothing to say about certificates is
// still written as v2, so its bytes are what they were before certificates.
inline constexpr std::string_view kRecordTagV2 = "gpoc.record.v2";
inline constexpr std::string_view kRecordTag = "gpoc.record.v3";

enum class Outcome : std::uint8_t {
  winner = 1,              // voted with the consensus and revealed it
  wrong_vote = 2,          // voted for another result
  unrevealed = 3,          // voted with the consensus but never revealed
  bad_reveal = 4,          // revealed a digest that did not match its own vote or seal
  pending = 5,             // the task failed before this vote was judged
  failed_certificate = 6,  // voted for a result whose output failed the kernel's certificate
};
std::string_view outcome_name(Outcome o);

struct ContributionRecord {
  PublicKey worker{};
  Bytes statement;  // ContributionStatement bytes exactly as signed
  Signature signature{};
  std::uint64_t weight = 0;
  std::uint64_t score_before = 0;
  std::uint64_t score_after = 0;
  Outcome outcome = Outcome::pending;
  bool operator==(const ContributionRecord&) const = default;
};

// A kernel's certificate that the scheduler ran on the committed output
// (kernels/certificate.hpp): an auditor re-runs it with the same seed on the stored input and
// output. bound_bits: a wrong output passes with probability at most 2^-bound_bits.
struct CertificateRecord {
  std::string method;  // e.g. "sorted+fingerprint", "freivalds"
  std::uint32_t rounds = 0;
  std::uint32_t bound_bits = 0;
  Digest32 seed{};  // drawn by the scheduler after the output was fixed
  // True when the votes alone did not reach the task's trust and the certificate did
  // (2^-bound_bits <= 1/trust); false when it confirmed a result the votes had agreed on.
  bool decisive = false;
  bool operator==(const CertificateRecord&) const = default;
};

// The bits of certainty trust T asks for: the smallest b with 2^b >= T (0 for T <= 1). A
// certificate with bound_bits >= trust_bits(T) has ε <= 1/T, enough for trust T on its own.
std::uint32_t trust_bits(std::uint64_t trust);

struct TaskRecord {
  TaskId task_id{};
  bool completed = false;
  Bytes spec;  // task spec bytes as signed by the requester
  Signature requester_signature{};
  Digest32 digest{};  // the agreed result digest (completed only)
  std::uint64_t output_bytes = 0;
  std::string reason;  // why it failed (failed only)
  std::int64_t submitted_ms = 0;
  std::int64_t consensus_ms = 0;
  std::int64_t finished_ms = 0;
  std::vector<ContributionRecord> contributions;
  // The escrow made at submission (entry "task.accept") and the moves that settled it.
  Amount price = 0;
  Amount scheduler_stake = 0;
  Amount worker_stake = 0;
  std::vector<Move> moves;
  std::optional<CertificateRecord> certificate;  // completed only; v3 records
  bool operator==(const TaskRecord&) const = default;
};

// ---- the other entries that move value ---------------------------------------------------------
inline constexpr std::string_view kAcceptKind = "task.accept";
inline constexpr std::string_view kMintKind = "account.mint";
inline constexpr std::string_view kPolicyKind = "pool.policy";

// "task.accept": the escrow made when a task was accepted.
struct AcceptRecord {
  TaskId task_id{};
  PublicKey requester{};
  std::uint32_t category = 0;
  Amount price = 0;
  Amount scheduler_stake = 0;
  Amount worker_stake = 0;
  std::vector<Move> moves;
  bool operator==(const AcceptRecord&) const = default;
  Escrow escrow(const PublicKey& pool) const {
    return Escrow{task_id, requester, pool, price, scheduler_stake, worker_stake};
  }
};
inline constexpr std::string_view kAcceptTag = "gpoc.accept.v1";
Bytes encode_accept_record(const AcceptRecord& r);
Result<AcceptRecord> decode_accept_record(ByteView bytes);

// "account.mint": the operator's signed statement, kept whole.
struct MintRecord {
  Bytes statement;  // MintStatement bytes exactly as signed
  Signature signature{};
  bool operator==(const MintRecord&) const = default;
};
Bytes encode_mint_record(const MintRecord& r);
Result<MintRecord> decode_mint_record(ByteView bytes);

// The moves an entry made, for any kind (none for kinds that move no value).
Result<std::vector<Move>> entry_moves(std::string_view kind, ByteView body);
// The task an entry is about, if it is a task entry.
std::optional<TaskId> entry_task(std::string_view kind, ByteView body);

Bytes encode_task_record(const TaskRecord& r);
Result<TaskRecord> decode_task_record(ByteView bytes);
// Re-checks what a record claims: its task id is the hash of its spec, the requester and every
// contributor signed what is stored, every winner's vote and seal match the digest, and a
// certificate is only on a completed task and, when it decided the task, strong enough for its
// trust. (Re-running the certificate needs the input and output: `gpoc ledger verify` does it.)
Status audit_task_record(const TaskRecord& r, const PublicKey& pool_id);

}  // namespace gpoc::verifier
