#include "gpoc/verifier/consensus.hpp"

#include <algorithm>
#include <bit>

namespace gpoc::verifier {

Weight sat_mul(Weight a, Weight b) {
  if (a == 0 || b == 0) return 0;
  if (a > kWeightMax / b) return kWeightMax;
  return a * b;
}

Weight sat_add(Weight a, Weight b) { return a > kWeightMax - b ? kWeightMax : a + b; }

std::uint64_t weight_to_u64(Weight w) {
  return w > Weight{UINT64_MAX} ? UINT64_MAX : static_cast<std::uint64_t>(w);
}

std::uint64_t worker_weight(std::uint64_t score) {
  return std::max<std::uint64_t>(score / 3, 3) - 1;
}

std::uint32_t weight_log2(std::uint64_t w) {
  return w == 0 ? 0 : static_cast<std::uint32_t>(std::bit_width(w) - 1);
}

bool reaches_consensus(Weight group, Weight others, std::uint64_t trust) {
  if (trust <= 1) return group > 0;
  Weight bound = sat_mul(Weight{trust - 1}, sat_add(1, others));
  if (bound == kWeightMax) return false;  // cannot tell: never claim consensus
  return group > bound;
}

void Tally::add(const Digest32& result_hash, std::uint64_t weight) {
  auto [it, inserted] = groups_.try_emplace(result_hash);
  if (inserted) it->second.order = next_order_++;
  it->second.weight = sat_mul(it->second.weight, Weight{weight});
  ++it->second.members;
}

Weight Tally::group(const Digest32& result_hash) const {
  auto it = groups_.find(result_hash);
  return it == groups_.end() ? 0 : it->second.weight;
}

std::uint64_t Tally::members(const Digest32& result_hash) const {
  auto it = groups_.find(result_hash);
  return it == groups_.end() ? 0 : it->second.members;
}

Weight Tally::total() const {
  Weight t = 1;
  for (const auto& [h, g] : groups_) t = sat_add(t, g.weight);
  return t;
}

std::optional<Digest32> Tally::best() const {
  const std::pair<const Digest32, Group>* best = nullptr;
  for (const auto& entry : groups_) {
    if (best == nullptr || entry.second.weight > best->second.weight ||
        (entry.second.weight == best->second.weight && entry.second.order < best->second.order)) {
      best = &entry;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->first;
}

Weight Tally::others(const Digest32& result_hash) const {
  Weight sum = 0;
  for (const auto& [h, g] : groups_) {
    if (h != result_hash) sum = sat_add(sum, g.weight);
  }
  return sum;
}

bool needs_more_replicas(const Tally& tally, Weight pending_weight, std::size_t pending_count,
                         std::uint64_t trust) {
  auto best = tally.best();
  if (!best && pending_count == 0) return true;  // nothing contributed, nothing on the way
  Weight contributed_best = best ? tally.group(*best) : 1;
  Weight others = best ? tally.others(*best) : 0;
  return !reaches_consensus(sat_mul(contributed_best, pending_weight), others, trust);
}

}  // namespace gpoc::verifier
