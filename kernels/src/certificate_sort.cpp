// Sort certificates: O(n) instead of a sort. The output must be in order, and input and output
// must hold the same multiset of values, checked by the fingerprint prod(z - x_i) mod p at a
// random z. Two different multisets of n values give polynomials whose difference has degree
// <= n and so at most n roots: a wrong output passes one round with probability <= n/p.
#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

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

// --- 64-bit values and (key, value) records ---
//
// A u64 does not fit the field, and x mod p would alias x with x + p. So an item is split into
// parts below 2^32 (a u64 into its halves; a record into key halves, occurrence number, value
// halves) and encoded as e = part0 + s1 * part1 + s2 * part2 + ... mod p with random s per
// round. As a polynomial in (s, z), prod(z - e(item)) factors into linear polynomials that are
// monic in z and distinct for distinct items, so input and output polynomials are equal exactly
// when the multisets of items are equal. Their difference then has total degree <= n, and by
// Schwartz-Zippel a wrong output passes a round at random (s, z) with probability <= n/p. We
// state (n+1)/p, which is what the catalog promises and bounds n/p.

constexpr std::uint64_t kLow32 = 0xffffffff;

template <int kParts>
struct Item {
  std::uint64_t part[kParts];  // each < 2^32
};

Item<2> u64_item(std::uint64_t x) { return {{x & kLow32, x >> 32}}; }

Item<5> record_item(std::uint64_t key, std::uint64_t occurrence, std::uint64_t value) {
  return {{key & kLow32, key >> 32, occurrence, value & kLow32, value >> 32}};
}

struct RoundPoint {
  std::uint64_t z = 0;
  std::uint64_t s[4] = {};
};

std::vector<RoundPoint> draw_points(const Task& task, std::uint32_t rounds,
                                    const CertificateSeed& seed, int coefficients) {
  std::vector<RoundPoint> points(rounds);
  for (std::uint32_t r = 0; r < rounds; ++r) {
    CertificateStream stream(seed, task.info->id, r);
    points[r].z = stream.below(kFieldPrime);
    for (int c = 0; c < coefficients; ++c) points[r].s[c] = stream.below(kFieldPrime);
  }
  return points;
}

// Every round's fingerprint in one pass over the data.
template <int kParts>
class Fingerprints {
 public:
  explicit Fingerprints(const std::vector<RoundPoint>& points)
      : points_(points), acc_(points.size(), 1) {}

  void add(const Item<kParts>& item) {
    for (std::size_t r = 0; r < points_.size(); ++r) {
      // Each product is below 2^93, so the sum stays far below field_reduce's 2^122.
      u128 e = item.part[0];
      for (int c = 1; c < kParts; ++c) e += static_cast<u128>(points_[r].s[c - 1]) * item.part[c];
      acc_[r] = field_mul(acc_[r], field_sub(points_[r].z, field_reduce(e)));
    }
  }

  // The first round in which the two differ.
  std::optional<std::uint32_t> first_difference(const Fingerprints& other) const {
    for (std::size_t r = 0; r < acc_.size(); ++r) {
      if (acc_[r] != other.acc_[r]) return static_cast<std::uint32_t>(r);
    }
    return std::nullopt;
  }

 private:
  const std::vector<RoundPoint>& points_;
  std::vector<std::uint64_t> acc_;
};

CertificateVerdict passed(std::string method, std::uint32_t rounds, std::size_t n) {
  const double per_round =
      std::log2(static_cast<double>(n) + 1.0) - std::log2(static_cast<double>(kFieldPrime));
  return {.passed = true,
          .method = std::move(method),
          .rounds = rounds,
          .log2_false_accept = per_round * rounds,
          .reason = {}};
}

// How many times each key has been seen so far: open addressing with linear probing, at most
// half full. The slot is a multiply-shift hash of the key under a salt drawn from the seed, so
// whoever chose the input cannot aim its keys at one probe chain.
class OccurrenceCounter {
 public:
  OccurrenceCounter(std::size_t keys_max, std::uint64_t salt)
      : keys_max_(keys_max), salt_(salt), multiplier_((salt * 0x9E3779B97F4A7C15ull) | 1) {
    const std::size_t slots = std::bit_ceil(std::max<std::size_t>(16, 2 * keys_max));
    shift_ = 64 - std::countr_zero(slots);
    keys_.resize(slots);
    seen_.assign(slots, 0);
  }

