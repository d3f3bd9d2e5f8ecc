// mc_option v1: its random numbers (Philox against the Random123 known answers), its prices
// against closed forms and an independent simulation, its reduction tree against an independent
// split, its determinism (pinned bytes), its handling of invalid records and its validation
// messages. The suite is typed over the backends, so a GPU run holds the CUDA backend to the same
// pinned bytes as the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "conformance_fixture.hpp"
#include "gpoc/common/bytes.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "mc_option.hpp"
#include "mc_option_body.hpp"
#include "philox.hpp"

namespace gpoc::kernels {
namespace {

using detail::Philox4x32Counter;
using detail::Philox4x32Key;
namespace det = detail::det;

// ---------------------------------------------------------------------------------------------
// Philox4x32 and the uniforms.

struct Kat {
  Philox4x32Counter counter;
  Philox4x32Key key;
  Philox4x32Counter expected;
};

void expect_words(const Philox4x32Counter& got, const Philox4x32Counter& want) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got.v[i], want.v[i]) << "word " << i;
}

// Known-answer vectors from Random123's tests/kat_vectors (github.com/DEShawResearch/random123),
// the "philox4x32 7" and "philox4x32 10" lines: counter (4 words), key (2 words), output (4 words).
TEST(Philox4x32, Random123KnownAnswers) {
  const Kat ten[] = {
      {{{0x00000000, 0x00000000, 0x00000000, 0x00000000}},
       {{0x00000000, 0x00000000}},
       {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
       {{0xffffffff, 0xffffffff}},
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
       {{0xa4093822, 0x299f31d0}},
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const Kat& k : ten) expect_words(detail::philox4x32(k.counter, k.key), k.expected);
  const Kat seven[] = {
      {{{0x00000000, 0x00000000, 0x00000000, 0x00000000}},
       {{0x00000000, 0x00000000}},
       {{0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
       {{0xffffffff, 0xffffffff}},
       {{0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
       {{0xa4093822, 0x299f31d0}},
       {{0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a}}},
  };
  for (const Kat& k : seven) expect_words(detail::philox4x32<7>(k.counter, k.key), k.expected);
}

TEST(McUniform, IsStrictlyInsideZeroOneAndSymmetric) {
  EXPECT_EQ(detail::mc_uniform(0), 0x1p-24f);
  EXPECT_EQ(detail::mc_uniform(0xff), 0x1p-24f);
  EXPECT_EQ(detail::mc_uniform(0x100), 0x1p-24f);  // the low 9 bits are dropped
  EXPECT_EQ(detail::mc_uniform(0x200), 3 * 0x1p-24f);
  EXPECT_EQ(detail::mc_uniform(0xffffffff), 1.0f - 0x1p-24f);
  EXPECT_EQ(detail::mc_uniform(0x80000000), 0.5f + 0x1p-24f);
  std::mt19937 rng(21);
  for (int i = 0; i < 100000; ++i) {
    const std::uint32_t u = static_cast<std::uint32_t>(rng());
    const float x = detail::mc_uniform(u);
    ASSERT_GT(x, 0.0f);
    ASSERT_LT(x, 1.0f);
    ASSERT_EQ(x + detail::mc_uniform(~u), 1.0f) << u;  // exact: both are odd multiples of 2^-24
  }
}

// The Box-Muller normals the kernel draws (option 0, path p, block 0): mean 0, variance 1, and
// the normal's tail fractions, over 2^20 pairs.
TEST(McBoxMuller, DrawsStandardNormals) {
  const Philox4x32Key key = {{7, 9}};
  const int pairs = 1 << 20;
  double sum = 0, sum_sq = 0;
  int below_minus_1_96 = 0, above_1 = 0;
  for (int p = 0; p < pairs; ++p) {
    const Philox4x32Counter w = detail::philox4x32({{static_cast<std::uint32_t>(p), 0, 0, 0}}, key);
    const detail::McNormalPair z = detail::mc_box_muller(w.v[0], w.v[1]);
    for (double v : {static_cast<double>(z.first), static_cast<double>(z.second)}) {
      sum += v;
      sum_sq += v * v;
      below_minus_1_96 += v < -1.959964;
      above_1 += v > 1.0;
    }
  }
  const double n = 2.0 * pairs;
  EXPECT_NEAR(sum / n, 0.0, 4 / std::sqrt(n));
  EXPECT_NEAR(sum_sq / n, 1.0, 4 * std::sqrt(2.0 / n));
  EXPECT_NEAR(below_minus_1_96 / n, 0.025, 4 * std::sqrt(0.025 * 0.975 / n));
  EXPECT_NEAR(above_1 / n, 0.158655, 4 * std::sqrt(0.158655 * 0.841345 / n));
}

// ---------------------------------------------------------------------------------------------
// Records, results and references.

struct OptionRecord {
  std::uint32_t type = detail::kMcEuropeanCall;
  std::uint32_t steps = 1;
  float spot = 100;
  float strike = 100;
  float rate = 0.05f;
  float volatility = 0.2f;
  float maturity = 1;
  std::uint32_t reserved = 0;
};

OptionRecord european(bool call, float spot, float strike, float rate, float vol, float maturity) {
  return {call ? detail::kMcEuropeanCall : detail::kMcEuropeanPut,
          1,
          spot,
          strike,
          rate,
          vol,
          maturity,
          0};
}

OptionRecord asian(bool call, std::uint32_t steps, float spot, float strike, float rate, float vol,
                   float maturity) {
  return {call ? detail::kMcAsianCall : detail::kMcAsianPut,
          steps,
          spot,
          strike,
          rate,
          vol,
          maturity,
          0};
}

Bytes encode(const std::vector<OptionRecord>& records) {
  ByteWriter w(records.size() * 32);
  for (const OptionRecord& r : records) {
    w.u32(r.type);
    w.u32(r.steps);
    for (float f : {r.spot, r.strike, r.rate, r.volatility, r.maturity}) {
      w.u32(std::bit_cast<std::uint32_t>(f));
    }
    w.u32(r.reserved);
  }
  return std::move(w).take();
}

struct OptionResult {
  double price = 0;
  double error = 0;
  std::uint32_t status = 0;
  std::uint32_t reserved = 0;
};

std::vector<OptionResult> decode(ByteView out) {
  EXPECT_EQ(out.size() % 24, 0u);
  std::vector<OptionResult> results(out.size() / 24);
  ByteReader r(out);
  for (OptionResult& o : results) {
    std::uint64_t price = 0, error = 0;
    EXPECT_TRUE(r.u64(price) && r.u64(error) && r.u32(o.status) && r.u32(o.reserved));
    o.price = std::bit_cast<double>(price);
    o.error = std::bit_cast<double>(error);
  }
  return results;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Black-Scholes for the float parameters of a European record.
double black_scholes(const OptionRecord& o) {
  const double s = o.spot, k = o.strike, r = o.rate, v = o.volatility, t = o.maturity;
  const double d1 = (std::log(s / k) + (r + v * v / 2) * t) / (v * std::sqrt(t));
  const double d2 = d1 - v * std::sqrt(t);
  if (o.type == detail::kMcEuropeanCall)
    return s * normal_cdf(d1) - k * std::exp(-r * t) * normal_cdf(d2);
  return k * std::exp(-r * t) * normal_cdf(-d2) - s * normal_cdf(-d1);
}

// The standard deviation of the discounted payoff of a European record, in closed form: with
// S_T = S exp(m T + v sqrt(T) Z), m = r - v^2/2, E[S_T^n; S_T > K] = S^n exp(n m T + n^2 v^2 T / 2)
// N(d_n) with d_n = (ln(S/K) + m T + n v^2 T) / (v sqrt(T)), and N(-d_n) below K.
double black_scholes_payoff_sd(const OptionRecord& o) {
  const double s = o.spot, k = o.strike, r = o.rate, v = o.volatility, t = o.maturity;
  const double m = r - v * v / 2;
  const bool call = o.type == detail::kMcEuropeanCall;
  auto partial_moment = [&](int n) {  // E[S_T^n] over the paths that pay
    const double d = (std::log(s / k) + m * t + n * v * v * t) / (v * std::sqrt(t));
    return std::pow(s, n) * std::exp(n * m * t + n * n * v * v * t / 2) * normal_cdf(call ? d : -d);
  };
  const double sign = call ? 1 : -1;
  const double mean = sign * (partial_moment(1) - k * partial_moment(0));
  const double second = partial_moment(2) - 2 * k * partial_moment(1) + k * k * partial_moment(0);
  return std::exp(-r * t) * std::sqrt(second - mean * mean);
}

// An arithmetic-average Asian option priced by an independent simulation: float64, the standard
// library's generator, normal distribution and exp.
OptionResult asian_reference(const OptionRecord& o, int paths, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const double dt = static_cast<double>(o.maturity) / o.steps;
  const double drift = (o.rate - 0.5 * o.volatility * o.volatility) * dt;
  const double vol = o.volatility * std::sqrt(dt);
  double sum = 0, sum_sq = 0;
  for (int p = 0; p < paths; ++p) {
    double x = 0, average = 0;
    for (std::uint32_t j = 0; j < o.steps; ++j) {
      x += drift + vol * normal(rng);
      average += std::exp(x);
    }
    average *= static_cast<double>(o.spot) / o.steps;
    const double gain = o.type == detail::kMcAsianCall ? average - o.strike : o.strike - average;
    const double payoff = std::max(gain, 0.0);
    sum += payoff;
    sum_sq += payoff * payoff;
  }
  const double discount = std::exp(-static_cast<double>(o.rate) * o.maturity);
  const double mean = sum / paths;
  return {discount * mean, discount * std::sqrt((sum_sq / paths - mean * mean) / (paths - 1)), 0,
          0};
}

// |a - b| within k combined standard errors.
::testing::AssertionResult within_errors(double a, double a_error, double b, double b_error,
                                         double k = 4) {
  const double tolerance = k * std::sqrt(a_error * a_error + b_error * b_error);
  if (std::fabs(a - b) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << a << " and " << b << " differ by " << std::fabs(a - b) << ", more than " << k
         << " combined standard errors (" << tolerance << ")";
}

// ---------------------------------------------------------------------------------------------
// The kernel on every backend.

template <typename Maker>
class McOptionConformance : public KernelConformance<Maker> {
 protected:
  Bytes run_bytes(const std::vector<OptionRecord>& records, std::uint64_t paths,
                  std::uint64_t seed = 0) {
    return this->run_ok("mc_option",
                        {{"paths", std::to_string(paths)}, {"seed", std::to_string(seed)}},
                        encode(records));
  }
  std::vector<OptionResult> run(const std::vector<OptionRecord>& records, std::uint64_t paths,
                                std::uint64_t seed = 0) {
    std::vector<OptionResult> results = decode(run_bytes(records, paths, seed));
    EXPECT_EQ(results.size(), records.size());
    results.resize(records.size());
    return results;
  }
};

TYPED_TEST_SUITE(McOptionConformance, Backends, BackendName);

const std::vector<OptionRecord>& black_scholes_cases() {
  static const std::vector<OptionRecord> cases = {
      european(true, 100, 100, 0.05f, 0.2f, 1),
      european(false, 100, 100, 0.05f, 0.2f, 1),
      european(true, 100, 90, 0.03f, 0.3f, 0.5f),
      european(false, 100, 90, 0.03f, 0.3f, 0.5f),
      european(true, 50, 60, 0.01f, 0.4f, 2),
      european(false, 50, 60, 0.01f, 0.4f, 2),
      european(true, 100, 120, -0.01f, 0.15f, 0.25f),
      european(false, 100, 120, -0.01f, 0.15f, 0.25f),
      european(true, 10, 10, 0.1f, 0.6f, 3),
      european(false, 10, 10, 0.1f, 0.6f, 3),
  };
  return cases;
}

constexpr std::uint64_t kManyPaths = std::uint64_t{1} << 20;

TYPED_TEST(McOptionConformance, EuropeanPricesMatchBlackScholes) {
  const std::vector<OptionRecord>& cases = black_scholes_cases();
  const std::vector<OptionResult> results = this->run(cases, kManyPaths, 2024);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    EXPECT_EQ(results[i].status, 0u);
    EXPECT_EQ(results[i].reserved, 0u);
    EXPECT_GT(results[i].error, 0.0);
    const double true_error = black_scholes_payoff_sd(cases[i]) / std::sqrt(double{kManyPaths});
    EXPECT_NEAR(results[i].error, true_error, 0.03 * true_error);
    EXPECT_TRUE(within_errors(results[i].price, results[i].error, black_scholes(cases[i]), 0));
  }
}

// C - P = S - K exp(-rT) for every pair of call and put with the same parameters.
TYPED_TEST(McOptionConformance, PutCallParityHoldsWithinTheErrors) {
  const std::vector<OptionRecord>& cases = black_scholes_cases();
  const std::vector<OptionResult> results = this->run(cases, kManyPaths, 77);
  for (std::size_t i = 0; i < cases.size(); i += 2) {
    const OptionRecord& o = cases[i];
    const double forward_gap = o.spot - static_cast<double>(o.strike) *
                                            std::exp(-static_cast<double>(o.rate) * o.maturity);
    EXPECT_TRUE(within_errors(results[i].price - results[i + 1].price,
                              std::hypot(results[i].error, results[i + 1].error), forward_gap, 0))
        << "case " << i;
  }
}

// Averaging lowers the volatility of what the payoff sees: an Asian call is worth less than the
// European call with the same parameters; both estimates, up to their errors.
TYPED_TEST(McOptionConformance, AsianCallIsWorthLessThanTheEuropeanCall) {
  const std::vector<OptionRecord> records = {
      european(true, 100, 100, 0.05f, 0.2f, 1), asian(true, 12, 100, 100, 0.05f, 0.2f, 1),
      european(true, 100, 80, 0.02f, 0.5f, 2), asian(true, 52, 100, 80, 0.02f, 0.5f, 2)};
  const std::vector<OptionResult> r = this->run(records, std::uint64_t{1} << 18, 5);
  for (std::size_t i = 0; i < records.size(); i += 2) {
    EXPECT_EQ(r[i + 1].status, 0u);
    EXPECT_LE(r[i + 1].price, r[i].price + 4 * std::hypot(r[i].error, r[i + 1].error)) << i;
    EXPECT_LT(r[i + 1].price, r[i].price) << i;  // by far more than the errors here
  }
}

TYPED_TEST(McOptionConformance, AsianPricesMatchAnIndependentSimulation) {
  const std::vector<OptionRecord> records = {
      asian(true, 12, 100, 100, 0.05f, 0.2f, 1), asian(false, 12, 100, 100, 0.05f, 0.2f, 1),
      asian(true, 7, 40, 35, 0.03f, 0.45f, 0.75f), asian(false, 30, 40, 45, 0.0f, 0.3f, 2)};
  const int paths = 1 << 18;
  const std::vector<OptionResult> r = this->run(records, paths, 99);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const OptionResult ref = asian_reference(records[i], paths, 1000 + i);
    EXPECT_TRUE(within_errors(r[i].price, r[i].error, ref.price, ref.error)) << "case " << i;
    EXPECT_NEAR(r[i].error, ref.error, 0.05 * ref.error) << "case " << i;
  }
}

// With one averaging date an Asian option is a European one: within the errors when the two draw
// different numbers (different record indices), and to the bit when they draw the same.
TYPED_TEST(McOptionConformance, AsianWithOneStepIsTheEuropean) {
  const OptionRecord e = european(true, 100, 95, 0.04f, 0.25f, 1.5f);
  const OptionRecord a = asian(true, 1, 100, 95, 0.04f, 0.25f, 1.5f);
  const std::vector<OptionResult> both = this->run({e, a}, kManyPaths / 4, 3);
  EXPECT_TRUE(within_errors(both[0].price, both[0].error, both[1].price, both[1].error));
  EXPECT_EQ(this->run_bytes({a}, 10007, 3), this->run_bytes({e}, 10007, 3));
  const OptionRecord ep = european(false, 100, 95, 0.04f, 0.25f, 1.5f);
  const OptionRecord ap = asian(false, 1, 100, 95, 0.04f, 0.25f, 1.5f);
  EXPECT_EQ(this->run_bytes({ap}, 10007, 3), this->run_bytes({ep}, 10007, 3));
}

// The first path by hand in float64 from the Philox words (checked against Random123 above): the
// counter layout (path, 0, option, block), the key (seed low, seed high), the uniforms, Box-Muller
// and the walk, to float precision.
TYPED_TEST(McOptionConformance, OnePathFollowsTheDocumentedDraws) {
  const std::uint64_t seed = 0x0123456789abcdefull;
  const OptionRecord e = european(true, 100, 50, 0.05f, 0.3f, 2);
  const OptionRecord a = asian(false, 6, 100, 130, 0.02f, 0.4f, 1);  // two Philox blocks
  const std::vector<OptionResult> r = this->run({e, a}, 1, seed);
  const Philox4x32Key key = {{0x89abcdefu, 0x01234567u}};
  auto uniform = [](std::uint32_t w) { return (2.0 * (w >> 9) + 1) / 16777216.0; };
  auto normals = [&](std::uint32_t option, std::uint32_t block) {
    const Philox4x32Counter w = detail::philox4x32({{0, 0, option, block}}, key);
    const double r0 = std::sqrt(-2 * std::log(uniform(w.v[0])));
    const double r1 = std::sqrt(-2 * std::log(uniform(w.v[2])));
    const double a0 = 2 * M_PI * uniform(w.v[1]), a1 = 2 * M_PI * uniform(w.v[3]);
    return std::vector<double>{r0 * std::cos(a0), r0 * std::sin(a0), r1 * std::cos(a1),
                               r1 * std::sin(a1)};
  };
  auto walk = [&](const OptionRecord& o, std::uint32_t option) {
    const double dt = static_cast<double>(o.maturity) / o.steps;
    double x = 0, sum = 0;
    for (std::uint32_t j = 0; j < o.steps; ++j) {
      const double z = normals(option, j / 4)[j % 4];
      x += (o.rate - 0.5 * o.volatility * o.volatility) * dt + o.volatility * std::sqrt(dt) * z;
      sum += std::exp(x);
    }
    const double average = o.spot * sum / o.steps;
    const bool call = o.type == detail::kMcEuropeanCall || o.type == detail::kMcAsianCall;
    return std::exp(-static_cast<double>(o.rate) * o.maturity) *
           std::max(call ? average - o.strike : o.strike - average, 0.0);
  };
  const double expected_e = walk(e, 0), expected_a = walk(a, 1);
  ASSERT_GT(expected_e, 0.0);
  ASSERT_GT(expected_a, 0.0);  // both paths end in the money, so the payoff formula is exercised
  EXPECT_NEAR(r[0].price, expected_e, 1e-5 * expected_e);
  EXPECT_NEAR(r[1].price, expected_a, 1e-5 * expected_a);
  EXPECT_EQ(r[0].error, 0.0);  // one path: no sample variance
  EXPECT_EQ(r[1].error, 0.0);
}

// The reduction by an independent route: chunk sums in path order, then RFC 6962's recursive
// split at the largest power of two below n (the kernel pairs level by level instead). The
// payoffs come from the path body, which the tests above check; this checks the tree, to the bit.
OptionResult reference_by_split(const OptionRecord& o, std::uint32_t option, std::uint64_t paths,
                                std::uint64_t seed) {
  const detail::McOption opt = detail::mc_load_option(encode({o}).data());
  const detail::McWalk walk = detail::mc_walk(opt);
  const Philox4x32Key key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  std::vector<detail::McSums> chunks;
  for (std::uint64_t first = 0; first < paths; first += 256) {
    detail::McSums c = {0, 0};
    for (std::uint64_t p = first; p < std::min(first + 256, paths); ++p) {
      const double payoff = detail::mc_path_payoff(opt, walk, option, p, key);
      c.sum += payoff;
      c.sum_sq += payoff * payoff;
    }
    chunks.push_back(c);
  }
  struct Split {
    const std::vector<detail::McSums>& leaves;
    detail::McSums operator()(std::size_t lo, std::size_t hi) const {
      if (hi - lo == 1) return leaves[lo];
      std::size_t k = 1;
      while (2 * k < hi - lo) k *= 2;
      const detail::McSums l = (*this)(lo, lo + k), r = (*this)(lo + k, hi);
      return {l.sum + r.sum, l.sum_sq + r.sum_sq};
    }
  };
  const detail::McSums root = Split{chunks}(0, chunks.size());
  const double n = static_cast<double>(paths);
  const double mean = root.sum / n;
  const double discount = det::exp(-(static_cast<double>(o.rate) * o.maturity));
  double error = 0;
  if (paths > 1)
    error = discount * std::sqrt(std::max((root.sum_sq - root.sum * mean) / (n - 1), 0.0) / n);
  return {discount * mean, error, 0, 0};
}

TYPED_TEST(McOptionConformance, ReductionTreeMatchesAnIndependentSplit) {
  const std::vector<OptionRecord> records = {european(true, 100, 105, 0.03f, 0.35f, 1),
                                             asian(false, 3, 100, 105, 0.03f, 0.35f, 1)};
  for (std::uint64_t paths : {1u, 2u, 255u, 256u, 257u, 511u, 513u, 1000u, 65537u, 1000003u}) {
    SCOPED_TRACE("paths=" + std::to_string(paths));
    const std::vector<OptionResult> r = this->run(records, paths, 11);
    for (std::uint32_t i = 0; i < records.size(); ++i) {
      const OptionResult ref = reference_by_split(records[i], i, paths, 11);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(r[i].price), std::bit_cast<std::uint64_t>(ref.price))
          << r[i].price << " vs " << ref.price;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(r[i].error), std::bit_cast<std::uint64_t>(ref.error))
          << r[i].error << " vs " << ref.error;
      EXPECT_EQ(r[i].status, 0u);
    }
  }
}

// 131 options (not a multiple of any launch size) with random parameters, kinds and step counts:
// each result is its own option's, drawn from its own stream, to the bit.
TYPED_TEST(McOptionConformance, ManyOptionsEachMatchTheirOwnReference) {
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<OptionRecord> records;
  for (int i = 0; i < 131; ++i) {
    const auto type = static_cast<std::uint32_t>(rng() % 4);
    const std::uint32_t steps = type < 2 ? 1 : 1 + static_cast<std::uint32_t>(rng() % 40);
    records.push_back({type, steps, 50 + 100 * unit(rng), 50 + 100 * unit(rng),
                       0.1f * unit(rng) - 0.02f, 0.6f * unit(rng), 0.1f + 3 * unit(rng), 0});
  }
  const std::vector<OptionResult> r = this->run(records, 300, 12345);
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    const OptionResult ref = reference_by_split(records[i], i, 300, 12345);
    ASSERT_EQ(std::bit_cast<std::uint64_t>(r[i].price), std::bit_cast<std::uint64_t>(ref.price))
        << "option " << i;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(r[i].error), std::bit_cast<std::uint64_t>(ref.error))
        << "option " << i;
  }
}

// More options than one pass holds (2^22 chunk sums, one chunk each here): the results on both
// sides of the pass boundary are still each option's own.
TYPED_TEST(McOptionConformance, ManyOptionsSpanSeveralPasses) {
  const std::size_t options = detail::kMcBatchSumsMax + 3;
  const OptionRecord call = european(true, 100, 50, 0.05f, 0.2f, 1);  // pays on every path
  const std::vector<OptionResult> r = this->run(std::vector<OptionRecord>(options, call), 1, 6);
  for (std::size_t i : {std::size_t{0}, options - 4, options - 3, options - 1}) {
    const OptionResult ref = reference_by_split(call, static_cast<std::uint32_t>(i), 1, 6);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(r[i].price), std::bit_cast<std::uint64_t>(ref.price))
        << "option " << i;
  }
  EXPECT_NE(r[options - 1].price, r[options - 2].price);  // different streams
}

TYPED_TEST(McOptionConformance, PathCountsThatAreNotChunkMultiplesPriceCorrectly) {
  const OptionRecord call = european(true, 100, 100, 0.05f, 0.2f, 1);
  for (std::uint64_t paths : {1u, 255u, 257u, 1000003u}) {
    SCOPED_TRACE("paths=" + std::to_string(paths));
    const OptionResult r = this->run({call}, paths, 8)[0];
    EXPECT_EQ(r.status, 0u);
    EXPECT_TRUE(std::isfinite(r.price));
    EXPECT_GE(r.price, 0.0);
    if (paths == 1) {
      EXPECT_EQ(r.error, 0.0);
    } else {
      EXPECT_GT(r.error, 0.0);
      EXPECT_TRUE(within_errors(r.price, r.error, black_scholes(call), 0));
    }
  }
}

TYPED_TEST(McOptionConformance, SameTaskGivesIdenticalBytes) {
  const std::vector<OptionRecord> records = {european(true, 100, 100, 0.05f, 0.2f, 1),
                                             asian(false, 17, 80, 90, 0.01f, 0.5f, 0.3f)};
  const Bytes first = this->run_bytes(records, 5000, 42);
  EXPECT_EQ(this->run_bytes(records, 5000, 42), first);
  EXPECT_EQ(first.size(), 48u);
}

// Both key words matter, and the stream is keyed, not shared: every seed gives its own prices.
TYPED_TEST(McOptionConformance, DifferentSeedsGiveDifferentPrices) {
  const std::vector<OptionRecord> records = {european(true, 100, 100, 0.05f, 0.2f, 1)};
  std::vector<double> prices;
  for (std::uint64_t seed :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 32, ~std::uint64_t{0}}) {
    prices.push_back(this->run(records, 4096, seed)[0].price);
  }
  for (std::size_t i = 0; i < prices.size(); ++i) {
    for (std::size_t j = i + 1; j < prices.size(); ++j) {
      EXPECT_NE(prices[i], prices[j]) << "seeds " << i << " and " << j;
    }
  }
  // The default seed is 0.
  EXPECT_EQ(this->run_ok("mc_option", {{"paths", "4096"}}, encode(records)),
            this->run_bytes(records, 4096, 0));
}

