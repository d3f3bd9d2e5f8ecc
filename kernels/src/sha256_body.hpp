// SHA-256 (FIPS 180-4) written once for the host and the device. The CPU backend runs it in plain
// loops and the CUDA launchers one thread per message, so both produce the same bytes by
// construction; OpenSSL stays the independent reference the tests compare against.
#pragma once

#include <cstdint>
#include <cstring>

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

// The round constants (FIPS 180-4 4.2.2). A function rather than a namespace-scope table, which
// device code could not see; with the callers' loops unrolled the indices are constants and the
// values become immediates.
GPOC_HD inline std::uint32_t sha256_k(int t) {
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
  return k[t];
}

GPOC_HD inline std::uint32_t sha256_sigma0(std::uint32_t w) {
  return rotr32(w, 7) ^ rotr32(w, 18) ^ (w >> 3);
}
GPOC_HD inline std::uint32_t sha256_sigma1(std::uint32_t w) {
  return rotr32(w, 17) ^ rotr32(w, 19) ^ (w >> 10);
}

// One round on the working variables a..h, with kw = K[t] + W[t].
GPOC_HD inline void sha256_round(std::uint32_t v[8], std::uint32_t kw) {
  const std::uint32_t e = v[4], a = v[0];
  const std::uint32_t t1 =
      v[7] + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & v[5]) ^ (~e & v[6])) + kw;
  const std::uint32_t t2 =
      (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
  v[7] = v[6];
  v[6] = v[5];
  v[5] = v[4];
  v[4] = v[3] + t1;
  v[3] = v[2];
  v[2] = v[1];
  v[1] = v[0];
  v[0] = t1 + t2;
}

// FIPS 180-4 6.2.2: folds one block, given as its 16 big-endian words, into the chaining state.
// w is overwritten (it holds the message schedule as a 16-word ring).
GPOC_HD inline void sha256_compress_words(std::uint32_t state[8], std::uint32_t w[16]) {
  std::uint32_t v[8];
  GPOC_UNROLL
  for (int i = 0; i < 8; ++i) v[i] = state[i];
  GPOC_UNROLL
  for (int t = 0; t < 64; ++t) {
    if (t >= 16) {
      w[t & 15] +=
          sha256_sigma0(w[(t - 15) & 15]) + w[(t - 7) & 15] + sha256_sigma1(w[(t - 2) & 15]);
    }
    sha256_round(v, sha256_k(t) + w[t & 15]);
  }
  GPOC_UNROLL
  for (int i = 0; i < 8; ++i) state[i] += v[i];
}

// The same fold for a block whose whole schedule is known in advance (kw[t] = K[t] + W[t]): the
// padding block that follows a message of whole blocks is the same for every record of a task.
GPOC_HD inline void sha256_compress_kw(std::uint32_t state[8], const std::uint32_t kw[64]) {
  std::uint32_t v[8];
  GPOC_UNROLL
  for (int i = 0; i < 8; ++i) v[i] = state[i];
  GPOC_UNROLL
  for (int t = 0; t < 64; ++t) sha256_round(v, kw[t]);
  GPOC_UNROLL
  for (int i = 0; i < 8; ++i) state[i] += v[i];
}

// Folds one 64-byte block read byte by byte (any alignment).
GPOC_HD inline void sha256_compress(std::uint32_t state[8], const std::uint8_t* block) {
  std::uint32_t w[16];
  GPOC_UNROLL
  for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
  sha256_compress_words(state, w);
}

GPOC_HD inline void sha256_init(std::uint32_t state[8]) {
  const std::uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  GPOC_UNROLL
  for (int i = 0; i < 8; ++i) state[i] = iv[i];
}

// A 32-bit word as stored in memory (host byte order), from an address that is 4-byte aligned.
GPOC_HD inline std::uint32_t load_native32(const std::uint8_t* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const std::uint32_t*>(p);
#else
  std::uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
#endif
}

GPOC_HD inline std::uint32_t byte_swap32(std::uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __byte_perm(x, 0, 0x0123);
#else
  return __builtin_bswap32(x);
#endif
}

// Big-endian word from an aligned address on a little-endian machine (x86-64, every GPU).
GPOC_HD inline std::uint32_t load_be32_aligned(const std::uint8_t* p) {
  return byte_swap32(load_native32(p));
}

// The schedule of the padding block that ends a message of whole 64-byte blocks: 0x80, zeros and
// the bit length. It depends only on the length, so a task of equal records computes it once.
struct Sha256PaddingSchedule {
  std::uint32_t kw[64];
};

