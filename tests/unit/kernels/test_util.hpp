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
