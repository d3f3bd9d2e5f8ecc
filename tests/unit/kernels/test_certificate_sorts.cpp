// The sort_u64 and sort_kv_u64 certificates: correct outputs pass with the stated bound, and
// every corruption fails: out of order, a changed value, a value aliased by x + (2^61 - 1) (which
// a plain "x mod p" encoding would accept), swapped 32-bit halves, dropped or added records,
// records with equal keys swapped (sorted, but not stable), the wrong size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gpoc/kernels/certificate.hpp"
#include "test_util.hpp"

namespace gpoc::kernels {
namespace {

using testing::encode_records;
using testing::encode_u64_le;
using testing::Record;

constexpr std::uint64_t kP = (std::uint64_t{1} << 61) - 1;

CertificateSeed seed_of(std::uint8_t b) {
  CertificateSeed s{};
  s.fill(b);
  return s;
}

CertificateVerdict check(std::string_view id, const Bytes& in, const Bytes& out,
                         std::uint32_t rounds = 2, std::uint8_t seed = 7) {
  Result<CertificateVerdict> v = check_certificate(id, 1, {}, in, out, rounds, seed_of(seed));
  EXPECT_TRUE(v.ok()) << v.status().to_string();
  CertificateVerdict error_passes;  // an error must not read as a rejected output
  error_passes.passed = true;
  return v.ok() ? v.value() : error_passes;
}

CertificateVerdict check_u64(const std::vector<std::uint64_t>& in,
                             const std::vector<std::uint64_t>& out, std::uint32_t rounds = 2,
                             std::uint8_t seed = 7) {
  return check("sort_u64", encode_u64_le(in), encode_u64_le(out), rounds, seed);
}

CertificateVerdict check_kv(const std::vector<Record>& in, const std::vector<Record>& out,
                            std::uint32_t rounds = 2, std::uint8_t seed = 7) {
  return check("sort_kv_u64", encode_records(in), encode_records(out), rounds, seed);
}

std::vector<std::uint64_t> random_u64(std::size_t n, std::uint64_t seed, std::uint64_t modulo = 0) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> v(n);
  for (std::uint64_t& x : v) x = modulo ? rng() % modulo : rng();
  return v;
}

// Keys from random_u64 (full range, or few distinct with modulo), values numbering the records
// so that every record is distinct.
std::vector<Record> random_records(std::size_t n, std::uint64_t seed, std::uint64_t modulo = 0) {
  const std::vector<std::uint64_t> keys = random_u64(n, seed, modulo);
  std::vector<Record> records(n);
  for (std::size_t i = 0; i < n; ++i) records[i] = {keys[i], i * 0x9E3779B97F4A7C15ull};
  return records;
}

std::vector<Record> stable_by_key(std::vector<Record> records) {
  std::stable_sort(records.begin(), records.end(),
                   [](const Record& a, const Record& b) { return a.key < b.key; });
  return records;
}

TEST(SortCertificates, KernelsSayWhetherTheyHaveOne) {
  EXPECT_TRUE(has_certificate("sort_u64", 1));
  EXPECT_TRUE(has_certificate("sort_kv_u64", 1));
  EXPECT_FALSE(has_certificate("histogram_u32", 1));
  Result<CertificateVerdict> v =
      check_certificate("histogram_u32", 1, {{"bins", "4"}}, Bytes(4), Bytes(32), 1, seed_of(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(v.status().message(), "histogram_u32 v1 has no certificate check");
}

TEST(SortCertificates, RejectsInvalidTasks) {
  Result<CertificateVerdict> v =
      check_certificate("sort_kv_u64", 1, {}, Bytes(24), Bytes(24), 1, seed_of(1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::invalid_argument);
  v = check_certificate("sort_u64", 1, {}, Bytes(12), Bytes(12), 1, seed_of(1));
  EXPECT_EQ(v.status().code(), ErrorCode::invalid_argument);
  v = check_certificate("sort_u64", 1, {}, Bytes(16), Bytes(16), 0, seed_of(1));
  EXPECT_EQ(v.status().code(), ErrorCode::invalid_argument);
}

// --- sort_u64 ---

TEST(SortCertificates, SortedU64PermutationsPass) {
  for (std::size_t n : {0, 1, 2, 3, 1000, 65537}) {
    for (std::uint64_t modulo : {std::uint64_t{0}, std::uint64_t{3}}) {
      const std::vector<std::uint64_t> in = random_u64(n, n + modulo, modulo);
      std::vector<std::uint64_t> out = in;
      std::sort(out.begin(), out.end());
      const CertificateVerdict v = check_u64(in, out, 3);
      EXPECT_TRUE(v.passed) << "n=" << n << ": " << v.reason;
      EXPECT_EQ(v.method, "sorted+fingerprint");
      EXPECT_EQ(v.rounds, 3u);
      EXPECT_TRUE(v.reason.empty());
      // (n+1)/p per round, three rounds.
      EXPECT_LE(v.log2_false_accept, 3 * (std::log2(double(n) + 1) - 61) + 1e-9) << n;
      EXPECT_GE(v.log2_false_accept, 3 * (std::log2(double(n) + 1) - 61) - 1e-9) << n;
      EXPECT_LT(v.log2_false_accept, -100);
    }
  }
  for (std::uint8_t seed = 0; seed < 20; ++seed) {
    EXPECT_TRUE(
        check_u64({9, 0, ~std::uint64_t{0}, 9}, {0, 9, 9, ~std::uint64_t{0}}, 1, seed).passed);
  }
}

TEST(SortCertificates, CorruptU64SortsFail) {
  const std::vector<std::uint64_t> in = random_u64(5000, 99);
  std::vector<std::uint64_t> sorted = in;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_NE(sorted[10], sorted[11]);

  std::vector<std::uint64_t> out = sorted;
  std::swap(out[10], out[11]);
  CertificateVerdict v = check_u64(in, out);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "output is out of order at element 11");

  out = sorted;
  out.back() += 1;  // still ordered, one value changed
  v = check_u64(in, out);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "output is not a permutation of the input (fingerprint round 0)");

  out = sorted;
  out[2500] = out[2499];  // still ordered, one value replaced by its neighbour
  EXPECT_FALSE(check_u64(in, out).passed);

  out = sorted;
  out[0] ^= std::uint64_t{1} << 40;  // a change in the high half only
  std::sort(out.begin(), out.end());
  EXPECT_FALSE(check_u64(in, out).passed);

  out = sorted;
  out.pop_back();  // a record dropped: the wrong size
  v = check_u64(in, out);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "output is 39992 bytes, expected 40000");

  out = sorted;
  out.push_back(~std::uint64_t{0});  // one added
  EXPECT_FALSE(check_u64(in, out).passed);

  out.assign(sorted.size(), 0);  // ordered, the right size, wrong values
  EXPECT_FALSE(check_u64(in, out).passed);

  EXPECT_FALSE(check("sort_u64", encode_u64_le(in), Bytes(7)).passed);
}

// x and x + p are equal modulo p: a fingerprint over x mod p cannot tell them apart, the
// encoding by 32-bit halves can. Likewise values whose halves are swapped.
TEST(SortCertificates, U64ValuesThatAliasModuloPFail) {
  const std::uint64_t x = 5;
  const std::uint64_t big = std::uint64_t{1} << 62;
  ASSERT_EQ((x + kP) % kP, x % kP);
  for (std::uint8_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    EXPECT_TRUE(check_u64({big, x}, {x, big}, 1, seed).passed);
    EXPECT_FALSE(check_u64({big, x}, {x + kP, big}, 1, seed).passed);
    EXPECT_FALSE(check_u64({big + kP, x}, {x, big}, 1, seed).passed);
    const std::uint64_t halves = (std::uint64_t{1} << 32) | 2;  // hi 1, lo 2
    const std::uint64_t swapped = (std::uint64_t{2} << 32) | 1;
    EXPECT_FALSE(check_u64({halves}, {swapped}, 1, seed).passed);
  }
}

// --- sort_kv_u64 ---

TEST(SortCertificates, StableKvSortsPass) {
  for (std::size_t n : {0, 1, 2, 3, 1000, 65537}) {
    for (std::uint64_t modulo : {std::uint64_t{0}, std::uint64_t{2}, std::uint64_t{300}}) {
      const std::vector<Record> in = random_records(n, n * 3 + modulo, modulo);
      const CertificateVerdict v = check_kv(in, stable_by_key(in), 3);
      EXPECT_TRUE(v.passed) << "n=" << n << " modulo=" << modulo << ": " << v.reason;
      EXPECT_EQ(v.method, "sorted+stable-fingerprint");
      EXPECT_EQ(v.rounds, 3u);
      EXPECT_TRUE(v.reason.empty());
      EXPECT_LE(v.log2_false_accept, 3 * (std::log2(double(n) + 1) - 61) + 1e-9) << n;
      EXPECT_LT(v.log2_false_accept, -100);
    }
  }
  // Records that are equal in key and value may come in any order: the bytes are the same.
  const std::vector<Record> same = {{4, 1}, {4, 1}, {2, 0}};
  EXPECT_TRUE(check_kv(same, {{2, 0}, {4, 1}, {4, 1}}).passed);
}

TEST(SortCertificates, SwappedEqualKeyRecordsFail) {
  const std::vector<Record> in = random_records(3000, 5, 10);
  const std::vector<Record> sorted = stable_by_key(in);
  std::size_t i = 1;
  while (sorted[i].key != sorted[i - 1].key) ++i;
  std::vector<Record> out = sorted;
  std::swap(out[i - 1], out[i]);  // still sorted by key, no longer stable
  for (std::uint8_t seed = 0; seed < 20; ++seed) {
    const CertificateVerdict v = check_kv(in, out, 1, seed);
    EXPECT_FALSE(v.passed) << "seed " << int(seed);
    EXPECT_EQ(v.reason,
              "output is not the stable sort of the input: the (key, occurrence, value) triples "
              "differ (fingerprint round 0)");
  }
  // A sort by key that breaks ties by value (descending) is a sort, but not the stable one.
  out = in;
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    return a.key != b.key ? a.key < b.key : a.value > b.value;
  });
  EXPECT_FALSE(check_kv(in, out).passed);
}

