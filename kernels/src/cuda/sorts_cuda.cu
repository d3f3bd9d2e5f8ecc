// sort_u64 and sort_kv_u64 with cub::DeviceRadixSort, histogram_u32 with its own kernel. All
// three are exact: a sorted multiset and a stable sort each have one output whatever CUB's tuning,
// and integer counts do not depend on the order in which atomics land.
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cub/device/device_radix_sort.cuh>
#include <limits>

#include "../sorts_bodies.hpp"
#include "device_memory.cuh"
#include "launch.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {
namespace {

// CUB takes a 32-bit count here; the catalog's 1 GiB bound keeps every task far below 2^32
// items, and a histogram block's u32 counters below 2^32 counts.
std::uint32_t item_count(std::uint64_t count) {
  assert(count <= std::numeric_limits<std::uint32_t>::max());
  return static_cast<std::uint32_t>(count);
}

// A zero-byte request still gets an allocation: CUB reads a null scratch pointer as "tell me the
// size" and would silently skip the sort.
Result<DeviceBuffer> allocate_scratch(std::size_t bytes) {
  return DeviceBuffer::allocate(std::max<std::size_t>(bytes, 1));
}

// --- histogram_u32 ---

// Up to this many bins, each block counts in shared memory (u32 counters, 48 KiB: the most a
// block gets without opting in) and adds its counts to the output once; beyond it every value is
// an atomic add on the output in global memory.
constexpr std::uint64_t kSharedBinsMax = 12288;
constexpr unsigned kHistogramThreads = 256;

static_assert(sizeof(unsigned long long) == sizeof(std::uint64_t), "u64 counts for atomicAdd");

// Calls count_value(v) for every input value, over a grid-stride loop. Reads four values at a
// time where the input is 16-byte aligned (cudaMalloc's always is), then the tail one by one.
template <typename CountValue>
__device__ void for_each_value(const std::uint32_t* input, std::uint64_t count,
                               CountValue& count_value) {
  const std::uint64_t thread = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  const bool aligned = reinterpret_cast<std::uintptr_t>(input) % alignof(uint4) == 0;
  const std::uint64_t quads = aligned ? count / 4 : 0;
  const uint4* quad_input = reinterpret_cast<const uint4*>(input);
  for (std::uint64_t q = thread; q < quads; q += stride) {
    const uint4 v = quad_input[q];
    count_value(v.x);
    count_value(v.y);
    count_value(v.z);
    count_value(v.w);
  }
  for (std::uint64_t i = 4 * quads + thread; i < count; i += stride) count_value(input[i]);
}

// Needs range.bins <= kSharedBinsMax and range.bins * 4 bytes of dynamic shared memory.
__global__ void histogram_shared_kernel(const std::uint32_t* input, std::uint64_t count,
                                        HistogramRange range, unsigned long long* counts) {
  extern __shared__ unsigned int block_counts[];
  const auto bins = static_cast<unsigned>(range.bins);
  for (unsigned b = threadIdx.x; b < bins; b += blockDim.x) block_counts[b] = 0;
  __syncthreads();
  auto count_value = [&](std::uint32_t v) {
    const std::uint64_t bin = range.bin_of(v);
    if (bin < range.bins) atomicAdd(&block_counts[bin], 1u);
  };
  for_each_value(input, count, count_value);
  __syncthreads();
  for (unsigned b = threadIdx.x; b < bins; b += blockDim.x) {
    const unsigned c = block_counts[b];
    if (c != 0) atomicAdd(&counts[b], static_cast<unsigned long long>(c));
  }
}

__global__ void histogram_global_kernel(const std::uint32_t* input, std::uint64_t count,
                                        HistogramRange range, unsigned long long* counts) {
  auto count_value = [&](std::uint32_t v) {
    const std::uint64_t bin = range.bin_of(v);
    if (bin < range.bins) atomicAdd(&counts[bin], 1ull);
  };
  for_each_value(input, count, count_value);
}

// Enough blocks to fill the device once at full occupancy, fewer for a small input: each block
// flushes its sub-histogram once, so more blocks than can run at a time only add flushes.
template <typename Kernel>
Result<unsigned> histogram_blocks(Kernel kernel, std::size_t shared_bytes, std::uint64_t count) {
  int device = 0;
  GPOC_CUDA_TRY(cudaGetDevice(&device));
  int sms = 0;
  GPOC_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  int per_sm = 0;
  GPOC_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kHistogramThreads,
                                                              shared_bytes));
  const std::uint64_t resident =
      std::uint64_t(std::max(sms, 1)) * std::uint64_t(std::max(per_sm, 1));
  const std::uint64_t needed = (count + 4 * kHistogramThreads - 1) / (4 * kHistogramThreads);
  return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min(resident, needed)));
}

}  // namespace

