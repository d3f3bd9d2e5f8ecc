// The CPU side of gemm_i8 and gemm_f32, in i, p, j order: the inner loop adds A[i][p] * B[p][j]
// into a row accumulator for every j, so it streams rows of B and vectorises over j, and it does
// so for four rows of C at a time so that each row of B read serves four. Each C[i][j] still
// receives its products in ascending p, one at a time, which is the order the gemm_f32 layout
// promises (integer sums are exact in any order).
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

// Rows of C computed together: every row of B read from memory updates this many rows of C.
constexpr std::uint64_t kRowBlock = 4;

// acc[j] = acc[j] + a * b[j] for j in [0, n): one multiply and one add per element, each rounded
// (the build passes -ffp-contract=off, so float never becomes a fused multiply-add here).
template <typename Acc, typename In>
void update_row(Acc a, const In* __restrict b, Acc* __restrict acc, std::uint64_t n) {
  for (std::uint64_t j = 0; j < n; ++j) acc[j] = acc[j] + a * static_cast<Acc>(b[j]);
}

// The same for kRowBlock rows at once, each with its own coefficient.
template <typename Acc, typename In>
void update_rows(const Acc* a, const In* __restrict b, Acc* __restrict acc0, Acc* __restrict acc1,
                 Acc* __restrict acc2, Acc* __restrict acc3, std::uint64_t n) {
  static_assert(kRowBlock == 4);
  for (std::uint64_t j = 0; j < n; ++j) {
    const auto x = static_cast<Acc>(b[j]);
    acc0[j] = acc0[j] + a[0] * x;
    acc1[j] = acc1[j] + a[1] * x;
    acc2[j] = acc2[j] + a[2] * x;
    acc3[j] = acc3[j] + a[3] * x;
  }
}

// C = A B in i, p, j order, kRowBlock rows of C at a time; finished rows go to store_row(i, row).
template <typename Acc, typename In, typename StoreRow>
void gemm_rows(const GemmShape& s, const In* a, const In* b, const StoreRow& store_row) {
  std::vector<Acc> rows(kRowBlock * s.n);
  Acc* acc[kRowBlock];
  for (std::uint64_t r = 0; r < kRowBlock; ++r) acc[r] = rows.data() + r * s.n;
  for (std::uint64_t i0 = 0; i0 < s.m; i0 += kRowBlock) {
    const std::uint64_t count = std::min(kRowBlock, s.m - i0);
    std::fill(rows.begin(), rows.end(), Acc{0});
    for (std::uint64_t p = 0; p < s.k; ++p) {
      const In* b_row = b + p * s.n;
      if (count == kRowBlock) {
        Acc coefficients[kRowBlock];
        for (std::uint64_t r = 0; r < kRowBlock; ++r) coefficients[r] = a[(i0 + r) * s.k + p];
        update_rows<Acc>(coefficients, b_row, acc[0], acc[1], acc[2], acc[3], s.n);
      } else {
        for (std::uint64_t r = 0; r < count; ++r) {
          update_row<Acc>(a[(i0 + r) * s.k + p], b_row, acc[r], s.n);
        }
      }
    }
    for (std::uint64_t r = 0; r < count; ++r) store_row(i0 + r, acc[r]);
  }
}

}  // namespace

void gemm_i8_on_host(const GemmShape& s, ByteView input, std::uint8_t* output) {
  const auto* a = reinterpret_cast<const std::int8_t*>(input.data());
  // |sum| <= k * 2^14 < 2^31 for k <= 65536: no int32 overflow (see the catalog layout).
  gemm_rows<std::int32_t>(s, a, a + s.m * s.k, [&](std::uint64_t i, const std::int32_t* row) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      store_le32(output + 4 * (i * s.n + j), static_cast<std::uint32_t>(row[j]));
    }
  });
}

void gemm_f32_on_host(const GemmShape& s, ByteView input, std::uint8_t* output) {
  // Decoded once so that the inner loop reads plain floats on any host byte order.
  std::vector<float> a(s.m * s.k);
  std::vector<float> b(s.k * s.n);
  for (std::uint64_t x = 0; x < a.size(); ++x) a[x] = load_le_f32(input.data() + 4 * x);
  const std::uint8_t* b_bytes = input.data() + 4 * a.size();
  for (std::uint64_t x = 0; x < b.size(); ++x) b[x] = load_le_f32(b_bytes + 4 * x);
  gemm_rows<float>(s, a.data(), b.data(), [&](std::uint64_t i, const float* row) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      store_le32(output + 4 * (i * s.n + j), std::bit_cast<std::uint32_t>(row[j]));
    }
  });
}

}  // namespace gpoc::kernels::detail
