// The Freivalds certificates of gemm_i8 and gemm_f32: correct outputs pass (for gemm_f32 also
// outputs summed in other orders), every kind of wrong output fails, and the rate at which a
// one-entry corruption slips through matches the 1/2 per round the bound promises.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gemm_test_util.hpp"
#include "gpoc/kernels/certificate.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {
namespace {

using testing::Shape;
using testing::shape_text;

CertificateSeed seed_from(std::uint32_t x) {
  CertificateSeed s{};
  for (int i = 0; i < 4; ++i)
    s[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(x >> (8 * i));
  s[31] = 0x5a;
  return s;
}

struct GemmTask {
  Shape shape;
  Bytes input;
  Bytes output;  // from the CPU backend
};

Bytes cpu_output(std::string_view id, const Shape& s, const Bytes& input) {
  Result<KernelOutput> out = make_cpu_backend()->run(id, 1, testing::gemm_params(s), input);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? out.value().data : Bytes{};
}

GemmTask i8_task(const Shape& s, std::uint64_t seed) {
  GemmTask t{s,
             testing::pack_i8(testing::random_i8(s.m * s.k, seed),
                              testing::random_i8(s.k * s.n, seed + 1)),
             {}};
  t.output = cpu_output("gemm_i8", s, t.input);
  return t;
}

struct F32Task {
  Shape shape;
  std::vector<float> a, b;
  Bytes input;
  Bytes output;  // from the CPU backend
};

F32Task f32_task(const Shape& s, std::uint64_t seed, int exponent_min = -4, int exponent_max = 4) {
  F32Task t{s,
            testing::random_f32(s.m * s.k, seed, exponent_min, exponent_max),
            testing::random_f32(s.k * s.n, seed + 1, exponent_min, exponent_max),
            {},
            {}};
  t.input = testing::pack_f32(t.a, t.b);
  t.output = cpu_output("gemm_f32", s, t.input);
  return t;
}

CertificateVerdict check(std::string_view id, const Shape& s, const Bytes& input,
                         const Bytes& output, std::uint32_t rounds, std::uint32_t seed = 1) {
  Result<CertificateVerdict> v =
      check_certificate(id, 1, testing::gemm_params(s), input, output, rounds, seed_from(seed));
  EXPECT_TRUE(v.ok()) << v.status().to_string();
  return v.ok() ? v.value() : CertificateVerdict{};
}

// tau_i as the catalog states it, computed here in long double from the inputs.
double tau(const F32Task& t, std::uint64_t i) {
  const Shape& s = t.shape;
  long double bound = 0;
  for (std::uint64_t p = 0; p < s.k; ++p) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      bound += std::fabs(static_cast<long double>(t.a[i * s.k + p]) * t.b[p * s.n + j]);
    }
  }
  return static_cast<double>(std::ldexp(2.0L * static_cast<long double>(s.k + 2), -24) * bound +
                             std::ldexp(static_cast<long double>(s.n * s.k), -149));
}

Bytes with_f32(Bytes output, std::uint64_t index, float value) {
  std::vector<float> c = testing::decode_f32(output);
  c[index] = value;
  return testing::encode_f32(c);
}

const std::vector<Shape> kShapes = {
    {1, 1, 1}, {17, 33, 65}, {64, 1, 200}, {2, 300, 3}, {31, 29, 1}};

TEST(GemmCertificate, BothKernelsHaveOne) {
  EXPECT_TRUE(has_certificate("gemm_i8", 1));
  EXPECT_TRUE(has_certificate("gemm_f32", 1));
}

TEST(GemmCertificate, CorrectOutputsPass) {
  std::uint64_t seed = 10;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(shape_text(s));
    const GemmTask i8 = i8_task(s, seed += 2);
    const F32Task f32 = f32_task(s, seed += 2);
    for (std::uint32_t rounds : {1u, 20u, 64u}) {
      for (const CertificateVerdict& v : {check("gemm_i8", s, i8.input, i8.output, rounds),
                                          check("gemm_f32", s, f32.input, f32.output, rounds)}) {
        EXPECT_TRUE(v.passed) << v.reason;
        EXPECT_EQ(v.method, "freivalds");
        EXPECT_EQ(v.rounds, rounds);
        EXPECT_EQ(v.log2_false_accept, -static_cast<double>(rounds));
        EXPECT_TRUE(v.reason.empty());
      }
    }
  }
}

