// RFC 6962 Merkle Tree Hash with SHA-256: the result digest replicas vote on, and the tree head of
// the ledger. leaf = SHA-256(0x00 || chunk), node = SHA-256(0x01 || left || right), split at the
// largest power of two strictly below n; the empty tree hashes as SHA-256("").
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc {

inline constexpr std::size_t kDigestLeafBytes = 4096;

Digest32 merkle_leaf_hash(ByteView chunk);
Digest32 merkle_node_hash(const Digest32& left, const Digest32& right);
// Root over already-hashed leaves (RFC 6962 MTH with leaf hashes given).
Digest32 merkle_root_of_leaves(const std::vector<Digest32>& leaf_hashes);
// The result digest: output split into kDigestLeafBytes chunks (the last may be shorter).
Digest32 result_digest(ByteView output);
inline std::size_t result_digest_leaf_count(std::size_t bytes) {
  return (bytes + kDigestLeafBytes - 1) / kDigestLeafBytes;
}

// RFC 6962 audit path for leaf `index` of `leaf_hashes`, and its check (RFC 9162 2.1.3.2).
std::vector<Digest32> merkle_inclusion_proof(const std::vector<Digest32>& leaf_hashes,
                                             std::size_t index);
bool merkle_verify_inclusion(const Digest32& leaf_hash, std::size_t index, std::size_t tree_size,
                             const std::vector<Digest32>& proof, const Digest32& root);

}  // namespace gpoc
