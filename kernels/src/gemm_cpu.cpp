// The CPU side of gemm_i8 and gemm_f32: one row of C at a time, in i, p, j order. The inner loop
// adds A[i][p] * B[p][j] into a row accumulator for every j, so it streams one row of B and
// vectorises over j; each C[i][j] still receives its products in ascending p, one at a time,
// which is the order the gemm_f32 layout promises (integer sums are exact in any order).
#include <algorithm>
#include <bit>
#include <vector>

#include "gemm.hpp"

namespace gpoc::kernels::detail {
namespace {

void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int b = 0; b < 4; ++b) p[b] = static_cast<std::uint8_t>(v >> (8 * b));
}

float load_le_f32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int b = 0; b < 4; ++b) v |= std::uint32_t{p[b]} << (8 * b);
  return std::bit_cast<float>(v);
}

// acc[j] += a * b[j] for j in [0, n): one multiply and one add per element, each rounded (the
// build passes -ffp-contract=off, so float never becomes a fused multiply-add here).
template <typename Acc, typename In>
void axpy_row(Acc a, const In* __restrict b, Acc* __restrict acc, std::uint64_t n) {
  for (std::uint64_t j = 0; j < n; ++j) acc[j] = acc[j] + a * static_cast<Acc>(b[j]);
}

}  // namespace

void gemm_i8_on_host(const GemmShape& s, ByteView input, std::uint8_t* output) {
  const auto* a = reinterpret_cast<const std::int8_t*>(input.data());
  const std::int8_t* b = a + s.m * s.k;
  std::vector<std::int32_t> row(s.n);
  for (std::uint64_t i = 0; i < s.m; ++i) {
    std::fill(row.begin(), row.end(), 0);
    for (std::uint64_t p = 0; p < s.k; ++p) {
      // |sum| <= k * 2^14 < 2^31 for k <= 65536: no int32 overflow (see the catalog layout).
      axpy_row<std::int32_t>(a[i * s.k + p], b + p * s.n, row.data(), s.n);
    }
    for (std::uint64_t j = 0; j < s.n; ++j) {
      store_le32(output + 4 * (i * s.n + j), static_cast<std::uint32_t>(row[j]));
    }
  }
}

void gemm_f32_on_host(const GemmShape& s, ByteView input, std::uint8_t* output) {
  // Decoded once so that the inner loop reads plain floats on any host byte order.
  std::vector<float> a(s.m * s.k);
  std::vector<float> b(s.k * s.n);
  for (std::uint64_t x = 0; x < a.size(); ++x) a[x] = load_le_f32(input.data() + 4 * x);
  const std::uint8_t* b_bytes = input.data() + 4 * a.size();
  for (std::uint64_t x = 0; x < b.size(); ++x) b[x] = load_le_f32(b_bytes + 4 * x);
  std::vector<float> row(s.n);
  for (std::uint64_t i = 0; i < s.m; ++i) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (std::uint64_t p = 0; p < s.k; ++p) {
      axpy_row<float>(a[i * s.k + p], b.data() + p * s.n, row.data(), s.n);
    }
    for (std::uint64_t j = 0; j < s.n; ++j) {
      store_le32(output + 4 * (i * s.n + j), std::bit_cast<std::uint32_t>(row[j]));
    }
  }
}

}  // namespace gpoc::kernels::detail
