// Deterministic elementary functions for `exact` kernels: the same bits on the CPU backend and on
// every GPU. CUDA's expf/logf/sinf and glibc's differ in the last bits (and between releases), so
// a kernel that must agree bit for bit cannot call either. These use only operations that IEEE 754
// rounds correctly on both sides: + - * / and sqrt (nvcc's defaults -prec-div=true,
// -prec-sqrt=true, -ftz=false, and --fmad=false; g++ on x86-64 SSE with -ffp-contract=off), exact
// conversions between integers and floats, and integer operations on the bits. The result is then
// a fixed sequence of correctly rounded steps, identical wherever it runs.
//
// Accuracy (checked against std:: in test_det_math.cpp): within a few ulps over the whole range.
// The reductions are Cody-Waite splits (k*ln2 in two parts, the high part short enough that
// k*ln2_hi is exact) and the polynomials are truncated Taylor series whose tail is far below half
// an ulp on the reduced interval.
//
// A NaN returned here is always the bit pattern of a default quiet NaN (0x7fc00000 /
// 0x7ff8000000000000) or the argument itself: hardware NaNs differ between x86 and CUDA, so none
// is produced by arithmetic.
#pragma once

#include <cstdint>
#include <cstring>

#include "gpoc/kernels/hd.hpp"