// The tolerance is for any summation order, not only the CPU's: a correctly rounded product and
// a product summed backwards pass too, including when products underflow to subnormals.
TEST(GemmCertificate, F32OtherSummationOrdersPass) {
  struct Case {
    Shape shape;
    int exponent_min, exponent_max;
  };
  for (const Case& c :
       {Case{{23, 19, 700}, -10, 10}, Case{{23, 19, 700}, -70, -58}, Case{{40, 40, 40}, 0, 0}}) {
    SCOPED_TRACE(shape_text(c.shape) + " exponent " + std::to_string(c.exponent_min));
    const F32Task t = f32_task(c.shape, 77, c.exponent_min, c.exponent_max);
    const Shape& s = t.shape;
    std::vector<float> rounded(s.m * s.n), backwards(s.m * s.n);
    const testing::DoubleProduct exact = testing::product_f64(s, t.a, t.b);
    for (std::uint64_t i = 0; i < s.m; ++i) {
      for (std::uint64_t j = 0; j < s.n; ++j) {
        rounded[i * s.n + j] = static_cast<float>(exact.c[i * s.n + j]);
        float sum = 0.0f;
        for (std::uint64_t p = s.k; p-- > 0;) sum = sum + t.a[i * s.k + p] * t.b[p * s.n + j];
        backwards[i * s.n + j] = sum;
      }
    }
    if (c.exponent_min >= -10) {  // (sums of subnormals are exact in any order)
      EXPECT_NE(testing::encode_f32(backwards), t.output);  // a different order, different bits
    }
    for (const std::vector<float>& c_values : {rounded, backwards}) {
      const CertificateVerdict v = check("gemm_f32", s, t.input, testing::encode_f32(c_values), 40);
      EXPECT_TRUE(v.passed) << v.reason;
    }
  }
}

// Every product is just below 2^-150 and rounds to 0: an honest C is all zeros, off from the
// exact product by about k 2^-150 per entry, far more than the relative part of tau covers. The
// absolute part n k 2^-149 is what lets it pass.
TEST(GemmCertificate, F32ProductsThatUnderflowToZeroPass) {
  const Shape s{2, 3, 1000};
  const std::vector<float> a(s.m * s.k, std::ldexp(1.0f, -75));
  const std::vector<float> b(s.k * s.n, std::ldexp(1.0f - std::ldexp(1.0f, -24), -75));
  const Bytes input = testing::pack_f32(a, b);
  const Bytes output = cpu_output("gemm_f32", s, input);
  ASSERT_EQ(output, Bytes(4 * s.m * s.n, 0));  // +0.0f everywhere
  const CertificateVerdict v = check("gemm_f32", s, input, output, 10);
  EXPECT_TRUE(v.passed) << v.reason;
}

TEST(GemmCertificate, I8SingleCorruptedEntryFails) {
  const GemmTask t = i8_task({17, 33, 65}, 3);
  const std::vector<std::int32_t> good = testing::decode_i32(t.output);
  for (std::size_t index : {std::size_t{0}, std::size_t{16 * 33 + 32}, std::size_t{8 * 33 + 5}}) {
    for (std::int64_t delta :
         {std::int64_t{1}, std::int64_t{-1}, std::int64_t{1} << 20, -(std::int64_t{1} << 31)}) {
      std::vector<std::int32_t> c = good;
      c[index] = static_cast<std::int32_t>(static_cast<std::uint32_t>(c[index]) +
                                           static_cast<std::uint32_t>(delta));
      const CertificateVerdict v = check("gemm_i8", t.shape, t.input, testing::encode_i32(c), 40);
      EXPECT_FALSE(v.passed) << "index " << index << " delta " << delta;
      EXPECT_NE(v.reason.find("of C r differs from A (B r)"), std::string::npos) << v.reason;
      EXPECT_EQ(v.rounds, 0u);
      EXPECT_EQ(v.log2_false_accept, 0);
    }
  }
}