// A small fixed task's bytes, pinned: every call, put, Asian and invalid path of the kernel. A
// change to the math that would split CPU and GPU replicas (or replicas built before and after
// the change) fails here, on machines with or without a GPU.
TYPED_TEST(McOptionConformance, PinnedOutputOfASmallTask) {
  const std::vector<OptionRecord> records = {
      european(true, 100, 100, 0.05f, 0.2f, 1), european(false, 100, 110, 0.03f, 0.25f, 0.5f),
      asian(true, 12, 100, 95, 0.02f, 0.3f, 1), asian(false, 5, 50, 55, -0.01f, 0.45f, 2)};
  EXPECT_EQ(to_hex(this->run_bytes(records, 1000, 0x0123456789abcdefull)),
            "b8e42b28e6f52440d7657b7910f5dd3f0000000000000000"
            "92b57ae236ec2740c9df942c6959d83f0000000000000000"
            "32b4183e9b242640e9800ba17244dd3f0000000000000000"
            "8887ef907d3a2940c181d6b7ace9d73f0000000000000000");
  std::vector<OptionRecord> more = records;
  more.push_back({detail::kMcAsianCall, 4096, 100, 100, 0.05f, 0.2f, 1, 0});  // the most steps
  more.push_back(european(true, 100, 100, 0.05f, 0.0f, 1));                   // no volatility
  more.push_back(european(true, 100, 0, 0.05f, 0.2f, 1));                     // strike 0
  more.push_back({detail::kMcEuropeanCall, 2, 100, 100, 0.05f, 0.2f, 1, 0});  // invalid
  more.push_back(european(false, 1e-3f, 1e6f, 0.5f, 3.0f, 30));               // deep in the money
  more.push_back(european(true, 1e30f, 1, 50, 10, 20));                       // overflows: inf, NaN
  EXPECT_EQ(to_hex(sha256(this->run_bytes(more, 777, 5))),
            "ccd193b901190599e0d019f2cd02e7c48997792a93fe5e4afe94d0c708483af0");
}