TEST(SortCertificates, CorruptKvSortsFail) {
  const std::vector<Record> in = random_records(4000, 11, 1000);
  const std::vector<Record> sorted = stable_by_key(in);
  std::size_t d = 1;
  while (sorted[d].key == sorted[d - 1].key) ++d;  // a key boundary: sorted[d-1] < sorted[d]

  std::vector<Record> out = sorted;
  std::swap(out[d - 1], out[d]);
  CertificateVerdict v = check_kv(in, out);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "output keys are out of order at record " + std::to_string(d));

  out = sorted;
  out[17].value += 1;  // a changed value
  EXPECT_FALSE(check_kv(in, out).passed);

  out = sorted;
  out.back().key += 1;  // a changed key, still in order
  EXPECT_FALSE(check_kv(in, out).passed);

  out = sorted;
  std::swap(out[d - 1].value, out[d].value);  // values moved across keys
  EXPECT_FALSE(check_kv(in, out).passed);

  out = sorted;
  out[d] = out[d - 1];  // one record duplicated over its neighbour (with a different key)
  EXPECT_FALSE(check_kv(in, out).passed);

  out = sorted;
  out.pop_back();  // a record dropped
  v = check_kv(in, out);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "output is 63984 bytes, expected 64000");

  out = sorted;
  out.push_back({~std::uint64_t{0}, 0});  // one added
  EXPECT_FALSE(check_kv(in, out).passed);

  EXPECT_FALSE(check("sort_kv_u64", encode_records(in), Bytes(16 * 4000, 0)).passed);
  EXPECT_FALSE(check("sort_kv_u64", encode_records(in), Bytes(17)).passed);
}

