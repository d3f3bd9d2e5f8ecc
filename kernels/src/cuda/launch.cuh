// The one generic CUDA launcher: runs body(i) for every i in [0, count) with a grid-stride loop,
// so any count fits in a bounded grid. Bodies stay free of threadIdx (kernel_bodies.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>

#include "cuda_check.cuh"

namespace gpoc::kernels::detail {

// 128 threads: the SHA-256 bodies keep about 110 bytes of state per thread.
inline constexpr unsigned kThreadsPerBlock = 128;
inline constexpr std::uint64_t kBlocksMax = 1u << 16;

template <typename Body>
__global__ void for_each_index_kernel(Body body, std::uint64_t count) {
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    body(i);
  }
}

template <typename Body>
Status launch_for_each_index(std::uint64_t count, const Body& body, cudaStream_t stream) {
  if (count == 0) return ok_status();
  const std::uint64_t blocks =
      std::min((count + kThreadsPerBlock - 1) / kThreadsPerBlock, kBlocksMax);
  for_each_index_kernel<<<static_cast<unsigned>(blocks), kThreadsPerBlock, 0, stream>>>(body,
                                                                                        count);
  GPOC_CUDA_TRY(cudaGetLastError());  // launch configuration errors surface here, not later
  return ok_status();
}

}  // namespace gpoc::kernels::detail