Status launch_sort_u64(const std::uint64_t* input, std::uint64_t* output, std::uint64_t count,
                       cudaStream_t stream) {
  if (count == 0) return ok_status();
  const std::uint32_t items = item_count(count);
  std::size_t scratch_bytes = 0;
  GPOC_CUDA_TRY(
      cub::DeviceRadixSort::SortKeys(nullptr, scratch_bytes, input, output, items, 0, 64, stream));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer scratch, allocate_scratch(scratch_bytes));
  GPOC_CUDA_TRY(cub::DeviceRadixSort::SortKeys(scratch.data(), scratch_bytes, input, output, items,
                                               0, 64, stream));
  GPOC_CUDA_TRY(cudaGetLastError());
  GPOC_CUDA_TRY(cudaStreamSynchronize(stream));  // the scratch memory is freed on return
  return ok_status();
}

// Split into key and value arrays, sort the pairs (CUB's radix sort is stable), join again. The
// double buffers let CUB ping-pong between our arrays instead of allocating two more copies.
Status launch_sort_kv_u64(const std::uint64_t* input, std::uint64_t* output, std::uint64_t count,
                          cudaStream_t stream) {
  if (count == 0) return ok_status();
  const std::uint32_t items = item_count(count);
  const std::uint64_t array_bytes = count * sizeof(std::uint64_t);
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer keys_a, DeviceBuffer::allocate(array_bytes));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer keys_b, DeviceBuffer::allocate(array_bytes));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer values_a, DeviceBuffer::allocate(array_bytes));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer values_b, DeviceBuffer::allocate(array_bytes));
  GPOC_RETURN_IF_ERROR(launch_for_each_index(
      count, DeinterleaveKvBody{input, keys_a.as<std::uint64_t>(), values_a.as<std::uint64_t>()},
      stream));
  cub::DoubleBuffer<std::uint64_t> keys(keys_a.as<std::uint64_t>(), keys_b.as<std::uint64_t>());
  cub::DoubleBuffer<std::uint64_t> values(values_a.as<std::uint64_t>(),
                                          values_b.as<std::uint64_t>());
  std::size_t scratch_bytes = 0;
  GPOC_CUDA_TRY(
      cub::DeviceRadixSort::SortPairs(nullptr, scratch_bytes, keys, values, items, 0, 64, stream));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer scratch, allocate_scratch(scratch_bytes));
  GPOC_CUDA_TRY(cub::DeviceRadixSort::SortPairs(scratch.data(), scratch_bytes, keys, values, items,
                                                0, 64, stream));
  GPOC_CUDA_TRY(cudaGetLastError());
  // Current() is whichever buffer of each pair holds the sorted data after the last pass.
  GPOC_RETURN_IF_ERROR(launch_for_each_index(
      count, InterleaveKvBody{keys.Current(), values.Current(), output}, stream));
  GPOC_CUDA_TRY(cudaStreamSynchronize(stream));  // the arrays and scratch are freed on return
  return ok_status();
}

Status launch_histogram_u32(const std::uint32_t* input, std::uint64_t count, std::uint64_t lower,
                            std::uint64_t upper, std::uint64_t bins, std::uint64_t* output,
                            cudaStream_t stream) {
  const HistogramRange range = make_histogram_range(lower, upper, bins);
  auto* counts = reinterpret_cast<unsigned long long*>(output);
  // Every bin is written, also for an empty input: the backend poisons the output beforehand.
  GPOC_CUDA_TRY(cudaMemsetAsync(output, 0, bins * sizeof(std::uint64_t), stream));
  if (count == 0) return ok_status();
  (void)item_count(count);
  if (bins <= kSharedBinsMax) {
    const std::size_t shared_bytes = bins * sizeof(unsigned int);
    GPOC_ASSIGN_OR_RETURN(unsigned blocks,
                          histogram_blocks(histogram_shared_kernel, shared_bytes, count));
    histogram_shared_kernel<<<blocks, kHistogramThreads, shared_bytes, stream>>>(input, count,
                                                                                 range, counts);
  } else {
    GPOC_ASSIGN_OR_RETURN(unsigned blocks, histogram_blocks(histogram_global_kernel, 0, count));
    histogram_global_kernel<<<blocks, kHistogramThreads, 0, stream>>>(input, count, range, counts);
  }
  GPOC_CUDA_TRY(cudaGetLastError());
  return ok_status();
}

}  // namespace gpoc::kernels::detail