TYPED_TEST(McOptionConformance, ZeroVolatilityIsTheDiscountedForward) {
  const OptionRecord call = european(true, 100, 90, 0.05f, 0.0f, 2);
  const OptionResult r = this->run({call}, 1000, 1)[0];
  const double expected = 100 - 90 * std::exp(-0.05 * 2);
  EXPECT_NEAR(r.price, expected, 1e-5 * expected);
  EXPECT_LE(r.error, 1e-9 * expected);
}

// Each record below breaks one rule; between two valid neighbours it gets status 1 and zeros, and
// the neighbours' bytes are what they are next to a valid record.
TYPED_TEST(McOptionConformance, InvalidRecordsGetStatusOneAndLeaveTheirNeighboursAlone) {
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  constexpr float inf = std::numeric_limits<float>::infinity();
  const OptionRecord left = european(true, 100, 100, 0.05f, 0.2f, 1);
  const OptionRecord right = asian(false, 4, 90, 100, 0.01f, 0.3f, 0.5f);
  const OptionRecord good = european(false, 100, 100, 0.05f, 0.2f, 1);
  const Bytes baseline = this->run_bytes({left, good, right}, 300, 4);
  auto broken = [&](auto change) {
    OptionRecord r = good;
    change(r);
    return r;
  };
  const std::vector<OptionRecord> invalid = {
      broken([](OptionRecord& r) { r.type = 4; }),
      broken([](OptionRecord& r) { r.type = 0xffffffffu; }),
      broken([](OptionRecord& r) { r.steps = 0; }),
      broken([](OptionRecord& r) { r.steps = 2; }),
      broken([](OptionRecord& r) {
        r.type = detail::kMcAsianPut;
        r.steps = 0;
      }),
      broken([](OptionRecord& r) {
        r.type = detail::kMcAsianPut;
        r.steps = 4097;
      }),
      broken([](OptionRecord& r) { r.spot = 0; }),
      broken([](OptionRecord& r) { r.spot = -1; }),
      broken([](OptionRecord& r) { r.spot = nan; }),
      broken([](OptionRecord& r) { r.spot = inf; }),
      broken([](OptionRecord& r) { r.strike = -1; }),
      broken([](OptionRecord& r) { r.strike = inf; }),
      broken([](OptionRecord& r) { r.rate = nan; }),
      broken([](OptionRecord& r) { r.rate = -inf; }),
      broken([](OptionRecord& r) { r.volatility = -0.01f; }),
      broken([](OptionRecord& r) { r.volatility = inf; }),
      broken([](OptionRecord& r) { r.maturity = 0; }),
      broken([](OptionRecord& r) { r.maturity = -1; }),
      broken([](OptionRecord& r) { r.maturity = nan; }),
      broken([](OptionRecord& r) { r.reserved = 1; }),
      broken([](OptionRecord& r) { r.reserved = 0x80000000u; }),
  };
  for (std::size_t i = 0; i < invalid.size(); ++i) {
    SCOPED_TRACE("invalid record " + std::to_string(i));
    const Bytes out = this->run_bytes({left, invalid[i], right}, 300, 4);
    ASSERT_EQ(out.size(), 72u);
    const Bytes expected_middle = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(Bytes(out.begin() + 24, out.begin() + 48), expected_middle);
    EXPECT_EQ(Bytes(out.begin(), out.begin() + 24), Bytes(baseline.begin(), baseline.begin() + 24));
    EXPECT_EQ(Bytes(out.begin() + 48, out.end()), Bytes(baseline.begin() + 48, baseline.end()));
  }
  // Edge values that are valid.
  for (const OptionRecord& r :
       {broken([](OptionRecord& o) { o.strike = 0; }),
        broken([](OptionRecord& o) { o.strike = -0.0f; }),
        broken([](OptionRecord& o) { o.volatility = 0; }),
        broken([](OptionRecord& o) { o.rate = -0.5f; }),
        broken([](OptionRecord& o) { o.maturity = 1e-30f; }), broken([](OptionRecord& o) {
          o.type = detail::kMcAsianCall;
          o.steps = 4096;
        })}) {
    EXPECT_EQ(this->run({r}, 300, 4)[0].status, 0u);
  }
}

