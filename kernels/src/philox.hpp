// Philox4x32 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
// the counter-based generator of Random123 and cuRAND's curand_Philox4x32_10: a pure function of a
// 128-bit counter and a 64-bit key, so any thread can draw any element of the stream without
// state, and the same (counter, key) gives the same four words everywhere. Integer arithmetic
// only, so it is exact on every backend by construction.
#pragma once

#include <cstdint>

#include "gpoc/kernels/hd.hpp"

namespace gpoc::kernels::detail {

struct Philox4x32Counter {
  std::uint32_t v[4];
};
struct Philox4x32Key {
  std::uint32_t v[2];
};

// The high 32 bits of a 32x32-bit product (the low ones are a * b). The device has an
// instruction for it; a 64-bit multiply there would cost several.
GPOC_HD inline std::uint32_t mulhi32(std::uint32_t a, std::uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<std::uint32_t>((std::uint64_t{a} * b) >> 32);
#endif
}

// One round: two 32x32->64 multiplies, their halves crossed and xored with the key.
GPOC_HD inline Philox4x32Counter philox4x32_round(Philox4x32Counter c, Philox4x32Key k) {
  constexpr std::uint32_t kM0 = 0xD2511F53u;
  constexpr std::uint32_t kM1 = 0xCD9E8D57u;
  return {{mulhi32(kM1, c.v[2]) ^ c.v[1] ^ k.v[0], kM1 * c.v[2],
           mulhi32(kM0, c.v[0]) ^ c.v[3] ^ k.v[1], kM0 * c.v[0]}};
}

// Philox4x32-R: R rounds, the key bumped by the Weyl constants between rounds. R = 10 is the
// standard choice (Random123's default, cuRAND's only one); other R exist for the known-answer
// tests.
template <int Rounds = 10>
GPOC_HD inline Philox4x32Counter philox4x32(Philox4x32Counter counter, Philox4x32Key key) {
  constexpr std::uint32_t kW0 = 0x9E3779B9u;  // golden ratio
  constexpr std::uint32_t kW1 = 0xBB67AE85u;  // sqrt(3) - 1
  GPOC_UNROLL
  for (int round = 0; round < Rounds; ++round) {
    if (round > 0) {
      key.v[0] += kW0;
      key.v[1] += kW1;
    }
    counter = philox4x32_round(counter, key);
  }
  return counter;
}

}  // namespace gpoc::kernels::detail
