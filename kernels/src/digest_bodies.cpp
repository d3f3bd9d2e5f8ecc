// The host run of the device digest algorithm. The CPU backend itself digests with OpenSSL
// (faster, SHA-NI); this exists so that the level-by-level tree the GPU builds is checked against
// gpoc::result_digest on every machine, GPU or not.
#include <algorithm>
#include <utility>
#include <vector>

#include "host_loop.hpp"
#include "kernel_bodies.hpp"
#include "task.hpp"

namespace gpoc::kernels::detail {

Digest32 result_digest_by_bodies(ByteView data) {
  if (data.empty()) return sha256(ByteView{});
  std::uint64_t count = merkle_leaf_count(data.size());
  std::vector<std::uint8_t> level(count * kSha256DigestBytes, kPoisonByte);
  std::vector<std::uint8_t> next(merkle_parent_count(count) * kSha256DigestBytes, kPoisonByte);
  for_each_index(count, MerkleLeafBody{data.data(), data.size(), level.data()});
  while (count > 1) {
    const std::uint64_t parents = merkle_parent_count(count);
    for_each_index(parents, MerkleLevelBody{level.data(), count, next.data()});
    std::swap(level, next);
    count = parents;
  }
  Digest32 root{};
  std::copy(level.begin(), level.begin() + kSha256DigestBytes, root.begin());
  return root;
}

}  // namespace gpoc::kernels::detail
