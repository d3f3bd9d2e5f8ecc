// Freivalds certificates for gemm_i8 and gemm_f32: O(mk + kn + mn) per round instead of O(mnk).
//
// For r in {0,1}^n drawn from the checker's seed, A (B r) is compared with C r. If C != A B, let
// D = C - A B and pick an entry D[i][j] != 0. For any r, flipping r_j changes (D r)_i by D[i][j],
// so at most one of r and r-with-r_j-flipped gives (D r)_i = 0: a wrong C passes one round with
// probability at most 1/2, and `rounds` independent rounds with at most 2^-rounds.
//
// gemm_i8 is exact in 64-bit integers. gemm_f32 is compared in double within a per-row tolerance
// tau_i that covers the float rounding of any summation order, so "(D r)_i = 0" becomes
// "|(D r)_i| <= tau_i" and the argument holds for an entry with |D[i][j]| > 2 tau_i (plus the
// checker's own double rounding, which is below 2^-30 tau_i): one of the two choices of r_j then
// has |(D r)_i| > tau_i.
#include <bit>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "certificates.hpp"
#include "gemm.hpp"

namespace gpoc::kernels::detail {
namespace {

const std::string kMethod = "freivalds";

CertificateVerdict failed(std::string reason) {
  return {.passed = false,
          .method = kMethod,
          .rounds = 0,
          .log2_false_accept = 0,
          .reason = std::move(reason)};
}

CertificateVerdict passed(std::uint32_t rounds) {
  return {.passed = true,
          .method = kMethod,
          .rounds = rounds,
          .log2_false_accept = -static_cast<double>(rounds),
          .reason = {}};
}

std::string wrong_size(const Task& task, ByteView output) {
  return "output is " + std::to_string(output.size()) + " bytes, expected " +
         std::to_string(task.output_bytes);
}

std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

float load_le_f32(const std::uint8_t* p) { return std::bit_cast<float>(load_le32(p)); }

// r in {0,1}^n for one round, from that round's own stream.
std::vector<std::uint8_t> random_selector(const CertificateSeed& seed, std::string_view kernel_id,
                                          std::uint32_t round, std::uint64_t n) {
  CertificateStream stream(seed, kernel_id, round);
  std::vector<std::uint8_t> r(n);
  for (std::uint8_t& x : r) x = stream.next_bit() ? 1 : 0;
  return r;
}

// "[i][j]", appended piece by piece (GCC 12 misreports `"literal" + std::string&&` under
// -Wrestrict at -O3).
std::string position(std::uint64_t i, std::uint64_t j) {
  std::string out = "[";
  out += std::to_string(i);
  out += "][";
  out += std::to_string(j);
  out += "]";
  return out;
}

// sum of x[j] * y[j] in double over four interleaved partial sums (so that it vectorises without
// reassociation flags). The order is fixed by this code, and its rounding is far inside tau's
// margin; every checker running it computes the same value.
template <typename X, typename Y>
double dot(const X* x, const Y* y, std::uint64_t n) {
  double partial[4] = {0, 0, 0, 0};
  std::uint64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    for (std::uint64_t lane = 0; lane < 4; ++lane) {
      partial[lane] += static_cast<double>(x[j + lane]) * static_cast<double>(y[j + lane]);
    }
  }
  for (; j < n; ++j) partial[0] += static_cast<double>(x[j]) * static_cast<double>(y[j]);
  return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", x);
  return text;
}

}  // namespace

CertificateVerdict check_gemm_i8_certificate(const Task& task, ByteView input, ByteView output,
                                             std::uint32_t rounds, const CertificateSeed& seed) {
  if (output.size() != task.output_bytes) return failed(wrong_size(task, output));
  const GemmShape s = gemm_shape(task);
  const auto* a = reinterpret_cast<const std::int8_t*>(input.data());
  const std::int8_t* b = a + s.m * s.k;
  // Magnitudes, with n, k <= 2^16 and |int8| <= 2^7: (B r)_p <= 2^7 n <= 2^23 (an int32 holds
  // it); (A (B r))_i <= 2^7 k 2^23 <= 2^46; (C r)_i <= n 2^31 <= 2^47 for any int32 C. All sums
  // are exact in int64.
  std::vector<std::int32_t> br(s.k);
  for (std::uint32_t round = 0; round < rounds; ++round) {
    const std::vector<std::uint8_t> r = random_selector(seed, task.info->id, round, s.n);
    for (std::uint64_t p = 0; p < s.k; ++p) {
      std::int32_t sum = 0;
      for (std::uint64_t j = 0; j < s.n; ++j) sum += b[p * s.n + j] * r[j];
      br[p] = sum;
    }
    for (std::uint64_t i = 0; i < s.m; ++i) {
      std::int64_t y = 0;
      for (std::uint64_t p = 0; p < s.k; ++p) y += std::int64_t{a[i * s.k + p]} * br[p];
      std::int64_t z = 0;
      const std::uint8_t* c_row = output.data() + 4 * i * s.n;
      for (std::uint64_t j = 0; j < s.n; ++j) {
        z += static_cast<std::int32_t>(load_le32(c_row + 4 * j)) * std::int64_t{r[j]};
      }
      if (y != z) {
        return failed("row " + std::to_string(i) + " of C r differs from A (B r) (round " +
                      std::to_string(round) + ")");
      }
    }
  }
  return passed(rounds);
}

