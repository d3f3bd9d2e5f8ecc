// Inputs and independent references for the gemm tests: random matrices with fixed seeds, the
// packed input layout written out by hand, and plain triple loops.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels::testing {

struct Shape {
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;
};

inline std::string shape_text(const Shape& s) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
}

// Parameters in canonical (sorted) order: k, m, n.
inline Params gemm_params(const Shape& s) {
  return {{"k", std::to_string(s.k)}, {"m", std::to_string(s.m)}, {"n", std::to_string(s.n)}};
}

inline std::vector<std::int8_t> random_i8(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int8_t> v(count);
  for (std::int8_t& x : v) x = static_cast<std::int8_t>(rng() >> 56);  // all of -128..127
  return v;
}

// Values of mixed sign, |x| < 2^exponent_max, with binary exponents spread over
// [exponent_min, exponent_max] (below -126 they are subnormal).
inline std::vector<float> random_f32(std::size_t count, std::uint64_t seed, int exponent_min = 0,
                                     int exponent_max = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(exponent_min, exponent_max);
  std::vector<float> v(count);
  for (float& x : v) x = std::ldexp(mantissa(rng), exponent(rng));
  return v;
}

inline Bytes pack_i8(const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& b) {
  Bytes out;
  for (std::int8_t x : a) out.push_back(static_cast<std::uint8_t>(x));
  for (std::int8_t x : b) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

inline void append_le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

inline Bytes pack_f32(const std::vector<float>& a, const std::vector<float>& b) {
  Bytes out;
  for (float x : a) append_le32(out, std::bit_cast<std::uint32_t>(x));
  for (float x : b) append_le32(out, std::bit_cast<std::uint32_t>(x));
  return out;
}

inline std::vector<std::int32_t> decode_i32(const Bytes& bytes) {
  std::vector<std::int32_t> v(bytes.size() / 4);
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= std::uint32_t{bytes[4 * i + b]} << (8 * b);
    v[i] = static_cast<std::int32_t>(u);
  }
  return v;
}

inline std::vector<float> decode_f32(const Bytes& bytes) {
  std::vector<float> v(bytes.size() / 4);
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= std::uint32_t{bytes[4 * i + b]} << (8 * b);
    v[i] = std::bit_cast<float>(u);
  }
  return v;
}

inline Bytes encode_i32(const std::vector<std::int32_t>& v) {
  Bytes out;
  for (std::int32_t x : v) append_le32(out, static_cast<std::uint32_t>(x));
  return out;
}

inline Bytes encode_f32(const std::vector<float>& v) {
  Bytes out;
  for (float x : v) append_le32(out, std::bit_cast<std::uint32_t>(x));
  return out;
}

// C = A B in int64, one element at a time (i, j, then p): not the kernels' loop order.
inline std::vector<std::int64_t> product_i64(const Shape& s, const std::vector<std::int8_t>& a,
                                             const std::vector<std::int8_t>& b) {
  std::vector<std::int64_t> c(s.m * s.n);
  for (std::uint64_t i = 0; i < s.m; ++i) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      std::int64_t sum = 0;
      for (std::uint64_t p = 0; p < s.k; ++p) sum += std::int64_t{a[i * s.k + p]} * b[p * s.n + j];
      c[i * s.n + j] = sum;
    }
  }
  return c;
}

// The order gemm_f32's layout promises on the CPU: p ascending from 0.0f, one rounding per
// multiply and per add (tests build with -ffp-contract=off like the library).
inline std::vector<float> product_f32_in_order(const Shape& s, const std::vector<float>& a,
                                               const std::vector<float>& b) {
  std::vector<float> c(s.m * s.n);
  for (std::uint64_t i = 0; i < s.m; ++i) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      float sum = 0.0f;
      for (std::uint64_t p = 0; p < s.k; ++p) sum = sum + a[i * s.k + p] * b[p * s.n + j];
      c[i * s.n + j] = sum;
    }
  }
  return c;
}

// The product in double (each float product is exact in double) and sum |a| |b| per element.
struct DoubleProduct {
  std::vector<double> c;
  std::vector<double> abs_c;  // (|A| |B|)_ij
};

inline DoubleProduct product_f64(const Shape& s, const std::vector<float>& a,
                                 const std::vector<float>& b) {
  DoubleProduct out{std::vector<double>(s.m * s.n), std::vector<double>(s.m * s.n)};
  for (std::uint64_t i = 0; i < s.m; ++i) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      double sum = 0, abs_sum = 0;
      for (std::uint64_t p = 0; p < s.k; ++p) {
        const double x = double{a[i * s.k + p]} * double{b[p * s.n + j]};
        sum += x;
        abs_sum += std::fabs(x);
      }
      out.c[i * s.n + j] = sum;
      out.abs_c[i * s.n + j] = abs_sum;
    }
  }
  return out;
}

}  // namespace gpoc::kernels::testing
