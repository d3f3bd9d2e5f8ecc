#include <utility>

#include "../kernel_bodies.hpp"
#include "device_memory.cuh"
#include "launch.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {

// Level by level, as result_digest_by_bodies does on the host: one launch for the leaves, one
// per level above them, ping-ponging between two buffers.
Result<Digest32> device_result_digest(const std::uint8_t* data, std::uint64_t bytes,
                                      cudaStream_t stream) {
  if (bytes == 0) return sha256(ByteView{});  // the empty tree: nothing on the device to hash
  std::uint64_t count = merkle_leaf_count(bytes);
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer level, DeviceBuffer::allocate(count * kSha256DigestBytes));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer next,
                        DeviceBuffer::allocate(merkle_parent_count(count) * kSha256DigestBytes));
  GPOC_RETURN_IF_ERROR(
      launch_for_each_index(count, MerkleLeafBody{data, bytes, level.data()}, stream));
  while (count > 1) {
    const std::uint64_t parents = merkle_parent_count(count);
    GPOC_RETURN_IF_ERROR(
        launch_for_each_index(parents, MerkleLevelBody{level.data(), count, next.data()}, stream));
    std::swap(level, next);
    count = parents;
  }
  Digest32 root{};
  GPOC_CUDA_TRY(
      cudaMemcpyAsync(root.data(), level.data(), root.size(), cudaMemcpyDeviceToHost, stream));
  GPOC_CUDA_TRY(cudaStreamSynchronize(stream));
  return root;
}

}  // namespace gpoc::kernels::detail