TYPED_TEST(McOptionConformance, EmptyInputGivesEmptyOutput) {
  EXPECT_TRUE(this->run_bytes({}, 1000).empty());
}

TYPED_TEST(McOptionConformance, RejectsBadTasksWithExactMessages) {
  auto message = [&](const Params& params, std::size_t input_bytes) {
    Result<KernelOutput> out = this->backend_->run("mc_option", 1, params, Bytes(input_bytes, 0));
    EXPECT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), ErrorCode::invalid_argument);
    return out.status().message();
  };
  EXPECT_EQ(message({{"paths", "10"}}, 33),
            "mc_option: input of 33 bytes is not a multiple of 32 (option records)");
  EXPECT_EQ(message({}, 32), "mc_option: missing required parameter paths");
  EXPECT_EQ(message({{"paths", "0"}}, 32),
            "mc_option: parameter paths=\"0\" is out of range [1, 1073741824]");
}

// A task over the work cap is refused by the backend before anything runs (the same check as
// validate_task, so the CPU and the GPU refuse the same tasks).
TYPED_TEST(McOptionConformance, RefusesWorkOverTheCapBeforeRunning) {
  Result<KernelOutput> out =
      this->backend_->run("mc_option", 1, {{"paths", "67108865"}}, Bytes(4 * 32, 0));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::resource_exhausted);
  EXPECT_NE(out.status().message().find("exceeds the work cap of 2^40 path-steps"),
            std::string::npos)
      << out.status().message();
}