// The output names fewer distinct keys than the input has: rejected before the fingerprint.
TEST(SortCertificates, KvOutputWithTooFewKeysFails) {
  const std::vector<Record> in = {{3, 0}, {1, 1}, {2, 2}};
  const CertificateVerdict v = check_kv(in, {{1, 0}, {1, 1}, {1, 2}});
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "the input has more distinct keys than the output's 1");
}

TEST(SortCertificates, KvKeysAndValuesThatAliasModuloPFail) {
  const std::uint64_t big = std::uint64_t{1} << 62;
  const std::vector<Record> in = {{big, 1}, {5, 2}, {5, 3}};
  for (std::uint8_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    EXPECT_TRUE(check_kv(in, {{5, 2}, {5, 3}, {big, 1}}, 1, seed).passed);
    EXPECT_FALSE(check_kv(in, {{5, 2}, {5, 3 + kP}, {big, 1}}, 1, seed).passed);
    EXPECT_FALSE(check_kv(in, {{5, 2}, {5 + kP, 3}, {big, 1}}, 1, seed).passed);
    EXPECT_FALSE(check_kv(in, {{5, 2}, {5, 3}, {big, 1 + kP}}, 1, seed).passed);
    EXPECT_FALSE(check_kv(in, {{5, 3}, {5, 2}, {big, 1}}, 1, seed).passed);  // unstable
  }
}

}  // namespace
}  // namespace gpoc::kernels
