#include <cassert>
#include <cstddef>
#include <cub/device/device_radix_sort.cuh>
#include <limits>

#include "device_memory.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {

// Keys-only radix sort: the output is the unique sorted order of the multiset, so it is exact
// (identical on every GPU and to std::sort on the CPU) whatever CUB's internal tuning.
Status launch_sort_u32(const std::uint32_t* input, std::uint32_t* output, std::uint64_t count,
                       cudaStream_t stream) {
  if (count == 0) return ok_status();
  // The catalog bounds sort_u32 inputs to 1 GiB, far below 2^32 keys.
  assert(count <= std::numeric_limits<std::uint32_t>::max());
  const auto items = static_cast<std::uint32_t>(count);
  std::size_t scratch_bytes = 0;
  GPOC_CUDA_TRY(
      cub::DeviceRadixSort::SortKeys(nullptr, scratch_bytes, input, output, items, 0, 32, stream));
  GPOC_ASSIGN_OR_RETURN(DeviceBuffer scratch, DeviceBuffer::allocate(scratch_bytes));
  GPOC_CUDA_TRY(cub::DeviceRadixSort::SortKeys(scratch.data(), scratch_bytes, input, output, items,
                                               0, 32, stream));
  GPOC_CUDA_TRY(cudaGetLastError());
  return ok_status();
}

}  // namespace gpoc::kernels::detail