// ---------------------------------------------------------------------------------------------
// Host-only checks.

// The CPU backend with tiny batches (one option per pass, partial last passes) gives the bytes of
// one pass: batching cannot change a result.
TEST(McOptionHost, BatchingLeavesTheBytesAlone) {
  std::vector<OptionRecord> records;
  for (int i = 0; i < 7; ++i) {
    records.push_back(
        i % 2 ? asian(i % 3 == 0, 3 + i, 100, static_cast<float>(90 + i), 0.02f, 0.3f, 1)
              : european(i % 3 == 0, 100, static_cast<float>(90 + i), 0.02f, 0.3f, 1));
  }
  const Bytes input = encode(records);
  auto run = [&](std::uint64_t sums_max) {
    Bytes out(input.size() / 32 * 24, 0xA5);
    detail::run_mc_option_on_host(input, 1000, 9, out.data(), sums_max);
    return out;
  };
  const Bytes one_pass = run(detail::kMcBatchSumsMax);
  for (std::uint64_t sums_max : {1u, 4u, 5u, 8u, 12u, 27u}) {
    EXPECT_EQ(run(sums_max), one_pass) << "sums_max=" << sums_max;
  }
}

TEST(McOptionCatalog, DeclaresItsParametersAndLayouts) {
  const KernelInfo* k = find_kernel("mc_option", 1);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->determinism, Determinism::exact);
  ASSERT_EQ(k->params.size(), 2u);
  EXPECT_EQ(k->params[0].name, "paths");
  EXPECT_TRUE(k->params[0].required);
  EXPECT_EQ(k->params[0].min_value, 1u);
  EXPECT_EQ(k->params[0].max_value, std::uint64_t{1} << 30);
  EXPECT_EQ(k->params[1].name, "seed");
  EXPECT_FALSE(k->params[1].required);
  EXPECT_EQ(k->params[1].default_value, "0");
  EXPECT_EQ(k->params[1].max_value, ~std::uint64_t{0});
  EXPECT_NE(k->input_layout.find("little-endian"), std::string::npos);
  EXPECT_NE(k->output_layout.find("Philox4x32-10"), std::string::npos);
  EXPECT_TRUE(k->certificate.empty());
}