namespace {

struct FloatMatrices {
  std::vector<float> a;  // m x k
  std::vector<float> b;  // k x n
};

// Decodes A and B; an error for a non-finite input, which no tolerance covers.
Result<FloatMatrices> decode_inputs(const Task& task, const GemmShape& s, ByteView input) {
  FloatMatrices f{.a = std::vector<float>(s.m * s.k), .b = std::vector<float>(s.k * s.n)};
  const std::uint8_t* b_bytes = input.data() + 4 * f.a.size();
  for (std::uint64_t x = 0; x < f.a.size(); ++x) f.a[x] = load_le_f32(input.data() + 4 * x);
  for (std::uint64_t x = 0; x < f.b.size(); ++x) f.b[x] = load_le_f32(b_bytes + 4 * x);
  auto non_finite = [&](const std::vector<float>& v, std::uint64_t cols,
                        const char* name) -> Status {
    for (std::uint64_t x = 0; x < v.size(); ++x) {
      if (std::isfinite(v[x])) continue;
      return failed_precondition(task.info->id + ": no certificate for inputs with inf or NaN (" +
                                 name + position(x / cols, x % cols) + ")");
    }
    return ok_status();
  };
  GPOC_RETURN_IF_ERROR(non_finite(f.a, s.k, "A"));
  GPOC_RETURN_IF_ERROR(non_finite(f.b, s.n, "B"));
  return f;
}

// tau_i = 2(k+2) 2^-24 (|A| |B| 1)_i + n k 2^-149.
//
// Any float evaluation of C[i][j] (any summation tree, with or without fused multiply-adds) is
// within gamma_k (|A| |B|)_ij + k 2^-150 of the exact value, with gamma_k = k u / (1 - k u),
// u = 2^-24, so gamma_k < 1.004 k u for k <= 2^16; k 2^-150 bounds the absolute rounding error of
// k products that underflow to subnormals (additions of subnormals are exact). Summed over the
// selected j, an honest row is off by at most gamma_k (|A| |B| r)_i + n k 2^-150, which tau_i
// covers twice over; the margin absorbs the checker's double rounding (relative ~2^-36).
// Returns an error when a row's bound reaches 2^127: an honest C could then overflow to inf.
Result<std::vector<double>> row_tolerances(const Task& task, const GemmShape& s,
                                           const FloatMatrices& f) {
  std::vector<double> b_abs_row_sums(s.k, 0.0);
  for (std::uint64_t p = 0; p < s.k; ++p) {
    double sum = 0;
    for (std::uint64_t j = 0; j < s.n; ++j) sum += std::fabs(double{f.b[p * s.n + j]});
    b_abs_row_sums[p] = sum;
  }
  const double relative = std::ldexp(2.0 * static_cast<double>(s.k + 2), -24);
  const double absolute = std::ldexp(static_cast<double>(s.n * s.k), -149);
  std::vector<double> tau(s.m);
  for (std::uint64_t i = 0; i < s.m; ++i) {
    double bound = 0;  // (|A| |B| 1)_i
    for (std::uint64_t p = 0; p < s.k; ++p) {
      bound += std::fabs(double{f.a[i * s.k + p]}) * b_abs_row_sums[p];
    }
    if (bound > std::ldexp(1.0, 127)) {
      return failed_precondition(task.info->id + ": no certificate when |A| |B| can reach the " +
                                 "float range (row " + std::to_string(i) +
                                 ": (|A| |B| 1)_i = " + number(bound) + " > 2^127)");
    }
    tau[i] = relative * bound + absolute;
  }
  return tau;
}

}  // namespace

Result<CertificateVerdict> check_gemm_f32_certificate(const Task& task, ByteView input,
                                                      ByteView output, std::uint32_t rounds,
                                                      const CertificateSeed& seed) {
  const GemmShape s = gemm_shape(task);
  GPOC_ASSIGN_OR_RETURN(const FloatMatrices f, decode_inputs(task, s, input));
  GPOC_ASSIGN_OR_RETURN(const std::vector<double> tau, row_tolerances(task, s, f));
  if (output.size() != task.output_bytes) return failed(wrong_size(task, output));
  for (std::uint64_t x = 0; x < s.m * s.n; ++x) {
    const float v = load_le_f32(output.data() + 4 * x);
    if (!std::isfinite(v)) {
      std::string reason = "C";
      reason += position(x / s.n, x % s.n);
      reason += std::isnan(v) ? " is NaN" : " is inf";
      return failed(std::move(reason));
    }
  }
  std::vector<double> c_row(s.n);
  std::vector<double> br(s.k);
  std::vector<double> r_values(s.n);
  for (std::uint32_t round = 0; round < rounds; ++round) {
    const std::vector<std::uint8_t> r = random_selector(seed, task.info->id, round, s.n);
    for (std::uint64_t j = 0; j < s.n; ++j) r_values[j] = r[j];
    for (std::uint64_t p = 0; p < s.k; ++p) {
      br[p] = dot(f.b.data() + p * s.n, r_values.data(), s.n);
    }
    for (std::uint64_t i = 0; i < s.m; ++i) {
      const double y = dot(f.a.data() + i * s.k, br.data(), s.k);
      const std::uint8_t* c_bytes = output.data() + 4 * i * s.n;
      for (std::uint64_t j = 0; j < s.n; ++j) c_row[j] = load_le_f32(c_bytes + 4 * j);
      const double z = dot(c_row.data(), r_values.data(), s.n);
      const double difference = std::fabs(y - z);
      if (!(difference <= tau[i])) {
        return failed("row " + std::to_string(i) + ": |A (B r) - C r| = " + number(difference) +
                      " exceeds tau = " + number(tau[i]) + " (round " + std::to_string(round) +
                      ")");
      }
    }
  }
  return passed(rounds);
}

}  // namespace gpoc::kernels::detail
