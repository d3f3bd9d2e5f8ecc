// Bodies for sort_kv_u64 and histogram_u32 that both sides need. sort_u64 has none: a sorted
// multiset has one byte representation, so std::sort and CUB's radix sort agree without sharing
// code. sort_kv_u64 is stable, which makes its output unique too; the CUDA side splits records
// into key and value arrays for CUB and joins them again with the two bodies below.
#pragma once

#include <cstdint>

#include "gpoc/kernels/hd.hpp"

namespace gpoc::kernels::detail {

inline constexpr std::uint64_t kKvRecordBytes = 16;  // u64 key, u64 value

// Record i is words 2i (key) and 2i+1 (value). The layout is little-endian, and so is every
// CUDA device, so the device reads the words directly.
struct DeinterleaveKvBody {
  const std::uint64_t* records;  // 2 * count words
  std::uint64_t* keys;           // count
  std::uint64_t* values;         // count

  GPOC_HD void operator()(std::uint64_t i) const {
    keys[i] = records[2 * i];
    values[i] = records[2 * i + 1];
  }
};

struct InterleaveKvBody {
  const std::uint64_t* keys;
  const std::uint64_t* values;
  std::uint64_t* records;  // 2 * count words, not overlapping keys or values

  GPOC_HD void operator()(std::uint64_t i) const {
    records[2 * i] = keys[i];
    records[2 * i + 1] = values[i];
  }
};

// histogram_u32: v with lower <= v < upper goes to bin floor((v - lower) * bins / (upper -
// lower)). Every operand fits in 64 bits ((v - lower) < 2^32 and bins <= 2^24, so the product is
// below 2^56), so the bin is exact integer arithmetic on both sides. A width that is a power of
// two (the default range [0, 2^32) among them) divides by a shift, which gives the same quotient
// and saves the device a 64-bit division per value.
struct HistogramRange {
  std::uint64_t lower = 0;
  std::uint64_t upper = 0;
  std::uint64_t bins = 0;
  int width_log2 = -1;  // log2(upper - lower) when that is a power of two, else -1

  // bins when v is outside [lower, upper): such values are not counted.
  GPOC_HD std::uint64_t bin_of(std::uint32_t v) const {
    const std::uint64_t x = v;
    if (x < lower || x >= upper) return bins;
    const std::uint64_t scaled = (x - lower) * bins;
    if (width_log2 >= 0) return scaled >> width_log2;
    return scaled / (upper - lower);
  }
};

// lower < upper <= 2^32 and 1 <= bins <= 2^24, as the catalog enforces.
GPOC_HD inline HistogramRange make_histogram_range(std::uint64_t lower, std::uint64_t upper,
                                                   std::uint64_t bins) {
  HistogramRange range;
  range.lower = lower;
  range.upper = upper;
  range.bins = bins;
  const std::uint64_t width = upper - lower;
  if ((width & (width - 1)) == 0) {
    int log2 = 0;
    while ((std::uint64_t{1} << log2) < width) ++log2;  // width <= 2^32: at most 32 steps
    range.width_log2 = log2;
  }
  return range;
}

}  // namespace gpoc::kernels::detail
