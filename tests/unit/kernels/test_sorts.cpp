// sort_u64, sort_kv_u64 and histogram_u32 on every backend (the CPU always, CUDA when a device is
// present), each against a reference written here: std::sort, std::sort by (key, input index)
// for the stable sort, and a plain counting loop in 128-bit arithmetic for the histogram. Also
// the catalog entries, the input rules with their exact messages, and the bodies on the host.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "conformance_fixture.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "host_loop.hpp"
#include "sorts_bodies.hpp"
#include "test_util.hpp"

namespace gpoc::kernels {
namespace {

using testing::encode_records;
using testing::encode_u32_le;
using testing::encode_u64_le;
using testing::Record;
using testing::u32_pattern;

__extension__ using u128 = unsigned __int128;

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kTwoTo32 = std::uint64_t{1} << 32;
constexpr std::string_view kEmptyDigest =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Sizes: empty, tiny, primes, one past a 4096-element tile, and a large prime.
const std::vector<std::size_t> kSizes = {0, 1, 2, 3, 13, 127, 4093, 4097, 100003};

template <typename Maker>
class SortsConformance : public KernelConformance<Maker> {
 protected:
  Status rejection(std::string_view id, const Params& params, ByteView input) {
    Result<KernelOutput> out = this->backend_->run(id, 1, params, input);
    EXPECT_FALSE(out.ok()) << id << " ran with " << input.size() << " bytes";
    return out.status();
  }
};
TYPED_TEST_SUITE(SortsConformance, Backends, BackendName);

// Patterns: 0 random over the full range, 1 heavy duplicates, 2 the extremes (0 and max) mixed
// in, 3 already sorted, 4 reverse sorted.
constexpr int kPatterns = 5;
std::vector<std::uint64_t> u64_values(std::size_t count, int pattern, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> v(count);
  for (std::uint64_t& x : v) x = rng();
  if (pattern == 1) {
    for (std::uint64_t& x : v) x %= 5;
  } else if (pattern == 2) {
    for (std::size_t i = 0; i < count; i += 3) v[i] = (i % 2 == 0) ? 0 : kU64Max;
  } else if (pattern == 3) {
    std::sort(v.begin(), v.end());
  } else if (pattern == 4) {
    std::sort(v.rbegin(), v.rend());
  }
  return v;
}

// --- sort_u64 ---

TYPED_TEST(SortsConformance, SortU64MatchesStdSort) {
  for (std::size_t count : kSizes) {
    for (int pattern = 0; pattern < kPatterns; ++pattern) {
      SCOPED_TRACE("count=" + std::to_string(count) + " pattern=" + std::to_string(pattern));
      std::vector<std::uint64_t> values = u64_values(count, pattern, count * 131 + pattern);
      const Bytes input = encode_u64_le(values);
      std::sort(values.begin(), values.end());
      ASSERT_EQ(this->run_ok("sort_u64", {}, input), encode_u64_le(values));
    }
  }
}

// Byte by byte, so a backend that reads big-endian, compares only 32 bits, or sorts signed
// fails here even though the reference above shares the test's encoder.
TYPED_TEST(SortsConformance, SortU64ReadsAndWritesLittleEndian) {
  const Bytes input = {
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // 2^56
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 2
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // 2^64 - 1 (negative if signed)
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // 2^32 (zero in the low half)
      0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,  // 2^32 - 1
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 2 again
  };
  const Bytes expected = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  //
  };
  EXPECT_EQ(this->run_ok("sort_u64", {}, input), expected);
}

// --- sort_kv_u64 ---

// The stable order without std::stable_sort: sort the input positions by (key, position).
std::vector<Record> stable_sorted(const std::vector<Record>& records) {
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return records[a].key != records[b].key ? records[a].key < records[b].key : a < b;
  });
  std::vector<Record> out;
  out.reserve(records.size());
  for (std::size_t i : order) out.push_back(records[i]);
  return out;
}

// Keys follow the patterns; values are random, so records with equal keys are told apart.
std::vector<Record> kv_records(std::size_t count, int pattern, std::uint64_t seed) {
  const std::vector<std::uint64_t> keys = u64_values(count, pattern, seed);
  std::mt19937_64 rng(seed ^ 0x5eed);
  std::vector<Record> records(count);
  for (std::size_t i = 0; i < count; ++i) records[i] = {keys[i], rng()};
  return records;
}

