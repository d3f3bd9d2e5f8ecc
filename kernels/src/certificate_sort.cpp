// Sort certificates: O(n) instead of a sort. The output must be in order, and input and output
// must hold the same multiset of values, checked by the fingerprint prod(z - x_i) mod p at a
// random z. Two different multisets of n values give polynomials whose difference has degree
// <= n and so at most n roots: a wrong output passes one round with probability <= n/p.
#include <cmath>
#include <string>

#include "certificates.hpp"

namespace gpoc::kernels::detail {
namespace {

std::uint64_t load_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

// prod over i of (z - value_i) in the field.
std::uint64_t fingerprint(ByteView values, int value_bytes, std::uint64_t z) {
  std::uint64_t acc = 1;
  const std::size_t n = values.size() / static_cast<std::size_t>(value_bytes);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t x = field_from_u64(load_le(values.data() + i * value_bytes, value_bytes));
    acc = field_mul(acc, field_sub(z, x));
  }
  return acc;
}

CertificateVerdict failed(std::string method, std::string reason) {
  return {.passed = false,
          .method = std::move(method),
          .rounds = 0,
          .log2_false_accept = 0,
          .reason = std::move(reason)};
}

}  // namespace

CertificateVerdict check_sort_certificate(const Task& task, ByteView input, ByteView output,
                                          std::uint32_t rounds, const CertificateSeed& seed) {
  const std::string method = "sorted+fingerprint";
  const int value_bytes = 4;
  if (output.size() != task.output_bytes) {
    return failed(method, "output is " + std::to_string(output.size()) + " bytes, expected " +
                              std::to_string(task.output_bytes));
  }
  const std::size_t n = output.size() / value_bytes;
  for (std::size_t i = 1; i < n; ++i) {
    if (load_le(output.data() + (i - 1) * value_bytes, value_bytes) >
        load_le(output.data() + i * value_bytes, value_bytes)) {
      return failed(method, "output is out of order at element " + std::to_string(i));
    }
  }
  // Values below 2^32 are distinct field elements, so equal fingerprints mean equal
  // multisets except with the stated probability.
  for (std::uint32_t r = 0; r < rounds; ++r) {
    CertificateStream stream(seed, task.info->id, r);
    const std::uint64_t z = stream.below(kFieldPrime);
    if (fingerprint(input, value_bytes, z) != fingerprint(output, value_bytes, z)) {
      return failed(method, "output is not a permutation of the input (fingerprint round " +
                                std::to_string(r) + ")");
    }
  }
  const double per_round = std::log2(static_cast<double>(n > 0 ? n : 1)) - 61.0;
  return {.passed = true,
          .method = method,
          .rounds = rounds,
          .log2_false_accept = per_round * rounds,
          .reason = {}};
}

}  // namespace gpoc::kernels::detail