  // The number of earlier calls with this key; nullopt when it would be key number keys_max + 1.
  std::optional<std::uint32_t> next(std::uint64_t key) {
    const std::size_t mask = seen_.size() - 1;
    std::size_t slot = static_cast<std::size_t>(((key ^ salt_) * multiplier_) >> shift_);
    for (std::size_t probe = 0; probe < seen_.size(); ++probe, slot = (slot + 1) & mask) {
      if (seen_[slot] == 0) {
        if (distinct_ == keys_max_) return std::nullopt;
        ++distinct_;
        keys_[slot] = key;
        seen_[slot] = 1;
        return 0;
      }
      if (keys_[slot] == key) return seen_[slot]++;
    }
    assert(false && "a table at most half full always has an empty slot");
    return std::nullopt;
  }

 private:
  std::size_t keys_max_;
  std::uint64_t salt_;
  std::uint64_t multiplier_;
  int shift_ = 0;
  std::size_t distinct_ = 0;
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> seen_;  // 0: empty slot; otherwise occurrences so far
};

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

CertificateVerdict check_sort_u64_certificate(const Task& task, ByteView input, ByteView output,
                                              std::uint32_t rounds, const CertificateSeed& seed) {
  const std::string method = "sorted+fingerprint";
  if (output.size() != task.output_bytes) {
    return failed(method, "output is " + std::to_string(output.size()) + " bytes, expected " +
                              std::to_string(task.output_bytes));
  }
  const std::size_t n = output.size() / 8;
  for (std::size_t i = 1; i < n; ++i) {
    if (load_le(output.data() + (i - 1) * 8, 8) > load_le(output.data() + i * 8, 8)) {
      return failed(method, "output is out of order at element " + std::to_string(i));
    }
  }
  const std::vector<RoundPoint> points = draw_points(task, rounds, seed, 1);
  Fingerprints<2> from_input(points), from_output(points);
  for (std::size_t i = 0; i < n; ++i) {
    from_input.add(u64_item(load_le(input.data() + i * 8, 8)));
    from_output.add(u64_item(load_le(output.data() + i * 8, 8)));
  }
  if (std::optional<std::uint32_t> r = from_input.first_difference(from_output)) {
    return failed(method, "output is not a permutation of the input (fingerprint round " +
                              std::to_string(*r) + ")");
  }
  return passed(method, rounds, n);
}

// The stable sort is the one sorted order in which the j-th record with key k (counting from 0
// in input order) is the j-th record of k's run. So: keys in order, then the multiset of (key,
// j, value) with j counted over the input equals the one with j the position inside each run of
// the output. Equal multisets pair every (k, j) with the same value on both sides, and the run
// of k then holds exactly k's records in input order.
CertificateVerdict check_sort_kv_u64_certificate(const Task& task, ByteView input, ByteView output,
                                                 std::uint32_t rounds,
                                                 const CertificateSeed& seed) {
  const std::string method = "sorted+stable-fingerprint";
  constexpr std::size_t kRecord = 16;
  if (output.size() != task.output_bytes) {
    return failed(method, "output is " + std::to_string(output.size()) + " bytes, expected " +
                              std::to_string(task.output_bytes));
  }
  const std::size_t n = output.size() / kRecord;
  assert(n < (std::size_t{1} << 32));  // occurrence numbers are parts below 2^32
  std::size_t distinct_keys = n > 0 ? 1 : 0;
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t previous = load_le(output.data() + (i - 1) * kRecord, 8);
    const std::uint64_t key = load_le(output.data() + i * kRecord, 8);
    if (previous > key) {
      return failed(method, "output keys are out of order at record " + std::to_string(i));
    }
    if (previous != key) ++distinct_keys;
  }
  const std::vector<RoundPoint> points = draw_points(task, rounds, seed, 4);
  Fingerprints<5> from_input(points), from_output(points);
  OccurrenceCounter occurrences(
      distinct_keys, CertificateStream(seed, task.info->id + ".occurrences", 0).next_u64());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* record = input.data() + i * kRecord;
    const std::uint64_t key = load_le(record, 8);
    const std::optional<std::uint32_t> j = occurrences.next(key);
    if (!j) {
      return failed(method, "the input has more distinct keys than the output's " +
                                std::to_string(distinct_keys));
    }
    from_input.add(record_item(key, *j, load_le(record + 8, 8)));
  }
  std::uint64_t j = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* record = output.data() + i * kRecord;
    const std::uint64_t key = load_le(record, 8);
    j = (i > 0 && load_le(record - kRecord, 8) == key) ? j + 1 : 0;
    from_output.add(record_item(key, j, load_le(record + 8, 8)));
  }
  if (std::optional<std::uint32_t> r = from_input.first_difference(from_output)) {
    return failed(method,
                  "output is not the stable sort of the input: the (key, occurrence, value) "
                  "triples differ (fingerprint round " +
                      std::to_string(*r) + ")");
  }
  return passed(method, rounds, n);
}

}  // namespace gpoc::kernels::detail
