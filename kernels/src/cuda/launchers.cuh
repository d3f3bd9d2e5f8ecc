// The CUDA side of each kernel, one .cu file per kernel. Each takes device pointers and the
// stream explicitly; the backend (cuda_backend.cu) owns the memory and the stream.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "gpoc/common/sha256.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc::kernels::detail {

// sha256 v1: one thread per record.
Status launch_sha256_records(const std::uint8_t* input, std::uint64_t record_bytes,
                             std::uint64_t records, std::uint8_t* output, cudaStream_t stream);

// sort_u32 v1: cub::DeviceRadixSort over the keys. Blocks until the sort is done (its scratch
// memory is freed on return).
Status launch_sort_u32(const std::uint32_t* input, std::uint32_t* output, std::uint64_t count,
                       cudaStream_t stream);

// sort_u64 v1: cub::DeviceRadixSort::SortKeys over all 64 bits. Blocks until the sort is done.
Status launch_sort_u64(const std::uint64_t* input, std::uint64_t* output, std::uint64_t count,
                       cudaStream_t stream);

// sort_kv_u64 v1: count records of two words (key, value); a stable sort by key (split into key
// and value arrays, cub::DeviceRadixSort::SortPairs, joined again). Blocks until it is done.
Status launch_sort_kv_u64(const std::uint64_t* input, std::uint64_t* output, std::uint64_t count,
                          cudaStream_t stream);

// histogram_u32 v1: bins u64 counts of the values in [lower, upper) (sorts_bodies.hpp). Queued
// on the stream; does not wait.
Status launch_histogram_u32(const std::uint32_t* input, std::uint64_t count, std::uint64_t lower,
                            std::uint64_t upper, std::uint64_t bins, std::uint64_t* output,
                            cudaStream_t stream);
// mc_option v1 over input_bytes / 32 option records: one thread per chunk of paths, the pairwise
// tree level by level, one thread per result. Blocks until done (its scratch memory is freed on
// return).
Status launch_mc_option(const std::uint8_t* input, std::uint64_t input_bytes, std::uint64_t paths,
                        std::uint64_t seed, std::uint8_t* output, cudaStream_t stream);

// gemm_i8 v1: C (m x n, int32) = A (m x k) B (k x n), int8, all row-major, on tensor cores.
Status launch_gemm_i8(const std::int8_t* a, const std::int8_t* b, std::int32_t* c, std::uint64_t m,
                      std::uint64_t n, std::uint64_t k, cudaStream_t stream);

// gemm_f32 v1: C = A B in float, row-major, through cuBLAS SGEMM (pedantic math, a workspace of
// its own). Blocks until done. `unavailable` naming the library when cuBLAS cannot be loaded.
Status launch_gemm_f32(const float* a, const float* b, float* c, std::uint64_t m, std::uint64_t n,
                       std::uint64_t k, cudaStream_t stream);

// gpoc::result_digest of bytes already on the device; only the 32-byte root comes back.
// Synchronizes the stream.
Result<Digest32> device_result_digest(const std::uint8_t* data, std::uint64_t bytes,
                                      cudaStream_t stream);

}  // namespace gpoc::kernels::detail
