#include "gpoc/common/merkle.hpp"

#include <cassert>

namespace gpoc {

Digest32 merkle_leaf_hash(ByteView chunk) {
  static constexpr std::uint8_t kLeafPrefix = 0x00;
  return sha256_concat({ByteView(&kLeafPrefix, 1), chunk});
}

Digest32 merkle_node_hash(const Digest32& left, const Digest32& right) {
  static constexpr std::uint8_t kNodePrefix = 0x01;
  return sha256_concat({ByteView(&kNodePrefix, 1), ByteView(left), ByteView(right)});
}

// Largest power of two strictly below n (n >= 2).
static std::size_t split_point(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Bottom-up evaluation gives the same tree as RFC 6962's recursive split: pair adjacent hashes
// level by level and carry an odd last node up unchanged.
Digest32 merkle_root_of_leaves(const std::vector<Digest32>& leaf_hashes) {
  if (leaf_hashes.empty()) return sha256(ByteView{});
  std::vector<Digest32> level = leaf_hashes;
  while (level.size() > 1) {
    std::size_t out = 0;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      level[out++] = merkle_node_hash(level[i], level[i + 1]);
    }
    if (level.size() % 2 == 1) level[out++] = level.back();
    level.resize(out);
  }
  return level[0];
}

Digest32 result_digest(ByteView output) {
  if (output.empty()) return sha256(ByteView{});
  std::vector<Digest32> leaves(result_digest_leaf_count(output.size()));
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    std::size_t off = i * kDigestLeafBytes;
    leaves[i] =
        merkle_leaf_hash(output.subspan(off, std::min(kDigestLeafBytes, output.size() - off)));
  }
  return merkle_root_of_leaves(leaves);
}

static Digest32 subtree_root(const std::vector<Digest32>& leaves, std::size_t begin,
                             std::size_t end) {
  if (end - begin == 1) return leaves[begin];
  std::size_t k = split_point(end - begin);
  return merkle_node_hash(subtree_root(leaves, begin, begin + k),
                          subtree_root(leaves, begin + k, end));
}

// RFC 6962 2.1.1 PATH(m, D[n]).
static void audit_path(const std::vector<Digest32>& leaves, std::size_t begin, std::size_t end,
                       std::size_t m, std::vector<Digest32>& out) {
  std::size_t n = end - begin;
  if (n <= 1) return;
  std::size_t k = split_point(n);
  if (m < k) {
    audit_path(leaves, begin, begin + k, m, out);
    out.push_back(subtree_root(leaves, begin + k, end));
  } else {
    audit_path(leaves, begin + k, end, m - k, out);
    out.push_back(subtree_root(leaves, begin, begin + k));
  }
}

std::vector<Digest32> merkle_inclusion_proof(const std::vector<Digest32>& leaf_hashes,
                                             std::size_t index) {
  assert(index < leaf_hashes.size());
  std::vector<Digest32> proof;
  audit_path(leaf_hashes, 0, leaf_hashes.size(), index, proof);
  return proof;
}

bool merkle_verify_inclusion(const Digest32& leaf_hash, std::size_t index, std::size_t tree_size,
                             const std::vector<Digest32>& proof, const Digest32& root) {
  if (index >= tree_size) return false;
  std::size_t fn = index;
  std::size_t sn = tree_size - 1;
  Digest32 r = leaf_hash;
  for (const Digest32& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = merkle_node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace gpoc
