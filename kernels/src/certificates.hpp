// The certificate checks, one function per kernel family, and what they share: a random stream
// keyed by the checker's seed, and arithmetic modulo the Mersenne prime 2^61 - 1.
#pragma once

#include <cstdint>
#include <string_view>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/kernels/certificate.hpp"
#include "task.hpp"

namespace gpoc::kernels::detail {

// Bytes that only someone holding the seed can predict: SHA-256 in counter mode over a key bound
// to the seed, the kernel and the round, so rounds (and kernels) never share randomness.
class CertificateStream {
 public:
  CertificateStream(const CertificateSeed& seed, std::string_view kernel_id, std::uint32_t round);
  std::uint64_t next_u64();
  bool next_bit();
  // Uniform in [0, bound), bound > 0 (rejection sampling: no modulo bias).
  std::uint64_t below(std::uint64_t bound);

 private:
  void refill();
  Digest32 key_{};
  std::uint64_t counter_ = 0;
  Digest32 block_{};
  std::size_t used_ = sizeof(Digest32);
  std::uint64_t bits_ = 0;
  int bits_left_ = 0;
};

// The field of integers modulo p = 2^61 - 1 (a Mersenne prime), for multiset fingerprints.
inline constexpr std::uint64_t kFieldPrime = (std::uint64_t{1} << 61) - 1;
__extension__ using u128 = unsigned __int128;  // GCC and Clang on 64-bit targets

inline std::uint64_t field_reduce(u128 x) {
  std::uint64_t lo = static_cast<std::uint64_t>(x & kFieldPrime);
  std::uint64_t hi = static_cast<std::uint64_t>(x >> 61);
  std::uint64_t r = lo + hi;  // x < 2^122 here, so hi < 2^61 and the sum fits
  r = (r & kFieldPrime) + (r >> 61);
  return r >= kFieldPrime ? r - kFieldPrime : r;
}
inline std::uint64_t field_mul(std::uint64_t a, std::uint64_t b) {
  return field_reduce(static_cast<u128>(a) * b);
}
inline std::uint64_t field_add(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t r = a + b;  // a, b < 2^61: no overflow
  return r >= kFieldPrime ? r - kFieldPrime : r;
}
inline std::uint64_t field_sub(std::uint64_t a, std::uint64_t b) {
  return a >= b ? a - b : a + kFieldPrime - b;
}
// Any 64-bit value as a field element (x mod p).
inline std::uint64_t field_from_u64(std::uint64_t x) { return field_reduce(x); }

// The sort certificates (certificate_sort.cpp): sorted order, then equal multisets by the
// fingerprint prod(z - x_i) mod p at random z, false accept <= n/p per round.
CertificateVerdict check_sort_certificate(const Task& task, ByteView input, ByteView output,
                                          std::uint32_t rounds, const CertificateSeed& seed);
// sort_u64: the same with each value encoded into the field by a random s, <= (n+1)/p per round.
CertificateVerdict check_sort_u64_certificate(const Task& task, ByteView input, ByteView output,
                                              std::uint32_t rounds, const CertificateSeed& seed);
// sort_kv_u64: keys in order, and equal multisets of (key, occurrence, value) triples, which
// makes the output the stable sort; <= (n+1)/p per round.
CertificateVerdict check_sort_kv_u64_certificate(const Task& task, ByteView input, ByteView output,
                                                 std::uint32_t rounds, const CertificateSeed& seed);

// The gemm certificates (certificate_gemm.cpp): Freivalds' check A (B r) = C r with r in
// {0,1}^n, exact in 64-bit integers for gemm_i8, in double within a per-row rounding bound for
// gemm_f32 (an error for inputs that bound cannot cover: inf, NaN, or products near the float
// range). A wrong C passes one round with probability <= 1/2.
CertificateVerdict check_gemm_i8_certificate(const Task& task, ByteView input, ByteView output,
                                             std::uint32_t rounds, const CertificateSeed& seed);
Result<CertificateVerdict> check_gemm_f32_certificate(const Task& task, ByteView input,
                                                      ByteView output, std::uint32_t rounds,
                                                      const CertificateSeed& seed);

}  // namespace gpoc::kernels::detail
