// The deterministic elementary functions (kernels/src/det_math.hpp) against the platform's own
// (std:: in float64 or long double, far more accurate than a float32 ulp), over dense sweeps of the
// float32 bit patterns and random points, and at their special values. The error bounds are the
// maxima of an exhaustive run over every float32 input (exp 1.03 ulp, log 0.86 ulp, sin and cos of
// 2 pi t for |t| <= 1 1.74 ulp), rounded up: a change that loosens the math fails here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

#include "det_math.hpp"
#include "gpoc/common/bytes.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc::kernels {
namespace {

namespace det = detail::det;

// The spacing of float32 values at the magnitude of ref (the subnormal spacing below 2^-126).
double ulp_f32(double ref) {
  const double a = std::fabs(ref);
  if (a < 0x1p-126) return 0x1p-149;
  int e = 0;
  std::frexp(a, &e);
  return std::ldexp(1.0, e - 24);
}

long double ulp_f64(long double ref) {
  const long double a = std::fabs(ref);
  if (a < 0x1p-1022L) return 0x1p-1074L;
  int e = 0;
  std::frexp(a, &e);
  return std::ldexp(1.0L, e - 53);
}

// Error in ulps of a float result against a float64 reference; an exact zero must be met exactly.
double ulps(float got, double ref) {
  if (ref == 0.0) return got == 0.0f ? 0.0 : std::numeric_limits<double>::infinity();
  return std::fabs(static_cast<double>(got) - ref) / ulp_f32(ref);
}

// sin(2 pi t) and cos(2 pi t) in float64: t*4 split into a nearest integer and a remainder (both
// exact in float64), the remainder's angle through std::sin / std::cos.
double sin_2pi_reference(float t, bool cosine) {
  const double quarters = 4.0 * static_cast<double>(t);
  const double q = std::nearbyint(quarters);
  const double angle = (quarters - q) * (M_PI / 2);
  long quadrant = static_cast<long>(std::fmod(q, 4.0));
  if (quadrant < 0) quadrant += 4;
  const double s = std::sin(angle), c = std::cos(angle);
  if (cosine) quadrant = (quadrant + 1) % 4;  // cos(a) = sin(a + 1 quarter turn)
  switch (quadrant) {
    case 0: return s;
    case 1: return c;
    case 2: return -s;
    default: return -c;
  }
}

// Every `stride`-th float32 bit pattern (both signs), for sweeps of whole ranges.
template <typename Check>
void sweep_floats(std::uint32_t stride, const Check& check) {
  for (std::uint64_t b = 0; b < (std::uint64_t{1} << 32); b += stride) {
    check(det::float_of(static_cast<std::uint32_t>(b)));
  }
}

struct WorstCase {
  double ulps = 0;
  double at = 0;
  void note(double e, double x) {
    if (e > ulps || std::isnan(e)) {
      ulps = std::isnan(e) ? std::numeric_limits<double>::infinity() : e;
      at = x;
    }
  }
};

std::string where(const WorstCase& w) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f ulps at %a", w.ulps, w.at);
  return text;
}

TEST(DetMath, ExpF32WithinOnePointTwoFiveUlps) {
  WorstCase worst;
  auto check = [&](float x) {
    if (!(x >= -104.0f && x <= 88.72f)) return;  // finite results, subnormals included
    worst.note(ulps(det::exp(x), std::exp(static_cast<double>(x))), x);
  };
  sweep_floats(97, check);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> any(-104.0f, 88.72f), near_zero(-1.0f, 1.0f);
  for (int i = 0; i < 1000000; ++i) check(i % 2 ? any(rng) : near_zero(rng));
  // Where the result goes subnormal, and where it leaves the normal range at the top.
  for (float x = -104.0f; x < -87.0f; x += 0x1p-10f) check(x);
  for (float x = 88.0f; x <= 88.72f; x += 0x1p-12f) check(x);
  EXPECT_LE(worst.ulps, 1.25) << where(worst);
}

TEST(DetMath, ExpF32SpecialValues) {
  EXPECT_EQ(det::bits_of(det::exp(0.0f)), det::bits_of(1.0f));
  EXPECT_EQ(det::bits_of(det::exp(-0.0f)), det::bits_of(1.0f));
  EXPECT_LE(ulps(det::exp(1.0f), std::exp(1.0)), 1.0);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(det::exp(inf), inf);
  EXPECT_EQ(det::bits_of(det::exp(-inf)), 0u);
  EXPECT_EQ(det::exp(89.0f), inf);
  EXPECT_EQ(det::exp(88.73f), inf);  // just above log(FLT_MAX)
  EXPECT_LE(ulps(det::exp(88.72f), std::exp(static_cast<double>(88.72f))), 1.25);
  EXPECT_EQ(det::exp(std::numeric_limits<float>::max()), inf);
  EXPECT_EQ(det::bits_of(det::exp(-104.0f)), 0u);  // below half the smallest subnormal
  EXPECT_EQ(det::bits_of(det::exp(-1e30f)), 0u);
  EXPECT_EQ(det::exp(-103.0f), std::numeric_limits<float>::denorm_min());  // 2^-149 is the nearest
  EXPECT_TRUE(std::isnan(det::exp(std::numeric_limits<float>::quiet_NaN())));
  // Tiny arguments: exp(x) rounds to 1 (or the float next to it) as the true value does.
  EXPECT_EQ(det::exp(1e-30f), 1.0f);
  EXPECT_EQ(det::exp(0x1p-23f), static_cast<float>(std::exp(0x1p-23)));
}