TEST(McOptionCatalog, ValidatesTasks) {
  Result<std::uint64_t> size = validate_task("mc_option", 1, {{"paths", "1"}}, 32 * 1000);
  ASSERT_TRUE(size.ok()) << size.status().to_string();
  EXPECT_EQ(size.value(), 24u * 1000);
  size =
      validate_task("mc_option", 1, {{"paths", "1073741824"}, {"seed", "18446744073709551615"}}, 0);
  ASSERT_TRUE(size.ok()) << size.status().to_string();
  EXPECT_EQ(size.value(), 0u);
  auto rejected = [](const Params& params, std::uint64_t input_bytes) {
    Result<std::uint64_t> r = validate_task("mc_option", 1, params, input_bytes);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
    return r.status().message();
  };
  EXPECT_EQ(rejected({{"paths", "1000"}}, 31),
            "mc_option: input of 31 bytes is not a multiple of 32 (option records)");
  EXPECT_EQ(rejected({{"seed", "1"}}, 32), "mc_option: missing required parameter paths");
  EXPECT_EQ(rejected({{"paths", "1073741825"}}, 32),
            "mc_option: parameter paths=\"1073741825\" is out of range [1, 1073741824]");
  EXPECT_EQ(rejected({{"paths", "0"}}, 32),
            "mc_option: parameter paths=\"0\" is out of range [1, 1073741824]");
  EXPECT_EQ(rejected({{"paths", "10"}, {"seed", "18446744073709551616"}}, 32),
            "mc_option: parameter seed=\"18446744073709551616\" is not a decimal integer (digits "
            "only, no sign or leading zeros)");
  EXPECT_EQ(rejected({{"paths", "10"}, {"seed", "-1"}}, 32),
            "mc_option: parameter seed=\"-1\" is not a decimal integer (digits only, no sign or "
            "leading zeros)");
  EXPECT_EQ(rejected({{"paths", "10"}, {"path", "10"}}, 32),
            "mc_option: unknown parameter \"path\" (parameters: paths, seed)");
}