// Two different entries of one row swapped: the row sums agree, so a check with r = all ones
// would miss it; a random r does not.
TEST(GemmCertificate, I8SwappedEntriesInOneRowFail) {
  const GemmTask t = i8_task({9, 12, 31}, 4);
  std::vector<std::int32_t> c = testing::decode_i32(t.output);
  ASSERT_NE(c[2 * 12 + 3], c[2 * 12 + 7]);
  std::swap(c[2 * 12 + 3], c[2 * 12 + 7]);
  EXPECT_FALSE(check("gemm_i8", t.shape, t.input, testing::encode_i32(c), 40).passed);
}

TEST(GemmCertificate, TransposedOutputsFail) {
  const Shape s{37, 37, 23};
  const GemmTask i8 = i8_task(s, 5);
  const F32Task f32 = f32_task(s, 6);
  std::vector<std::int32_t> ci = testing::decode_i32(i8.output), ti(ci.size());
  std::vector<float> cf = testing::decode_f32(f32.output), tf(cf.size());
  for (std::uint64_t i = 0; i < s.m; ++i) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      ti[j * s.m + i] = ci[i * s.n + j];
      tf[j * s.m + i] = cf[i * s.n + j];
    }
  }
  EXPECT_FALSE(check("gemm_i8", s, i8.input, testing::encode_i32(ti), 40).passed);
  EXPECT_FALSE(check("gemm_f32", s, f32.input, testing::encode_f32(tf), 40).passed);
}

TEST(GemmCertificate, WrongSizesFail) {
  const Shape s{5, 6, 7};  // C is 120 bytes
  const GemmTask i8 = i8_task(s, 7);
  const F32Task f32 = f32_task(s, 8);
  for (const char* id : {"gemm_i8", "gemm_f32"}) {
    const Bytes& input = std::string_view(id) == "gemm_i8" ? i8.input : f32.input;
    const Bytes& good = std::string_view(id) == "gemm_i8" ? i8.output : f32.output;
    Bytes shorter(good.begin(), good.end() - 4), longer = good;
    longer.push_back(0);
    for (const Bytes& output : {shorter, longer, Bytes{}}) {
      const CertificateVerdict v = check(id, s, input, output, 3);
      EXPECT_FALSE(v.passed) << id;
      EXPECT_EQ(v.reason, "output is " + std::to_string(output.size()) + " bytes, expected 120");
    }
  }
}

TEST(GemmCertificate, F32EntryOffByMoreThanTwiceTauFailsAndWithinTauPasses) {
  const F32Task t = f32_task({17, 33, 65}, 9);
  const std::vector<float> good = testing::decode_f32(t.output);
  for (std::uint64_t index : {std::uint64_t{0}, std::uint64_t{16 * 33 + 32}, std::uint64_t{40}}) {
    const double tau_i = tau(t, index / 33);
    for (double sign : {1.0, -1.0}) {
      const float far = static_cast<float>(good[index] + sign * 4 * tau_i);
      const CertificateVerdict v =
          check("gemm_f32", t.shape, t.input, with_f32(t.output, index, far), 40);
      EXPECT_FALSE(v.passed) << "index " << index;
      EXPECT_NE(v.reason.find("exceeds tau"), std::string::npos) << v.reason;
      const float near = static_cast<float>(good[index] + sign * tau_i / 4);
      ASSERT_NE(near, good[index]);  // a change the check sees, and tolerates
      EXPECT_TRUE(check("gemm_f32", t.shape, t.input, with_f32(t.output, index, near), 40).passed);
    }
  }
}

TEST(GemmCertificate, F32NonFiniteOutputsFail) {
  const F32Task t = f32_task({4, 5, 6}, 10);
  CertificateVerdict v = check("gemm_f32", t.shape, t.input,
                               with_f32(t.output, 7, std::numeric_limits<float>::quiet_NaN()), 1);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "C[1][2] is NaN");
  v = check("gemm_f32", t.shape, t.input,
            with_f32(t.output, 19, -std::numeric_limits<float>::infinity()), 1);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "C[3][4] is inf");
}

