// The matrix-product kernels gemm_i8 and gemm_f32: their catalog entries, the input rule, and the
// CPU implementations. C = A B with A m x k and B k x n, both row-major and packed one after the
// other in the input; C m x n row-major. The GPU sides are in cuda/gemm_i8_cuda.cu (tensor cores)
// and cuda/gemm_f32_cuda.cu (cuBLAS).
#pragma once

#include <cstdint>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "task.hpp"

namespace gpoc::kernels::detail {

// Each dimension is a required parameter in [1, kGemmDimMax].
inline constexpr std::uint64_t kGemmDimMax = 65536;

struct GemmShape {
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;
};

// The bytes one element takes: 1 for gemm_i8 inputs, 4 for gemm_f32 inputs and every output.
std::uint64_t gemm_input_element_bytes(KernelKind kind);

KernelInfo gemm_i8_info();
KernelInfo gemm_f32_info();

// m, n and k of a validated gemm task.
GemmShape gemm_shape(const Task& task);

// The input rule: exactly m*k + k*n elements; the output is 4*m*n bytes.
Result<std::uint64_t> gemm_output_bytes(const Task& task);

// CPU backend (gemm_cpu.cpp). input is A then B as the layout says; output has 4*m*n bytes.
// gemm_i8: exact int32 sums. gemm_f32: each C[i][j] summed over p = 0..k-1 in ascending order in
// float, one rounding per multiply and per add (no contraction).
void gemm_i8_on_host(const GemmShape& s, ByteView input, std::uint8_t* output);
void gemm_f32_on_host(const GemmShape& s, ByteView input, std::uint8_t* output);

}  // namespace gpoc::kernels::detail
