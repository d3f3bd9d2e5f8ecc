// Inputs and independent references shared by the kernel tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc::kernels::testing {

// Deterministic for a seed, so a failure replays exactly.
inline Bytes random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(rng() >> 56);
  return out;
}

inline Bytes encode_u32_le(const std::vector<std::uint32_t>& values) {
  ByteWriter w(values.size() * 4);
  for (std::uint32_t v : values) w.u32(v);
  return std::move(w).take();
}

inline Bytes encode_u64_le(const std::vector<std::uint64_t>& values) {
  ByteWriter w(values.size() * 8);
  for (std::uint64_t v : values) w.u64(v);
  return std::move(w).take();
}

// One sort_kv_u64 record and the packed input layout of a list of them.
struct Record {
  std::uint64_t key;
  std::uint64_t value;
};

inline Bytes encode_records(const std::vector<Record>& records) {
  ByteWriter w(records.size() * 16);
  for (const Record& r : records) {
    w.u64(r.key);
    w.u64(r.value);
  }
  return std::move(w).take();
}

// u32 inputs for the sorts and the histogram. Pattern 0: the full range; 1: heavy duplicates
// (values below 7); 2: every third value an extreme (0 or 2^32 - 1); 3: already sorted;
// 4: reverse sorted.
inline constexpr int kU32Patterns = 5;
inline std::vector<std::uint32_t> u32_pattern(std::size_t count, int pattern, std::uint64_t seed) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  std::vector<std::uint32_t> v(count);
  for (std::uint32_t& x : v) x = static_cast<std::uint32_t>(rng());
  if (pattern == 1) {
    for (std::uint32_t& x : v) x %= 7;
  } else if (pattern == 2) {
    for (std::size_t i = 0; i < count; i += 3) v[i] = (i % 2 == 0) ? 0u : 0xffffffffu;
  } else if (pattern == 3) {
    std::sort(v.begin(), v.end());
  } else if (pattern == 4) {
    std::sort(v.rbegin(), v.rend());
  }
  return v;
}

// The reference for sha256 v1: OpenSSL, one record at a time.
inline Bytes sha256_records_reference(ByteView input, std::size_t record_bytes) {
  Bytes out;
  for (std::size_t off = 0; off < input.size(); off += record_bytes) {
    const Digest32 d = sha256(input.subspan(off, record_bytes));
    out.insert(out.end(), d.begin(), d.end());
  }
  return out;
}

}  // namespace gpoc::kernels::testing