TYPED_TEST(SortsConformance, SortKvMatchesTheStableOrder) {
  for (std::size_t count : kSizes) {
    for (int pattern = 0; pattern < kPatterns; ++pattern) {
      SCOPED_TRACE("count=" + std::to_string(count) + " pattern=" + std::to_string(pattern));
      const std::vector<Record> records = kv_records(count, pattern, count * 17 + pattern);
      ASSERT_EQ(this->run_ok("sort_kv_u64", {}, encode_records(records)),
                encode_records(stable_sorted(records)));
    }
  }
}

// Few keys and values that number the input records: inside each run of one key the values
// must come out increasing, whatever the reference says.
TYPED_TEST(SortsConformance, SortKvKeepsTheInputOrderOfEqualKeys) {
  std::mt19937_64 rng(2024);
  std::vector<Record> records(100003);
  for (std::size_t i = 0; i < records.size(); ++i) records[i] = {rng() % 4, i};
  const Bytes output = this->run_ok("sort_kv_u64", {}, encode_records(records));
  ASSERT_EQ(output.size(), records.size() * 16);
  ByteReader r(output);
  Record previous{0, 0};
  for (std::size_t i = 0; i < records.size(); ++i) {
    Record cur{};
    ASSERT_TRUE(r.u64(cur.key) && r.u64(cur.value));
    if (i > 0) {
      ASSERT_LE(previous.key, cur.key) << "record " << i;
      if (previous.key == cur.key) {
        ASSERT_LT(previous.value, cur.value) << "record " << i;
      }
    }
    previous = cur;
  }
}

TYPED_TEST(SortsConformance, SortKvReadsAndWritesLittleEndian) {
  const Bytes input = {
      // key 2^56, value 0x0807060504030201
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  //
      // key 1, value 0xaa
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0xaa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      // key 2^32, value 0xbb
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  //
      0xbb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      // key 1 again, value 0x01 (smaller than the first key-1 value: must stay second)
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
  };
  const Bytes expected = {
      // key 1, value 0xaa
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0xaa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      // key 1, value 0x01 (second: equal keys keep their input order)
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      // key 2^32, value 0xbb
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  //
      0xbb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      // key 2^56, value 0x0807060504030201
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  //
  };
  EXPECT_EQ(this->run_ok("sort_kv_u64", {}, input), expected);
}

// --- histogram_u32 ---

// The reference: a counting loop in 128-bit arithmetic, so it needs no argument about overflow.
Bytes histogram_reference(const std::vector<std::uint32_t>& values, std::uint64_t bins,
                          std::uint64_t lower = 0, std::uint64_t upper = kTwoTo32) {
  std::vector<std::uint64_t> counts(bins, 0);
  for (std::uint32_t v : values) {
    if (v < lower || v >= upper) continue;
    const u128 bin = static_cast<u128>(v - lower) * bins / (upper - lower);
    ++counts.at(static_cast<std::size_t>(bin));
  }
  return encode_u64_le(counts);
}

Params histogram_params(std::uint64_t bins, std::uint64_t lower, std::uint64_t upper) {
  return {{"bins", std::to_string(bins)},
          {"lower", std::to_string(lower)},
          {"upper", std::to_string(upper)}};
}

TYPED_TEST(SortsConformance, HistogramMatchesACountingLoop) {
  for (std::uint64_t bins : {1, 7, 256, 65536}) {
    for (std::size_t count : kSizes) {
      for (int pattern = 0; pattern < kPatterns; ++pattern) {
        SCOPED_TRACE("bins=" + std::to_string(bins) + " count=" + std::to_string(count) +
                     " pattern=" + std::to_string(pattern));
        const std::vector<std::uint32_t> values = u32_pattern(count, pattern, count + bins);
        ASSERT_EQ(
            this->run_ok("histogram_u32", {{"bins", std::to_string(bins)}}, encode_u32_le(values)),
            histogram_reference(values, bins));
      }
    }
  }
}

