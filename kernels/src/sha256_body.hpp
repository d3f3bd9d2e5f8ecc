// SHA-256 (FIPS 180-4) written once for the host and the device. The CPU backend runs it in plain
// loops and the CUDA launchers one thread per message, so both produce the same bytes by
// construction; OpenSSL stays the independent reference the tests compare against.
#pragma once

#include <cstdint>

#include "gpoc/kernels/hd.hpp"

namespace gpoc::kernels::detail {

inline constexpr std::uint64_t kSha256BlockBytes = 64;
inline constexpr std::uint64_t kSha256DigestBytes = 32;

GPOC_HD inline std::uint32_t rotr32(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Byte-wise loads and stores: record boundaries carry no alignment, and the order is fixed by the
// standard (big-endian words) rather than by the machine.
GPOC_HD inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

GPOC_HD inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// FIPS 180-4 6.2.2: folds one 64-byte block into the chaining state. The round constants are a
// local array because a namespace-scope table is not visible from device code; unrolled, the
// indices are constants and the table becomes immediates.
GPOC_HD inline void sha256_compress(std::uint32_t state[8], const std::uint8_t* block) {
  const std::uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  std::uint32_t w[16];  // the message schedule, kept as a 16-word ring
  GPOC_UNROLL
  for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
  std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  GPOC_UNROLL
  for (int t = 0; t < 64; ++t) {
    if (t >= 16) {
      const std::uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
      const std::uint32_t s0 = rotr32(w15, 7) ^ rotr32(w15, 18) ^ (w15 >> 3);
      const std::uint32_t s1 = rotr32(w2, 17) ^ rotr32(w2, 19) ^ (w2 >> 10);
      w[t & 15] += s0 + w[(t - 7) & 15] + s1;
    }
    const std::uint32_t t1 = h + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) +
                             ((e & f) ^ (~e & g)) + k[t] + w[t & 15];
    const std::uint32_t t2 =
        (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

// Streaming SHA-256 over any number of update() calls. Small enough (about 110 bytes) to live in
// one GPU thread's registers and local memory.
class Sha256Body {
 public:
  GPOC_HD Sha256Body()
      : state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

  GPOC_HD void update(const std::uint8_t* data, std::uint64_t len) {
    total_bytes_ += len;
    if (buffered_ > 0) {  // top up a partial block first
      while (buffered_ < kSha256BlockBytes && len > 0) {
        buffer_[buffered_++] = *data++;
        --len;
      }
      if (buffered_ < kSha256BlockBytes) return;
      sha256_compress(state_, buffer_);
      buffered_ = 0;
    }
    for (; len >= kSha256BlockBytes; len -= kSha256BlockBytes, data += kSha256BlockBytes) {
      sha256_compress(state_, data);  // whole blocks straight from the input, no copy
    }
    while (len > 0) {
      buffer_[buffered_++] = *data++;
      --len;
    }
  }

  // Writes the 32-byte digest to out. The object is spent afterwards.
  GPOC_HD void finish(std::uint8_t* out) {
    const std::uint64_t bit_length = total_bytes_ * 8;
    buffer_[buffered_++] = 0x80;
    if (buffered_ > kSha256BlockBytes - 8) {  // no room for the length: pad out this block
      while (buffered_ < kSha256BlockBytes) buffer_[buffered_++] = 0;
      sha256_compress(state_, buffer_);
      buffered_ = 0;
    }
    while (buffered_ < kSha256BlockBytes - 8) buffer_[buffered_++] = 0;
    for (int i = 0; i < 8; ++i)
      buffer_[56 + i] = static_cast<std::uint8_t>(bit_length >> (56 - 8 * i));
    sha256_compress(state_, buffer_);
    for (int i = 0; i < 8; ++i) store_be32(out + 4 * i, state_[i]);
  }

 private:
  std::uint32_t state_[8];
  std::uint8_t buffer_[kSha256BlockBytes] = {};
  std::uint64_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace gpoc::kernels::detail