namespace gpoc::kernels::detail::det {

GPOC_HD inline std::uint32_t bits_of(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

GPOC_HD inline float float_of(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

GPOC_HD inline std::uint64_t bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

GPOC_HD inline double double_of(std::uint64_t u) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(u));
#else
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

GPOC_HD inline bool is_nan(float x) { return (bits_of(x) & 0x7fffffffu) > 0x7f800000u; }
GPOC_HD inline bool is_finite(float x) { return (bits_of(x) & 0x7f800000u) != 0x7f800000u; }
GPOC_HD inline bool is_nan(double x) {
  return (bits_of(x) & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}

GPOC_HD inline float quiet_nan_f32() { return float_of(0x7fc00000u); }
GPOC_HD inline float infinity_f32() { return float_of(0x7f800000u); }
GPOC_HD inline double quiet_nan_f64() { return double_of(0x7ff8000000000000ull); }
GPOC_HD inline double infinity_f64() { return double_of(0x7ff0000000000000ull); }

// Correctly rounded square roots (IEEE 754 requires it; both sides provide it).
GPOC_HD inline float sqrt(float x) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(x);
#else
  return __builtin_sqrtf(x);
#endif
}

GPOC_HD inline double sqrt(double x) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(x);
#else
  return __builtin_sqrt(x);
#endif
}

// 2^k for k in [-126, 127], built from its bits.
GPOC_HD inline float pow2_f32(int k) { return float_of(static_cast<std::uint32_t>(k + 127) << 23); }
// 2^k for k in [-1022, 1023].
GPOC_HD inline double pow2_f64(int k) {
  return double_of(static_cast<std::uint64_t>(k + 1023) << 52);
}

// The integer nearest to t (ties away from zero), for |t| well inside the int range.
GPOC_HD inline int round_to_int(float t) { return static_cast<int>(t + (t < 0.0f ? -0.5f : 0.5f)); }
GPOC_HD inline int round_to_int(double t) { return static_cast<int>(t + (t < 0.0 ? -0.5 : 0.5)); }

// e^x in float32. Overflows to +inf above ~88.72, underflows through the subnormals to +0 below
// ~-103.97; NaN in gives the same NaN out.
GPOC_HD inline float exp(float x) {
  if (is_nan(x)) return x;
  if (x > 89.0f) return infinity_f32();
  if (x < -104.0f) return 0.0f;
  constexpr float kLog2e = 0x1.715476p+0f;
  constexpr float kLn2Hi = 0x1.62e4p-1f;  // 16 significant bits: k * kLn2Hi is exact, |k| <= 150
  constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
  const int k = round_to_int(x * kLog2e);
  const float kf = static_cast<float>(k);
  // x - k*ln2_hi is exact (Sterbenz), so r carries only the rounding of the ln2_lo term.
  const float r = (x - kf * kLn2Hi) - kf * kLn2Lo;  // |r| <= ~0.35
  // exp(r) = 1 + r + r^2 (1/2! + r/3! + ... + r^5/7!); the r^8/8! tail is < 2^-27 here.
  float p = 0x1.a01a02p-13f;  // 1/7!
  p = 0x1.6c16c2p-10f + r * p;
  p = 0x1.111112p-7f + r * p;
  p = 0x1.555556p-5f + r * p;
  p = 0x1.555556p-3f + r * p;
  p = 0.5f + r * p;
  const float y = 1.0f + (r + (r * r) * p);
  // Scaling by 2^k in two exact halves: a subnormal or overflowing result rounds once, at the end.
  const int k1 = k / 2;
  return (y * pow2_f32(k1)) * pow2_f32(k - k1);
}

// e^x in float64, the same construction with a longer series. Overflows to +inf above ~709.78,
// underflows to +0 below ~-745.13.
GPOC_HD inline double exp(double x) {
  if (is_nan(x)) return x;
  if (x > 710.0) return infinity_f64();
  if (x < -746.0) return 0.0;
  constexpr double kLog2e = 0x1.71547652b82fep+0;
  constexpr double kLn2Hi = 0x1.62e42fefa38p-1;  // 42 significant bits: exact times |k| <= 1077
  constexpr double kLn2Lo = 0x1.ef35793c7673p-45;
  const int k = round_to_int(x * kLog2e);
  const double kd = static_cast<double>(k);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;  // |r| <= ~0.35
  // 1/2! ... 1/13!; the r^14/14! tail is < 2^-57 here.
  constexpr double kInvFactorial[12] = {
      0x1.0000000000000p-1,  0x1.5555555555555p-3,  0x1.5555555555555p-5,  0x1.1111111111111p-7,
      0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13, 0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19,
      0x1.27e4fb7789f5cp-22, 0x1.ae64567f544e4p-26, 0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33};
  double p = kInvFactorial[11];
  GPOC_UNROLL
  for (int i = 10; i >= 0; --i) p = kInvFactorial[i] + r * p;
  const double y = 1.0 + (r + (r * r) * p);
  const int k1 = k / 2;
  return (y * pow2_f64(k1)) * pow2_f64(k - k1);
}

// Natural logarithm in float32: -inf at +-0, NaN below zero, +inf at +inf, NaN in gives NaN out.
// log(1) is exactly +0.
GPOC_HD inline float log(float x) {
  std::uint32_t ix = bits_of(x);
  if (is_nan(x)) return x;
  if ((ix & 0x7fffffffu) == 0) return float_of(0xff800000u);  // -inf
  if (ix >> 31) return quiet_nan_f32();
  if (ix == 0x7f800000u) return x;
  int k = 0;
  if (ix < 0x00800000u) {  // subnormal: scale into the normal range (exact)
    ix = bits_of(x * 0x1p23f);
    k = -23;
  }
  // x = 2^k * m, m in [1, 2), then moved to [sqrt(1/2), sqrt(2)) so that |log m| is smallest.
  k += static_cast<int>(ix >> 23) - 127;
  float m = float_of((ix & 0x007fffffu) | 0x3f800000u);
  if (m > 0x1.6a09e6p+0f) {  // sqrt(2)
    m *= 0.5f;
    ++k;
  }
  // log(1+f) = 2 atanh(s) with s = f/(2+f) = f - f^2/2 + s (f^2/2 + R), R = 2s^2/3 + 2s^4/5 + ...
  // (|s| <= 0.172; the s^11 term is < 2^-28 of the result). Written so that the large terms
  // f and f^2/2 stay exact or nearly so and the series only corrects them.
  const float f = m - 1.0f;  // exact: m is within a factor two of 1
  const float s = f / (2.0f + f);
  const float z = s * s;
  const float big_r =
      z * (0x1.555556p-1f + z * (0x1.99999ap-2f + z * (0x1.24924ap-2f + z * 0x1.c71c72p-3f)));
  const float hfsq = 0.5f * (f * f);
  constexpr float kLn2Hi = 0x1.62e4p-1f;  // k * kLn2Hi exact for |k| <= 255
  constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
  const float kf = static_cast<float>(k);
  return (((kf * kLn2Lo + s * (hfsq + big_r)) - hfsq) + f) + kf * kLn2Hi;
}

// sin(pi/2 * r) and cos(pi/2 * r) for |r| <= 1/2 (Taylor series in r; tails below 2^-28).
GPOC_HD inline float sin_quarter_turns(float r) {
  const float z = r * r;
  float p = 0x1.507834p-13f;
  p = -0x1.32d2ccp-8f + z * p;
  p = 0x1.466bc6p-4f + z * p;
  p = -0x1.4abbcep-1f + z * p;
  p = 0x1.921fb6p+0f + z * p;
  return r * p;
}

GPOC_HD inline float cos_quarter_turns(float r) {
  const float z = r * r;
  float p = -0x1.a6d1f2p-16f;
  p = 0x1.e1f506p-11f + z * p;
  p = -0x1.55d3c8p-6f + z * p;
  p = 0x1.03c1f0p-2f + z * p;
  p = -0x1.3bd3ccp+0f + z * p;
  return 1.0f + z * p;
}

// sin(2 pi t) and cos(2 pi t) at once, for t in turns. Measuring the angle in turns makes the
// argument reduction exact: t minus an integer, times 4, minus the nearest integer, with no
// rounded multiple of pi anywhere. Non-finite t gives NaN for both.
struct SinCos {
  float sin;
  float cos;
};

GPOC_HD inline SinCos sincos_2pi(float t) {
  if (!is_finite(t)) return {quiet_nan_f32(), quiet_nan_f32()};
  // Every float of magnitude >= 2^23 is an integer: a whole number of turns.
  float frac = 0.0f;
  if ((bits_of(t) & 0x7fffffffu) < 0x4b000000u) frac = t - static_cast<float>(static_cast<int>(t));
  const float quarters = 4.0f * frac;  // in (-4, 4), exact
  int k = static_cast<int>(quarters);
  float r = quarters - static_cast<float>(k);  // exact fractional part, (-1, 1)
  if (r > 0.5f) {
    r -= 1.0f;  // exact (Sterbenz)
    ++k;
  } else if (r < -0.5f) {
    r += 1.0f;
    --k;
  }
  const float s = sin_quarter_turns(r);
  const float c = cos_quarter_turns(r);
  switch (k & 3) {  // the angle is (k + r) quarter turns
    case 0: return {s, c};
    case 1: return {c, -s};
    case 2: return {-s, -c};
    default: return {-c, s};
  }
}

}  // namespace gpoc::kernels::detail::det