// The most bins, and the bin counts on both sides of 12288 (where the CUDA kernel moves its
// counters from shared to global memory).
TYPED_TEST(SortsConformance, HistogramWithManyBins) {
  std::vector<std::uint32_t> values = u32_pattern(1000, 0, 5);
  for (std::uint32_t i = 0; i < 200; ++i) values.push_back(i * 7919u % 20000u);  // small values
  for (std::uint64_t bins : {12287, 12288, 12289, 16777216}) {
    for (std::uint64_t upper : {std::uint64_t{20000}, std::uint64_t{1} << 24, kTwoTo32}) {
      SCOPED_TRACE("bins=" + std::to_string(bins) + " upper=" + std::to_string(upper));
      const Bytes output =
          this->run_ok("histogram_u32", histogram_params(bins, 0, upper), encode_u32_le(values));
      ASSERT_EQ(output.size(), bins * 8);
      ASSERT_EQ(output, histogram_reference(values, bins, 0, upper));
    }
  }
}

// Ranges with widths that are and are not powers of two, the narrowest ranges at both ends of
// u32, and values exactly at lower - 1, lower, upper - 1 and upper.
TYPED_TEST(SortsConformance, HistogramCountsOnlyLowerUpToUpper) {
  struct Range {
    std::uint64_t lower, upper;
  };
  const std::vector<Range> ranges = {{0, 1},
                                     {0, kTwoTo32},
                                     {100, 200},
                                     {kTwoTo32 - 1, kTwoTo32},
                                     {1000, 1021},
                                     {5, kTwoTo32},
                                     {0, kTwoTo32 / 2},
                                     {123456, 123456 + (1 << 20)},
                                     {7, 10},
                                     {1, kTwoTo32 - 1},
                                     {3000000000, 3000000001}};
  for (const Range& range : ranges) {
    std::vector<std::uint32_t> values = u32_pattern(4097, 0, range.lower + 3);
    for (std::uint64_t edge : {range.lower - 1, range.lower, range.upper - 1, range.upper}) {
      if (edge < kTwoTo32) values.push_back(static_cast<std::uint32_t>(edge));
    }
    for (std::uint64_t i = 0; i < 500; ++i) {  // values inside the range, whatever its width
      values.push_back(
          static_cast<std::uint32_t>(range.lower + i * 2654435761u % (range.upper - range.lower)));
    }
    for (std::uint64_t bins : {1, 7, 256}) {
      SCOPED_TRACE("lower=" + std::to_string(range.lower) +
                   " upper=" + std::to_string(range.upper) + " bins=" + std::to_string(bins));
      ASSERT_EQ(this->run_ok("histogram_u32", histogram_params(bins, range.lower, range.upper),
                             encode_u32_le(values)),
                histogram_reference(values, bins, range.lower, range.upper));
    }
  }
}

// Bins worked out by hand, little-endian bytes out.
TYPED_TEST(SortsConformance, HistogramBinsByHand) {
  // [10, 19) in 3 bins of width 3: 10, 12 -> 0; 13 -> 1; 18 -> 2; 9 and 19 are outside.
  EXPECT_EQ(to_hex(this->run_ok("histogram_u32", histogram_params(3, 10, 19),
                                encode_u32_le({9, 10, 12, 13, 18, 19}))),
            "0200000000000000"
            "0100000000000000"
            "0100000000000000");
  // The default range in 7 bins: 7 * 613566756 < 2^32 <= 7 * 613566757.
  EXPECT_EQ(to_hex(this->run_ok("histogram_u32", {{"bins", "7"}},
                                encode_u32_le({0, 613566756, 613566757, 0xffffffffu}))),
            "0200000000000000"
            "0100000000000000"
            "0000000000000000"
            "0000000000000000"
            "0000000000000000"
            "0000000000000000"
            "0100000000000000");
  // Input read little-endian: 0x80000001 is in the upper half, 0x7fffffff in the lower.
  const Bytes input = {0x01, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x80};
  EXPECT_EQ(to_hex(this->run_ok("histogram_u32", {{"bins", "2"}}, input)),
            "0100000000000000"
            "0200000000000000");
}

// Many equal values: every count lands on one counter.
TYPED_TEST(SortsConformance, HistogramOfOneRepeatedValue) {
  const std::vector<std::uint32_t> values(300007, 4242u);
  for (std::uint64_t bins : {1, 256, 65536}) {
    SCOPED_TRACE("bins=" + std::to_string(bins));
    ASSERT_EQ(
        this->run_ok("histogram_u32", {{"bins", std::to_string(bins)}}, encode_u32_le(values)),
        histogram_reference(values, bins));
  }
}

