// mc_option v1 on the device: the bodies of mc_option_body.hpp in the order the CPU backend runs
// them (mc_option.cpp), one launch per step, so the reduction tree and therefore the bits are the
// same. Only the thread layout differs, and the bodies do not depend on it.
#include <algorithm>
#include <utility>

#include "../mc_option_body.hpp"
#include "device_memory.cuh"
#include "launch.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {

Status launch_mc_option(const std::uint8_t* input, std::uint64_t input_bytes, std::uint64_t paths,
                        std::uint64_t seed, std::uint8_t* output, cudaStream_t stream) {
  const std::uint64_t options = input_bytes / kMcRecordBytes;
  if (options == 0) return ok_status();
  const std::uint64_t chunks = mc_chunk_count(paths);
  const std::uint64_t batch = mc_batch_options(options, paths);
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer chunk_level,
                        DeviceBuffer::allocate(batch * chunks * sizeof(McSums)));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer parent_level,
                        DeviceBuffer::allocate(batch * mc_parent_count(chunks) * sizeof(McSums)));
  for (std::uint64_t first = 0; first < options; first += batch) {
    const std::uint64_t count = std::min(batch, options - first);
    McSums* level = chunk_level.as<McSums>();
    McSums* next = parent_level.as<McSums>();
    GPOC_RETURN_IF_ERROR(launch_for_each_index(
        count * chunks, McChunkBody{input, first, chunks, paths, seed, level}, stream));
    for (std::uint64_t nodes = chunks; nodes > 1; nodes = mc_parent_count(nodes)) {
      GPOC_RETURN_IF_ERROR(launch_for_each_index(count * mc_parent_count(nodes),
                                                 McLevelBody{level, nodes, next}, stream));
      std::swap(level, next);
    }
    GPOC_RETURN_IF_ERROR(
        launch_for_each_index(count, McFinalBody{input, first, level, paths, output}, stream));
  }
  // The scratch buffers are freed on return; wait for the kernels that use them (and surface a
  // fault in them here rather than in a later call).
  GPOC_CUDA_TRY(cudaStreamSynchronize(stream));
  return ok_status();
}

}  // namespace gpoc::kernels::detail