GPOC_HD inline Sha256PaddingSchedule sha256_padding_schedule(std::uint64_t message_bytes) {
  std::uint32_t w[64] = {};
  w[0] = 0x80000000u;
  const std::uint64_t bits = message_bytes * 8;
  w[14] = static_cast<std::uint32_t>(bits >> 32);
  w[15] = static_cast<std::uint32_t>(bits);
  for (int t = 16; t < 64; ++t) {
    w[t] = sha256_sigma1(w[t - 2]) + w[t - 7] + sha256_sigma0(w[t - 15]) + w[t - 16];
  }
  Sha256PaddingSchedule s{};
  for (int t = 0; t < 64; ++t) s.kw[t] = sha256_k(t) + w[t];
  return s;
}

// SHA-256 of prefix_bytes (0 or 1) bytes of prefix followed by data[0, len): the record hash
// (no prefix) and the RFC 6962 leaf hash (prefix 0x00) in one routine. Whole blocks read aligned
// words when data is 4-byte aligned (shifted by one byte when there is a prefix), and the padding
// block comes from `padding` when the message is whole blocks and the caller has it. Writes the
// 32-byte digest to out.
GPOC_HD inline void sha256_message(std::uint8_t prefix, int prefix_bytes, const std::uint8_t* data,
                                   std::uint64_t len, const Sha256PaddingSchedule* padding,
                                   std::uint8_t* out) {
  std::uint32_t state[8];
  sha256_init(state);
  const std::uint64_t total = len + static_cast<std::uint64_t>(prefix_bytes);
  // Message byte i is the prefix for i < prefix_bytes and data[i - prefix_bytes] after it.
  auto byte_at = [&](std::uint64_t i) -> std::uint32_t {
    return i < static_cast<std::uint64_t>(prefix_bytes)
               ? prefix
               : data[i - static_cast<std::uint64_t>(prefix_bytes)];
  };
  const bool aligned = (reinterpret_cast<std::uintptr_t>(data) & 3) == 0;
  const std::uint64_t blocks = total / kSha256BlockBytes;
  std::uint32_t w[16];
  for (std::uint64_t b = 0; b < blocks; ++b) {
    const std::uint64_t start = b * kSha256BlockBytes;  // message offset of the block
    if (aligned && start + kSha256BlockBytes <= len) {
      const std::uint8_t* p = data + start;  // with a prefix, message word j ends at p[4j + 2]
      if (prefix_bytes == 0) {
        GPOC_UNROLL
        for (int t = 0; t < 16; ++t) w[t] = load_be32_aligned(p + 4 * t);
      } else {
        std::uint32_t previous = start == 0 ? prefix : data[start - 1];
        GPOC_UNROLL
        for (int t = 0; t < 16; ++t) {
          const std::uint32_t word = load_be32_aligned(p + 4 * t);
          w[t] = (previous << 24) | (word >> 8);
          previous = word & 0xff;
        }
      }
    } else {
      GPOC_UNROLL
      for (int t = 0; t < 16; ++t) {
        const std::uint64_t i = start + 4 * static_cast<std::uint64_t>(t);
        w[t] = (byte_at(i) << 24) | (byte_at(i + 1) << 16) | (byte_at(i + 2) << 8) | byte_at(i + 3);
      }
    }
    sha256_compress_words(state, w);
  }
  const std::uint64_t tail = total - blocks * kSha256BlockBytes;
  if (tail == 0 && padding != nullptr) {
    sha256_compress_kw(state, padding->kw);
  } else {
    GPOC_UNROLL
    for (int t = 0; t < 16; ++t) w[t] = 0;
    for (std::uint64_t i = 0; i < tail; ++i) {
      w[i / 4] |= byte_at(blocks * kSha256BlockBytes + i) << (24 - 8 * (i % 4));
    }
    w[tail / 4] |= 0x80u << (24 - 8 * (tail % 4));
    if (tail >= kSha256BlockBytes - 8) {  // no room for the length: it goes in one more block
      sha256_compress_words(state, w);
      GPOC_UNROLL
      for (int t = 0; t < 16; ++t) w[t] = 0;
    }
    const std::uint64_t bits = total * 8;
    w[14] = static_cast<std::uint32_t>(bits >> 32);
    w[15] = static_cast<std::uint32_t>(bits);
    sha256_compress_words(state, w);
  }
  for (int i = 0; i < 8; ++i) store_be32(out + 4 * i, state[i]);
}

// Streaming SHA-256 over any number of update() calls. Small enough (about 110 bytes) to live in
// one GPU thread's registers and local memory.
class Sha256Body {
 public:
  GPOC_HD Sha256Body() { sha256_init(state_); }

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
