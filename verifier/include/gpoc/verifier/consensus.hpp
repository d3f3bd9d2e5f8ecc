// The Proof-of-Contribution consensus algebra (iExec PoCo), in integer arithmetic only.
//   worker weight   w = max(floor(score / 3), 3) - 1         (a new worker weighs 2)
//   group weight    W = product of its contributors' weights
//   total           1 + sum of every group's weight
//   consensus on g  W(g) * trust > total * (trust - 1)  <=>  W(g) > (trust - 1) * (1 + D)
// where D is the sum of the other groups' weights. Products grow exponentially, so weights are
// 128-bit and saturate; two saturated sides never compare as consensus (the safe answer).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "gpoc/common/sha256.hpp"

namespace gpoc::verifier {

__extension__ using Weight = unsigned __int128;
inline constexpr Weight kWeightMax = ~Weight{0};

Weight sat_mul(Weight a, Weight b);
Weight sat_add(Weight a, Weight b);
// Clamps to u64 for display and the wire.
std::uint64_t weight_to_u64(Weight w);

std::uint64_t worker_weight(std::uint64_t score);
// floor(log2(w)) for w >= 1: the share a winner's reward is split by.
std::uint32_t weight_log2(std::uint64_t w);

// Score updates: +1 for a correct contribution to a replicated task, floor(2s/3) for a wrong or
// unrevealed one.
inline std::uint64_t score_after_win(std::uint64_t s, bool replicated) {
  return replicated ? s + 1 : s;
}
inline std::uint64_t score_after_loss(std::uint64_t s) { return s * 2 / 3; }

// W > (trust - 1) * (1 + others), saturating.
bool reaches_consensus(Weight group, Weight others, std::uint64_t trust);

// The contributions of one task grouped by result hash.
class Tally {
 public:
  void add(const Digest32& result_hash, std::uint64_t weight);
  Weight group(const Digest32& result_hash) const;
  std::uint64_t members(const Digest32& result_hash) const;
  Weight total() const;  // 1 + sum of groups
  // The heaviest group (ties: the earliest to reach that weight wins).
  std::optional<Digest32> best() const;
  Weight others(const Digest32& result_hash) const;  // sum of the other groups
  std::size_t group_count() const { return groups_.size(); }

 private:
  struct Group {
    Weight weight = 1;
    std::uint64_t members = 0;
    std::uint64_t order = 0;  // when the group was created, for tie-breaking
  };
  std::map<Digest32, Group> groups_;
  std::uint64_t next_order_ = 0;
};

// iexec-core's dispatch prediction: true while consensus would not be reached even if every
// pending replica agreed with the current best group.
// `pending_weight` is the product of the pending replicas' weights (1 when there are none).
bool needs_more_replicas(const Tally& tally, Weight pending_weight, std::size_t pending_count,
                         std::uint64_t trust);

}  // namespace gpoc::verifier
