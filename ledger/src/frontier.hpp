// The compact range (Merkle frontier) of an append-only list of leaf hashes: the roots of its
// perfect subtrees, largest first. Folding them from the right gives the RFC 6962 root, since
// RFC 6962 splits at the largest power of two below n, i.e. at the binary decomposition of n.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "gpoc/common/merkle.hpp"

namespace gpoc::ledger::detail {

class Frontier {
 public:
  void push(const Digest32& leaf) {
    nodes_.emplace_back(leaf, 1);
    while (nodes_.size() >= 2 && nodes_[nodes_.size() - 2].second == nodes_.back().second) {
      auto right = nodes_.back();
      nodes_.pop_back();
      nodes_.back().first = merkle_node_hash(nodes_.back().first, right.first);
      nodes_.back().second *= 2;
    }
    ++size_;
  }
  std::uint64_t size() const { return size_; }
  Digest32 root() const {
    if (nodes_.empty()) return sha256(ByteView{});
    Digest32 r = nodes_.back().first;
    for (std::size_t i = nodes_.size() - 1; i-- > 0;) r = merkle_node_hash(nodes_[i].first, r);
    return r;
  }

 private:
  std::vector<std::pair<Digest32, std::uint64_t>> nodes_;  // (subtree root, leaf count)
  std::uint64_t size_ = 0;
};

}  // namespace gpoc::ledger::detail