TEST(DetMath, LogF32WithinOneUlp) {
  WorstCase worst;
  auto check = [&](float x) {
    if (!(x > 0.0f) || !det::is_finite(x)) return;
    worst.note(ulps(det::log(x), std::log(static_cast<double>(x))), x);
  };
  sweep_floats(61, check);
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f), near_one(0.9f, 1.1f);
  for (int i = 0; i < 1000000; ++i) check(i % 2 ? unit(rng) : near_one(rng));
  // Every float near 1, where log is smallest and cancellation would show.
  for (float x = 0.99f; x < 1.01f; x = std::nextafter(x, 2.0f)) check(x);
  // Every subnormal's neighbourhood at the bottom, and the largest floats.
  for (std::uint32_t b = 1; b < 0x00010000u; ++b) check(det::float_of(b));
  for (std::uint32_t b = 0x7f7f0000u; b < 0x7f800000u; b += 7) check(det::float_of(b));
  EXPECT_LE(worst.ulps, 1.0) << where(worst);
}

TEST(DetMath, LogF32SpecialValues) {
  EXPECT_EQ(det::bits_of(det::log(1.0f)), 0u);  // +0 exactly
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(det::log(0.0f), -inf);
  EXPECT_EQ(det::log(-0.0f), -inf);
  EXPECT_EQ(det::log(inf), inf);
  // NaN for negative arguments, always with the same bits (x86 and CUDA NaNs differ).
  EXPECT_EQ(det::bits_of(det::log(-1.0f)), 0x7fc00000u);
  EXPECT_EQ(det::bits_of(det::log(-inf)), 0x7fc00000u);
  EXPECT_EQ(det::bits_of(det::log(-std::numeric_limits<float>::denorm_min())), 0x7fc00000u);
  EXPECT_TRUE(std::isnan(det::log(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_LE(ulps(det::log(2.0f), std::log(2.0)), 1.0);
  EXPECT_EQ(det::log(0.5f), -det::log(2.0f));
  EXPECT_LE(ulps(det::log(std::numeric_limits<float>::denorm_min()), std::log(0x1p-149)), 1.0);
  EXPECT_LE(ulps(det::log(std::numeric_limits<float>::max()),
                 std::log(static_cast<double>(std::numeric_limits<float>::max()))),
            1.0);
  // Box-Muller's extremes: the smallest and largest uniforms the kernel draws.
  EXPECT_LE(ulps(det::log(0x1p-24f), std::log(0x1p-24)), 1.0);
  EXPECT_LE(ulps(det::log(1.0f - 0x1p-24f), std::log1p(-0x1p-24)), 1.0);
}

TEST(DetMath, SinCos2PiWithinTwoUlps) {
  WorstCase worst_sin, worst_cos;
  auto check = [&](float t) {
    if (!det::is_finite(t)) return;
    const det::SinCos sc = det::sincos_2pi(t);
    worst_sin.note(ulps(sc.sin, sin_2pi_reference(t, false)), t);
    worst_cos.note(ulps(sc.cos, sin_2pi_reference(t, true)), t);
  };
  // Every 97th float in [-1, 1] (tiny ones included, where sin ~ 2 pi t).
  sweep_floats(97, [&](float t) {
    if (std::fabs(t) <= 1.0f) check(t);
  });
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f), wide(-1000.0f, 1000.0f);
  for (int i = 0; i < 1000000; ++i) check(i % 2 ? unit(rng) : wide(rng));
  // The uniforms Box-Muller uses: odd multiples of 2^-24.
  for (std::uint32_t j = 1; j < (1u << 24); j += 2 * 101) check(static_cast<float>(j) * 0x1p-24f);
  EXPECT_LE(worst_sin.ulps, 2.0) << "sin " << where(worst_sin);
  EXPECT_LE(worst_cos.ulps, 2.0) << "cos " << where(worst_cos);
}

TEST(DetMath, SinCos2PiSpecialValues) {
  auto expect = [](float t, float s, float c) {
    const det::SinCos sc = det::sincos_2pi(t);
    EXPECT_EQ(sc.sin, s) << "sin(2 pi " << t << ")";
    EXPECT_EQ(sc.cos, c) << "cos(2 pi " << t << ")";
  };
  // Whole quarter turns are exact.
  expect(0.0f, 0.0f, 1.0f);
  expect(0.25f, 1.0f, 0.0f);
  expect(0.5f, 0.0f, -1.0f);
  expect(0.75f, -1.0f, 0.0f);
  expect(1.0f, 0.0f, 1.0f);
  expect(-0.25f, -1.0f, 0.0f);
  expect(-1.75f, 1.0f, 0.0f);
  expect(12345.5f, 0.0f, -1.0f);
  expect(0x1p23f, 0.0f, 1.0f);  // every float this large is a whole number of turns
  expect(3e38f, 0.0f, 1.0f);
  EXPECT_EQ(det::bits_of(det::sincos_2pi(0.0f).sin), 0u);  // +0, as std::sin(+0)
  EXPECT_EQ(det::bits_of(det::sincos_2pi(-0.0f).sin), 0x80000000u);
  // Tiny turns: sin(2 pi t) is 2 pi t to float precision.
  EXPECT_LE(ulps(det::sincos_2pi(1e-30f).sin, 2 * M_PI * 1e-30f), 1.0);
  EXPECT_EQ(det::sincos_2pi(1e-30f).cos, 1.0f);
  for (float t : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_EQ(det::bits_of(det::sincos_2pi(t).sin), 0x7fc00000u);
    EXPECT_EQ(det::bits_of(det::sincos_2pi(t).cos), 0x7fc00000u);
  }
}

TEST(DetMath, ExpF64WithinOneUlp) {
  long double worst = 0;
  double at = 0;
  auto check = [&](double x) {
    const long double ref = std::exp(static_cast<long double>(x));
    const long double e = std::fabs(static_cast<long double>(det::exp(x)) - ref) / ulp_f64(ref);
    if (e > worst) {
      worst = e;
      at = x;
    }
  };
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> any(-745.0, 709.78), small(-2.0, 2.0);
  for (int i = 0; i < 2000000; ++i) check(i % 2 ? any(rng) : small(rng));
  for (double x = -745.0; x < -700.0; x += 1.0 / 64) check(x);  // subnormal results
  for (double x = -1e-6; x < 1e-6; x += 1e-9) check(x);
  EXPECT_LE(static_cast<double>(worst), 1.0) << static_cast<double>(worst) << " ulps at " << at;
}

TEST(DetMath, ExpF64SpecialValues) {
  EXPECT_EQ(det::bits_of(det::exp(0.0)), det::bits_of(1.0));
  EXPECT_EQ(det::bits_of(det::exp(-0.0)), det::bits_of(1.0));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(det::exp(inf), inf);
  EXPECT_EQ(det::bits_of(det::exp(-inf)), 0u);
  EXPECT_EQ(det::exp(710.0), inf);
  EXPECT_EQ(det::exp(709.79), inf);  // log(DBL_MAX) = 709.7827...
  EXPECT_LE(static_cast<double>(std::fabs(static_cast<long double>(det::exp(709.78)) -
                                          std::exp(static_cast<long double>(709.78))) /
                                ulp_f64(std::exp(static_cast<long double>(709.78)))),
            1.0);
  EXPECT_EQ(det::exp(1e300), inf);
  EXPECT_EQ(det::bits_of(det::exp(-746.0)), 0u);
  EXPECT_EQ(det::bits_of(det::exp(-1e300)), 0u);
  EXPECT_EQ(det::exp(-745.0), std::numeric_limits<double>::denorm_min());
  EXPECT_TRUE(std::isnan(det::exp(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(det::exp(1e-300), 1.0);
}

TEST(DetMath, SqrtIsCorrectlyRounded) {
  std::mt19937 rng(15);
  for (int i = 0; i < 100000; ++i) {
    const float x = det::float_of(static_cast<std::uint32_t>(rng()) & 0x7fffffffu);
    if (!det::is_finite(x)) continue;
    ASSERT_EQ(det::bits_of(det::sqrt(x)), det::bits_of(std::sqrt(x))) << x;
    const double d =
        std::ldexp(static_cast<double>(rng()) + 1, static_cast<int>(rng() % 200) - 100);
    ASSERT_EQ(det::bits_of(det::sqrt(d)), det::bits_of(std::sqrt(d))) << d;
  }
}

// The exact bits of each function over a fixed set of inputs, pinned. Consensus depends on these
// bits, not on the accuracy above: a change to any constant or to the order of operations changes
// them, and would split CPU replicas built before the change from GPU replicas built after it.
TEST(DetMath, PinnedBits) {
  ByteWriter w(4 * 5 * 65536);
  for (std::uint32_t i = 0; i < 65536; ++i) {
    const std::uint32_t pattern = i * 65537u + 12345u;  // spread over all bit patterns
    const float x = det::float_of(pattern);
    const float u = static_cast<float>((pattern >> 8) | 1u) * 0x1p-24f;
    w.u32(det::bits_of(det::exp(x)));
    w.u32(det::bits_of(det::log(x)));
    const det::SinCos sc = det::sincos_2pi(u);
    w.u32(det::bits_of(sc.sin));
    w.u32(det::bits_of(sc.cos));
    w.u32(static_cast<std::uint32_t>(det::bits_of(det::exp(static_cast<double>(x) / 128))));
  }
  EXPECT_EQ(to_hex(sha256(std::move(w).take())),
            "d318f78d1b8e75fd54e1604c1ecc1793898f85652dbdbd99f9402958c7e6e005");
}

}  // namespace
}  // namespace gpoc::kernels
