// The CPU side of the kernel bodies: a plain loop over indices, and the result digest computed
// with the same bodies the GPU runs (the tests check it against gpoc::result_digest, which covers
// the GPU algorithm on machines without a GPU).
#pragma once

#include <cstdint>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc::kernels::detail {

template <typename Body>
void for_each_index(std::uint64_t count, const Body& body) {
  for (std::uint64_t i = 0; i < count; ++i) body(i);
}

// gpoc::result_digest evaluated level by level with MerkleLeafBody and MerkleLevelBody.
Digest32 result_digest_by_bodies(ByteView data);

}  // namespace gpoc::kernels::detail