// Inputs the tolerance cannot cover are an error, not a verdict on the worker's output.
TEST(GemmCertificate, F32InputsOutsideTheBoundAreAnError) {
  const Shape s{2, 2, 2};
  std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  a[1] = std::numeric_limits<float>::quiet_NaN();
  Result<CertificateVerdict> v =
      check_certificate("gemm_f32", 1, testing::gemm_params(s), testing::pack_f32(a, b),
                        Bytes(16, 0), 1, seed_from(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(v.status().message(), "gemm_f32: no certificate for inputs with inf or NaN (A[0][1])");
  a[1] = 2;
  b[2] = std::numeric_limits<float>::infinity();
  v = check_certificate("gemm_f32", 1, testing::gemm_params(s), testing::pack_f32(a, b),
                        Bytes(16, 0), 1, seed_from(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "gemm_f32: no certificate for inputs with inf or NaN (B[1][0])");
  // 2^100 * 2^100 overflows float: an honest C is inf, which the check cannot bound.
  const Shape one{1, 1, 1};
  const std::vector<float> big = {std::ldexp(1.0f, 100)};
  v = check_certificate("gemm_f32", 1, testing::gemm_params(one), testing::pack_f32(big, big),
                        cpu_output("gemm_f32", one, testing::pack_f32(big, big)), 1, seed_from(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(v.status().message(),
            "gemm_f32: no certificate when |A| |B| can reach the float range (row 0: "
            "(|A| |B| 1)_i = 1.60693804e+60 > 2^127)");
}

TEST(GemmCertificate, RejectsBadTasks) {
  Result<CertificateVerdict> v = check_certificate("gemm_i8", 1, {{"m", "1"}, {"n", "1"}}, Bytes(2),
                                                   Bytes(4), 1, seed_from(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(v.status().message(), "gemm_i8: missing required parameter k");
  v = check_certificate("gemm_f32", 1, testing::gemm_params({1, 1, 1}), Bytes(7), Bytes(4), 1,
                        seed_from(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::invalid_argument);
}

// One wrong entry C[i][j] passes a round exactly when r_j = 0, so with `rounds` rounds it passes
// for a fraction 2^-rounds of seeds. Over 400 seeds the count must lie within 4.5 standard
// deviations of that (a failure here by chance has probability below 1e-5), which checks the
// bound from above and, from below, that r really is random.
TEST(GemmCertificate, OneEntryCorruptionPassesAtTheStatedRate) {
  const Shape s{9, 13, 7};
  const GemmTask i8 = i8_task(s, 11);
  const F32Task f32 = f32_task(s, 12);
  std::vector<std::int32_t> ci = testing::decode_i32(i8.output);
  ci[4 * 13 + 6] += 3;
  const Bytes bad_i8 = testing::encode_i32(ci);
  const Bytes bad_f32 =
      with_f32(f32.output, 4 * 13 + 6,
               static_cast<float>(testing::decode_f32(f32.output)[4 * 13 + 6] + 4 * tau(f32, 4)));
  constexpr int kSeeds = 400;
  for (std::uint32_t rounds : {1u, 2u, 3u}) {
    int passes_i8 = 0, passes_f32 = 0;
    for (std::uint32_t seed = 0; seed < kSeeds; ++seed) {
      const std::uint32_t key = rounds * 100000 + seed;
      passes_i8 += check("gemm_i8", s, i8.input, bad_i8, rounds, key).passed ? 1 : 0;
      passes_f32 += check("gemm_f32", s, f32.input, bad_f32, rounds, key).passed ? 1 : 0;
    }
    const double p = std::ldexp(1.0, -static_cast<int>(rounds));
    const double mean = kSeeds * p;
    const double margin = 4.5 * std::sqrt(kSeeds * p * (1 - p));
    for (int passes : {passes_i8, passes_f32}) {
      EXPECT_LE(passes, mean + margin) << "rounds " << rounds;
      EXPECT_GE(passes, mean - margin) << "rounds " << rounds;
    }
  }
}

}  // namespace
}  // namespace gpoc::kernels