TYPED_TEST(SortsConformance, EmptyInputs) {
  for (const char* id : {"sort_u64", "sort_kv_u64"}) {
    Result<KernelOutput> out = this->backend_->run(id, 1, {}, ByteView{});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_TRUE(out->data.empty()) << id;
    EXPECT_EQ(to_hex(out->digest), kEmptyDigest) << id;
  }
  // No values still gives every bin, each zero.
  EXPECT_EQ(this->run_ok("histogram_u32", {{"bins", "3"}}, ByteView{}), Bytes(24, 0));
}

TYPED_TEST(SortsConformance, RejectsBadTasksWithExactMessages) {
  Status s = this->rejection("sort_u64", {}, Bytes(12));
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "sort_u64: input of 12 bytes is not a multiple of 8 (little-endian u64 values)");
  s = this->rejection("sort_kv_u64", {}, Bytes(24));
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "sort_kv_u64: input of 24 bytes is not a multiple of 16 (records of a little-endian "
            "u64 key and a u64 value)");
  s = this->rejection("histogram_u32", histogram_params(4, 5, 5), Bytes(8));
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "histogram_u32: upper=5 must be greater than lower=5 (the values counted are lower "
            "<= v < upper)");
  s = this->rejection("histogram_u32", {{"bins", "0"}}, Bytes(8));
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(), "histogram_u32: parameter bins=\"0\" is out of range [1, 16777216]");
  s = this->rejection("histogram_u32", {}, Bytes(8));
  EXPECT_EQ(s.message(), "histogram_u32: missing required parameter bins");
}

TYPED_TEST(SortsConformance, RepeatedRunsAreIdentical) {
  const Bytes values = testing::random_bytes(16 * 50000, 91);
  const Bytes sorted = this->run_ok("sort_u64", {}, values);
  EXPECT_EQ(this->run_ok("sort_u64", {}, values), sorted);
  const Bytes records = this->run_ok("sort_kv_u64", {}, values);
  EXPECT_EQ(this->run_ok("sort_kv_u64", {}, values), records);
  for (const char* bins : {"100", "100000"}) {
    const Bytes counts = this->run_ok("histogram_u32", {{"bins", bins}}, values);
    EXPECT_EQ(this->run_ok("histogram_u32", {{"bins", bins}}, values), counts) << bins;
  }
}

// --- the catalog and validate_task (what a requester learns before anything runs) ---

TEST(SortsCatalog, DescribesTheThreeKernels) {
  for (const char* id : {"sort_u64", "sort_kv_u64", "histogram_u32"}) {
    const KernelInfo* k = find_kernel(id, 1);
    ASSERT_NE(k, nullptr) << id;
    EXPECT_EQ(k->determinism, Determinism::exact) << id;
    EXPECT_FALSE(k->summary.empty()) << id;
    EXPECT_NE(k->input_layout.find("little-endian"), std::string::npos) << id;
    EXPECT_NE(k->output_layout.find("little-endian"), std::string::npos) << id;
    EXPECT_EQ(k->input_bytes_max, std::uint64_t{1} << 30) << id;
    EXPECT_EQ(k->output_bytes_max, std::uint64_t{1} << 30) << id;
    EXPECT_EQ(find_kernel(id, 2), nullptr) << id;
  }
  EXPECT_TRUE(find_kernel("sort_u64", 1)->params.empty());
  EXPECT_TRUE(find_kernel("sort_kv_u64", 1)->params.empty());
  EXPECT_NE(find_kernel("sort_kv_u64", 1)->output_layout.find("stable"), std::string::npos);
  for (const char* id : {"sort_u64", "sort_kv_u64"}) {
    EXPECT_NE(find_kernel(id, 1)->certificate.find("at most (n+1)/(2^61-1)"), std::string::npos)
        << id;
  }
  EXPECT_TRUE(find_kernel("histogram_u32", 1)->certificate.empty());
}

TEST(SortsCatalog, HistogramDeclaresBinsLowerAndUpper) {
  const std::vector<ParamSpec>& p = find_kernel("histogram_u32", 1)->params;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "bins");
  EXPECT_TRUE(p[0].required);
  EXPECT_EQ(p[0].min_value, 1u);
  EXPECT_EQ(p[0].max_value, 16777216u);
  EXPECT_EQ(p[1].name, "lower");
  EXPECT_FALSE(p[1].required);
  EXPECT_EQ(p[1].default_value, "0");
  EXPECT_EQ(p[1].min_value, 0u);
  EXPECT_EQ(p[1].max_value, 4294967295u);
  EXPECT_EQ(p[2].name, "upper");
  EXPECT_FALSE(p[2].required);
  EXPECT_EQ(p[2].default_value, "4294967296");
  EXPECT_EQ(p[2].min_value, 1u);
  EXPECT_EQ(p[2].max_value, 4294967296u);
}