// The work cap, options x paths x 4096 steps <= 2^40 path-steps, is checked from the sizes alone:
// these tasks are validated, never run.
TEST(McOptionCatalog, RefusesTasksOverTheWorkCap) {
  EXPECT_EQ(detail::kMcPathStepsMax, std::uint64_t{1} << 40);
  auto validate = [](std::uint64_t options, std::uint64_t paths) {
    return validate_task("mc_option", 1, {{"paths", std::to_string(paths)}}, options * 32);
  };
  // At the cap: 4 x 2^26 x 4096 = 2^40, and 1 x 2^28 x 4096.
  for (auto [options, paths] : {std::pair<std::uint64_t, std::uint64_t>{4, 1u << 26},
                                {1, 1u << 28},
                                {1u << 18, 1u << 10}}) {
    Result<std::uint64_t> size = validate(options, paths);
    ASSERT_TRUE(size.ok()) << options << " x " << paths << ": " << size.status().to_string();
    EXPECT_EQ(size.value(), options * 24);
  }
  // One path or one option more.
  Result<std::uint64_t> over = validate(4, (1u << 26) + 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(over.status().message(),
            "mc_option: 4 options x 67108865 paths x up to 4096 steps exceeds the work cap of "
            "2^40 path-steps per task (options x paths <= 268435456); use fewer paths or split "
            "the options across tasks");
  over = validate((1u << 18) + 1, 1u << 10);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::resource_exhausted);
  EXPECT_NE(over.status().message().find("262145 options x 1024 paths"), std::string::npos)
      << over.status().message();
  // The largest sizes the other limits allow (2^25 options, 2^30 paths): no overflow, refused, and
  // the message still fits a protocol error (256 bytes).
  over = validate(std::uint64_t{1} << 25, std::uint64_t{1} << 30);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::resource_exhausted);
  EXPECT_NE(over.status().message().find("33554432 options x 1073741824 paths"), std::string::npos)
      << over.status().message();
  EXPECT_LE(over.status().message().size(), 256u);
  // No options, no work: any paths value is accepted.
  EXPECT_TRUE(validate(0, std::uint64_t{1} << 30).ok());
}

}  // namespace
}  // namespace gpoc::kernels
