// Replays a ledger's entries in order and checks that every one of them balances: mints are
// signed by the pool, escrows match the policy of the day, and each task's settlement is exactly
// what PoCo's rules give for its recorded votes. `gpoc ledger verify` and the simulation both use
// it, so the books an auditor rebuilds are the books the engine kept.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/verifier/records.hpp"

namespace gpoc::verifier {

class Replay {
 public:
  explicit Replay(PublicKey pool_id) : pool_(pool_id) {}

  // Checks one entry and applies what it moved; an error names what does not add up. Entry
  // kinds that move no value are accepted as they are.
  Status apply(std::string_view kind, ByteView body);
  // Applies moves another rule book checked (an SLA entry's), all or nothing.
  Status transfer(const std::vector<Move>& moves);

  const Accounts& accounts() const { return accounts_; }
  const std::map<PublicKey, std::uint64_t>& scores() const { return scores_; }
  const std::optional<Policy>& policy() const { return policy_; }
  std::size_t open_tasks() const { return open_.size(); }
  std::uint64_t commits() const { return commits_; }
  std::uint64_t failures() const { return failures_; }

 private:
  Status apply_record(const TaskRecord& r);

  PublicKey pool_;
  Accounts accounts_;
  std::map<PublicKey, std::uint64_t> scores_;
  std::optional<Policy> policy_;
  std::map<TaskId, AcceptRecord> open_;  // escrowed, not yet settled
  std::uint64_t commits_ = 0, failures_ = 0;
};

}  // namespace gpoc::verifier