std::uint64_t output_bytes(std::string_view id, const Params& params, std::uint64_t input_bytes) {
  Result<std::uint64_t> r = validate_task(id, 1, params, input_bytes);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r.value() : ~std::uint64_t{0};
}

Status rejection(std::string_view id, const Params& params, std::uint64_t input_bytes) {
  Result<std::uint64_t> r = validate_task(id, 1, params, input_bytes);
  EXPECT_FALSE(r.ok()) << id << " was accepted with output " << (r.ok() ? r.value() : 0);
  return r.status();
}

TEST(SortsValidateTask, ReturnsTheExactOutputSize) {
  EXPECT_EQ(output_bytes("sort_u64", {}, 0), 0u);
  EXPECT_EQ(output_bytes("sort_u64", {}, 800), 800u);
  EXPECT_EQ(output_bytes("sort_kv_u64", {}, 0), 0u);
  EXPECT_EQ(output_bytes("sort_kv_u64", {}, 1600), 1600u);
  EXPECT_EQ(output_bytes("histogram_u32", {{"bins", "1"}}, 0), 8u);
  EXPECT_EQ(output_bytes("histogram_u32", {{"bins", "256"}}, 4000), 2048u);
  EXPECT_EQ(output_bytes("histogram_u32", {{"bins", "16777216"}}, 4), std::uint64_t{1} << 27);
  EXPECT_EQ(output_bytes("histogram_u32", histogram_params(7, 4294967295, 4294967296), 4), 56u);
  EXPECT_EQ(output_bytes("histogram_u32", histogram_params(7, 0, 1), 4), 56u);
}

TEST(SortsValidateTask, RejectsInputsThatAreNotWholeValues) {
  Status s = rejection("sort_u64", {}, 7);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "sort_u64: input of 7 bytes is not a multiple of 8 (little-endian u64 values)");
  s = rejection("sort_kv_u64", {}, 8);
  EXPECT_EQ(s.message(),
            "sort_kv_u64: input of 8 bytes is not a multiple of 16 (records of a little-endian "
            "u64 key and a u64 value)");
  s = rejection("histogram_u32", {{"bins", "4"}}, 6);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "histogram_u32: input of 6 bytes is not a multiple of 4 (little-endian u32 values)");
}

TEST(SortsValidateTask, RejectsBadHistogramParameters) {
  Status s = rejection("histogram_u32", histogram_params(4, 10, 9), 4);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "histogram_u32: upper=9 must be greater than lower=10 (the values counted are lower "
            "<= v < upper)");
  s = rejection("histogram_u32", {{"bins", "4"}, {"lower", "4294967295"}, {"upper", "7"}}, 4);
  EXPECT_EQ(s.message(),
            "histogram_u32: upper=7 must be greater than lower=4294967295 (the values counted "
            "are lower <= v < upper)");
  // The default upper (2^32) is above every lower.
  EXPECT_EQ(output_bytes("histogram_u32", {{"bins", "4"}, {"lower", "4294967295"}}, 4), 32u);
  s = rejection("histogram_u32", {{"bins", "4"}, {"upper", "0"}}, 4);
  EXPECT_EQ(s.message(), "histogram_u32: parameter upper=\"0\" is out of range [1, 4294967296]");
  s = rejection("histogram_u32", {{"bins", "4"}, {"upper", "4294967297"}}, 4);
  EXPECT_EQ(s.message(),
            "histogram_u32: parameter upper=\"4294967297\" is out of range [1, 4294967296]");
  s = rejection("histogram_u32", {{"bins", "4"}, {"lower", "4294967296"}}, 4);
  EXPECT_EQ(s.message(),
            "histogram_u32: parameter lower=\"4294967296\" is out of range [0, 4294967295]");
  s = rejection("histogram_u32", {{"bins", "0"}}, 4);
  EXPECT_EQ(s.message(), "histogram_u32: parameter bins=\"0\" is out of range [1, 16777216]");
  s = rejection("histogram_u32", {{"bins", "16777217"}}, 4);
  EXPECT_EQ(s.message(),
            "histogram_u32: parameter bins=\"16777217\" is out of range [1, 16777216]");
  s = rejection("histogram_u32", {}, 4);
  EXPECT_EQ(s.message(), "histogram_u32: missing required parameter bins");
  s = rejection("histogram_u32", {{"bins", "04"}}, 4);
  EXPECT_EQ(s.message(),
            "histogram_u32: parameter bins=\"04\" is not a decimal integer (digits only, no sign "
            "or leading zeros)");
  s = rejection("histogram_u32", {{"bins", "4"}, {"width", "4"}}, 4);
  EXPECT_EQ(s.message(),
            "histogram_u32: unknown parameter \"width\" (parameters: bins, lower, upper)");
  s = rejection("sort_u64", {{"bins", "4"}}, 8);
  EXPECT_EQ(s.message(), "sort_u64: unknown parameter \"bins\" (this kernel takes no parameters)");
}

