#include "../kernel_bodies.hpp"
#include "launch.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {

Status launch_sha256_records(const std::uint8_t* input, std::uint64_t record_bytes,
                             std::uint64_t records, std::uint8_t* output, cudaStream_t stream) {
  return launch_for_each_index(records, Sha256RecordsBody{input, record_bytes, output}, stream);
}

}  // namespace gpoc::kernels::detail
