// The catalog entries of gemm_i8 and gemm_f32 and their input rule.
#include <string>
#include <vector>

#include "gemm.hpp"

namespace gpoc::kernels::detail {
namespace {

// Inputs are at most 1 GiB, like every kernel's; the output (4*m*n bytes) too.
constexpr std::uint64_t kGemmBytesMax = std::uint64_t{1} << 30;

std::vector<ParamSpec> gemm_params() {
  auto dim = [](std::string name, std::string doc) {
    return ParamSpec{.name = std::move(name),
                     .doc = std::move(doc),
                     .required = true,
                     .default_value = {},
                     .min_value = 1,
                     .max_value = kGemmDimMax};
  };
  return {dim("m", "rows of A and of C"), dim("n", "columns of B and of C"),
          dim("k", "columns of A, rows of B (the summed dimension)")};
}

}  // namespace

std::uint64_t gemm_input_element_bytes(KernelKind kind) {
  return kind == KernelKind::gemm_i8 ? 1 : 4;
}

KernelInfo gemm_i8_info() {
  return {
      .id = "gemm_i8",
      .version = 1,
      .determinism = Determinism::exact,
      .summary = "matrix product C = A B of signed 8-bit integer matrices, exact 32-bit sums",
      .input_layout =
          "A (m x k) then B (k x n), signed 8-bit integers (two's complement), each row-major "
          "and packed with no padding: A[i][p] is byte i*k + p, B[p][j] is byte m*k + p*n + j; "
          "input size = m*k + k*n",
      .output_layout =
          "C = A B (m x n), signed 32-bit integers, little-endian, row-major and packed: "
          "C[i][j] = sum over p of A[i][p] * B[p][j], at bytes [4(i*n + j), 4(i*n + j) + 4); "
          "size = 4*m*n. Every sum is exact: a product has magnitude at most 128 * 128 = 2^14, "
          "so a sum of k products fits in int32 for every k <= 131071 (131071 * 2^14 < 2^31), "
          "which k <= 65536 implies",
      .params = gemm_params(),
      .input_bytes_max = kGemmBytesMax,
      .output_bytes_max = kGemmBytesMax,
      .certificate =
          "Freivalds: for a random r in {0,1}^n, A (B r) equals C r, computed exactly in 64-bit "
          "integers; a wrong C passes one round with probability at most 1/2",
  };
}

KernelInfo gemm_f32_info() {
  return {
      .id = "gemm_f32",
      .version = 1,
      .determinism = Determinism::arch,
      .summary =
          "matrix product C = A B of 32-bit float matrices (cuBLAS SGEMM without TF32 on "
          "a GPU)",
      .input_layout =
          "A (m x k) then B (k x n), IEEE 754 binary32, little-endian, each row-major and packed "
          "with no padding: A[i][p] at bytes 4(i*k + p), B[p][j] at bytes 4(m*k + p*n + j); "
          "input size = 4*(m*k + k*n)",
      .output_layout =
          "C = A B (m x n), IEEE 754 binary32, little-endian, row-major and packed: C[i][j] at "
          "bytes [4(i*n + j), 4(i*n + j) + 4); size = 4*m*n. Determinism class arch: the CPU "
          "backend sums p = 0..k-1 in ascending order in float, rounding every multiply and add "
          "(no fused multiply-add); cuBLAS on a GPU sums in its own order, identical bits only "
          "within one execution class (GPU architecture, SM count, toolkit)",
      .params = gemm_params(),
      .input_bytes_max = kGemmBytesMax,
      .output_bytes_max = kGemmBytesMax,
      .certificate =
          "Freivalds in double: for a random r in {0,1}^n, y = A (B r) and z = C r; passes iff "
          "|y_i - z_i| <= tau_i = 2(k+2) 2^-24 (|A| |B| 1)_i + n k 2^-149 for every row i. Any "
          "float summation order (and underflow) keeps an honest C within tau_i; a C with an "
          "entry (i, j) off from the exact product by more than 2 tau_i passes one round with "
          "probability at most 1/2; a C holding inf or NaN fails. Needs finite inputs with every "
          "(|A| |B| 1)_i <= 2^127",
  };
}

GemmShape gemm_shape(const Task& task) {
  return {.m = task.param("m"), .n = task.param("n"), .k = task.param("k")};
}

Result<std::uint64_t> gemm_output_bytes(const Task& task) {
  const GemmShape s = gemm_shape(task);
  // Each dimension is at most 2^16, so every product below fits in 64 bits.
  const std::uint64_t element_bytes = gemm_input_element_bytes(task.kind);
  const std::uint64_t expected = element_bytes * (s.m * s.k + s.k * s.n);
  if (task.input_bytes != expected) {
    const std::string dims =
        "m=" + std::to_string(s.m) + ", n=" + std::to_string(s.n) + ", k=" + std::to_string(s.k);
    const std::string rule = element_bytes == 1 ? "m*k + k*n" : "4*(m*k + k*n)";
    const std::string type = element_bytes == 1 ? "int8" : "float32";
    return invalid_argument(task.info->id + ": input of " + std::to_string(task.input_bytes) +
                            " bytes is not " + rule + " = " + std::to_string(expected) +
                            " bytes (A m x k then B k x n, " + type + ") for " + dims);
  }
  return 4 * s.m * s.n;
}

}  // namespace gpoc::kernels::detail