TEST(SortsValidateTask, RejectsInputsOverTheLimit) {
  const std::uint64_t max = std::uint64_t{1} << 30;
  EXPECT_EQ(output_bytes("sort_u64", {}, max), max);
  EXPECT_EQ(output_bytes("sort_kv_u64", {}, max), max);
  EXPECT_EQ(rejection("sort_u64", {}, max + 8).code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(rejection("sort_kv_u64", {}, max + 16).code(), ErrorCode::resource_exhausted);
  Status s = rejection("histogram_u32", {{"bins", "1"}}, max + 4);
  EXPECT_EQ(s.code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(s.message(), "histogram_u32: input of " + std::to_string(max + 4) +
                             " bytes exceeds input_bytes_max=" + std::to_string(max) +
                             "; split the data across several tasks");
}

// --- the bodies, run on the host (the CUDA launchers run the same ones) ---

TEST(SortsBodies, DeinterleaveAndInterleaveKvRecords) {
  std::vector<std::uint64_t> records(2 * 1001);
  std::mt19937_64 rng(3);
  for (std::uint64_t& w : records) w = rng();
  std::vector<std::uint64_t> keys(1001, 0), values(1001, 0), joined(2 * 1001, 0);
  detail::for_each_index(1001,
                         detail::DeinterleaveKvBody{records.data(), keys.data(), values.data()});
  for (std::size_t i = 0; i < 1001; ++i) {
    ASSERT_EQ(keys[i], records[2 * i]) << i;
    ASSERT_EQ(values[i], records[2 * i + 1]) << i;
  }
  detail::for_each_index(1001, detail::InterleaveKvBody{keys.data(), values.data(), joined.data()});
  EXPECT_EQ(joined, records);
}

TEST(SortsBodies, HistogramRangeFindsPowerOfTwoWidths) {
  EXPECT_EQ(detail::make_histogram_range(0, kTwoTo32, 7).width_log2, 32);
  EXPECT_EQ(detail::make_histogram_range(5, 6, 7).width_log2, 0);
  EXPECT_EQ(detail::make_histogram_range(100, 100 + 1024, 7).width_log2, 10);
  EXPECT_EQ(detail::make_histogram_range(0, 3, 7).width_log2, -1);
  EXPECT_EQ(detail::make_histogram_range(1, kTwoTo32, 7).width_log2, -1);
}

// Both ways of dividing against the 128-bit reference, at the largest operands.
TEST(SortsBodies, HistogramBinIsExact) {
  const std::vector<std::uint32_t> probes = {
      0, 1, 2, 1000, 65535, 65536, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  struct Range {
    std::uint64_t lower, upper;
  };
  for (const Range& r : {Range{0, kTwoTo32}, Range{1, kTwoTo32}, Range{0, kTwoTo32 - 1},
                         Range{2, 1026}, Range{1000, 1003}, Range{0x7fffffff, 0x80000001}}) {
    for (std::uint64_t bins : {1, 3, 1000, 16777215, 16777216}) {
      const detail::HistogramRange range = detail::make_histogram_range(r.lower, r.upper, bins);
      for (std::uint32_t v : probes) {
        const std::uint64_t bin = range.bin_of(v);
        if (v < r.lower || v >= r.upper) {
          EXPECT_EQ(bin, bins) << v;
        } else {
          EXPECT_EQ(bin, static_cast<std::uint64_t>(static_cast<u128>(v - r.lower) * bins /
                                                    (r.upper - r.lower)))
              << "v=" << v << " lower=" << r.lower << " upper=" << r.upper << " bins=" << bins;
        }
      }
    }
  }
}

}  // namespace
}  // namespace gpoc::kernels
