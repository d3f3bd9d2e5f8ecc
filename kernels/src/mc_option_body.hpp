// mc_option v1: Monte Carlo prices of European and arithmetic-average Asian options under
// geometric Brownian motion, bit-identical on the CPU backend and on every GPU.
//
// What makes it exact:
// - random numbers from Philox4x32-10 keyed by the seed and addressed by (path, option, block), so
//   every draw is a pure function of where it is used, never of which thread draws it;
// - float32 path arithmetic with the deterministic elementary functions of det_math.hpp;
// - a fixed reduction: each chunk of kMcChunkPaths consecutive paths is summed in float64 in path
//   order by one body call, then the chunk sums are combined pairwise level by level (2i with
//   2i+1, an odd last one carried up), the shape of the result digest's Merkle tree. The tree
//   depends only on the number of chunks, so any thread layout gives the same bits.
//
// The bodies take an index and never ask which thread they run on: the CPU backend runs them in
// loops (mc_option_host.cpp), the CUDA backend one thread per index (cuda/mc_option_cuda.cu).
#pragma once

#include <cstdint>

#include "det_math.hpp"
#include "gpoc/kernels/hd.hpp"
#include "philox.hpp"

namespace gpoc::kernels::detail {

inline constexpr std::uint64_t kMcRecordBytes = 32;  // one option in the input
inline constexpr std::uint64_t kMcResultBytes = 24;  // its result in the output
inline constexpr std::uint64_t kMcChunkPaths = 256;  // paths summed in order by one body call
inline constexpr std::uint32_t kMcStepsMax = 4096;   // averaging dates of an Asian option
inline constexpr std::uint64_t kMcPathsMax = std::uint64_t{1} << 30;

// Record field values.
inline constexpr std::uint32_t kMcEuropeanCall = 0;
inline constexpr std::uint32_t kMcEuropeanPut = 1;
inline constexpr std::uint32_t kMcAsianCall = 2;
inline constexpr std::uint32_t kMcAsianPut = 3;
inline constexpr std::uint32_t kMcStatusOk = 0;
inline constexpr std::uint32_t kMcStatusInvalid = 1;

GPOC_HD inline std::uint32_t mc_load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

GPOC_HD inline void mc_store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

GPOC_HD inline void mc_store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// One 32-byte input record, decoded.
struct McOption {
  std::uint32_t type;
  std::uint32_t steps;
  float spot;
  float strike;
  float rate;        // continuously compounded, per year
  float volatility;  // per sqrt(year)
  float maturity;    // years
  std::uint32_t reserved;
};

GPOC_HD inline McOption mc_load_option(const std::uint8_t* record) {
  return {mc_load_le32(record),
          mc_load_le32(record + 4),
          det::float_of(mc_load_le32(record + 8)),
          det::float_of(mc_load_le32(record + 12)),
          det::float_of(mc_load_le32(record + 16)),
          det::float_of(mc_load_le32(record + 20)),
          det::float_of(mc_load_le32(record + 24)),
          mc_load_le32(record + 28)};
}

// The status-1 rules of the layout; a valid option is priced, an invalid one gets zeros.
GPOC_HD inline bool mc_option_valid(const McOption& o) {
  if (o.reserved != 0 || o.type > kMcAsianPut) return false;
  if (o.type <= kMcEuropeanPut ? o.steps != 1 : (o.steps < 1 || o.steps > kMcStepsMax)) {
    return false;
  }
  if (!det::is_finite(o.spot) || !det::is_finite(o.strike) || !det::is_finite(o.rate) ||
      !det::is_finite(o.volatility) || !det::is_finite(o.maturity)) {
    return false;
  }
  return o.spot > 0.0f && o.strike >= 0.0f && o.volatility >= 0.0f && o.maturity > 0.0f;
}

// A uniform in (0, 1) from a 32-bit draw, exactly: the top 23 bits b give (2b + 1) / 2^24, an odd
// multiple of 2^-24 that a float holds exactly. Never 0 or 1, symmetric about 1/2, smallest
// 2^-24 (so Box-Muller normals stay within |z| < 5.8).
GPOC_HD inline float mc_uniform(std::uint32_t u) {
  return static_cast<float>((u >> 8) | 1u) * 0x1p-24f;
}

// Two standard normals from two uniforms (Box-Muller): r cos(2 pi u2), r sin(2 pi u2) with
// r = sqrt(-2 log u1).
struct McNormalPair {
  float first;
  float second;
};

GPOC_HD inline McNormalPair mc_box_muller(std::uint32_t w1, std::uint32_t w2) {
  const float radius = det::sqrt(-2.0f * det::log(mc_uniform(w1)));
  const det::SinCos angle = det::sincos_2pi(mc_uniform(w2));
  return {radius * angle.cos, radius * angle.sin};
}

// Per-option constants of the log-space walk, computed the same way by every chunk.
struct McWalk {
  float drift;  // (r - sigma^2/2) dt
  float vol;    // sigma sqrt(dt)
};

GPOC_HD inline McWalk mc_walk(const McOption& o) {
  const float dt = o.maturity / static_cast<float>(o.steps);
  const float variance = o.volatility * o.volatility;
  return {(o.rate - 0.5f * variance) * dt, o.volatility * det::sqrt(dt)};
}

// The payoff of one path, undiscounted. The log price walks
// x_j = x_{j-1} + (drift + vol * Z_j) over the `steps` averaging dates T*j/steps, and the payoff
// is taken on A = spot * (sum_j exp(x_j) / steps): the arithmetic average for an Asian option,
// and for a European one (steps = 1) exactly spot * exp(x_T). Normal Z_j is element j % 4 of
// block j / 4, a block being (r0 cos, r0 sin, r1 cos, r1 sin) from the Philox words at counter
// (path low, path high, option, block) under key (seed low, seed high).
GPOC_HD inline float mc_path_payoff(const McOption& o, const McWalk& walk, std::uint32_t option,
                                    std::uint64_t path, Philox4x32Key key) {
  float x = 0.0f;
  float sum = 0.0f;
  for (std::uint32_t block = 0; block * 4 < o.steps; ++block) {
    const Philox4x32Counter words = philox4x32(
        {{static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32), option, block}},
        key);
    const std::uint32_t left = o.steps - block * 4;  // steps still to walk, >= 1
    const McNormalPair a = mc_box_muller(words.v[0], words.v[1]);
    McNormalPair b = {0.0f, 0.0f};
    if (left > 2) b = mc_box_muller(words.v[2], words.v[3]);
    const float z[4] = {a.first, a.second, b.first, b.second};
    GPOC_UNROLL
    for (std::uint32_t j = 0; j < 4; ++j) {
      if (j < left) {
        x = x + (walk.drift + walk.vol * z[j]);
        sum = sum + det::exp(x);
      }
    }
  }
  const float average = o.spot * (sum / static_cast<float>(o.steps));
  // Written as comparisons so that a NaN (from absurd but finite inputs) pays 0 on both backends.
  const float gain = (o.type == kMcEuropeanCall || o.type == kMcAsianCall) ? average - o.strike
                                                                           : o.strike - average;
  return gain > 0.0f ? gain : 0.0f;
}

// Sums of payoffs and of squared payoffs over a run of paths. 16 bytes, the element of every
// reduction level.
struct McSums {
  double sum;
  double sum_sq;
};

GPOC_HD inline std::uint64_t mc_chunk_count(std::uint64_t paths) {
  return (paths + kMcChunkPaths - 1) / kMcChunkPaths;
}

// Chunk sums for a batch of consecutive options, chunks_per_option entries each: entry i is chunk
// i % chunks_per_option of option first_option + i / chunks_per_option, its payoffs added in
// float64 in path order. An invalid option's chunks are zero (its result is written as zeros).
struct McChunkBody {
  const std::uint8_t* records;  // the whole input; option o at records + 32 o
  std::uint64_t first_option;
  std::uint64_t chunks_per_option;
  std::uint64_t paths;
  std::uint64_t seed;
  McSums* sums;  // batch options * chunks_per_option

  GPOC_HD void operator()(std::uint64_t i) const {
    const std::uint64_t option = first_option + i / chunks_per_option;
    const std::uint64_t chunk = i % chunks_per_option;
    const McOption o = mc_load_option(records + option * kMcRecordBytes);
    McSums out = {0.0, 0.0};
    if (mc_option_valid(o)) {
      const McWalk walk = mc_walk(o);
      const Philox4x32Key key = {
          {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
      const std::uint64_t first = chunk * kMcChunkPaths;
      const std::uint64_t end = first + kMcChunkPaths < paths ? first + kMcChunkPaths : paths;
      for (std::uint64_t path = first; path < end; ++path) {
        const double payoff =
            mc_path_payoff(o, walk, static_cast<std::uint32_t>(option), path, key);
        out.sum = out.sum + payoff;
        out.sum_sq = out.sum_sq + payoff * payoff;  // exact: a float squared fits a double
      }
    }
    sums[i] = out;
  }
};

GPOC_HD inline std::uint64_t mc_parent_count(std::uint64_t nodes) { return (nodes + 1) / 2; }

// One level of the pairwise tree for a batch of options: parent j of an option is node 2j + node
// 2j+1 of that option's level below, or node 2j alone when it is the odd last one.
struct McLevelBody {
  const McSums* nodes;  // batch options * count
  std::uint64_t count;  // nodes per option on this level
  McSums* parents;      // batch options * mc_parent_count(count), not overlapping nodes

  GPOC_HD void operator()(std::uint64_t i) const {
    const std::uint64_t per_option = mc_parent_count(count);
    const std::uint64_t option = i / per_option;
    const std::uint64_t j = i % per_option;
    const McSums* pair = nodes + option * count + 2 * j;
    if (2 * j + 1 == count) {
      parents[i] = pair[0];
      return;
    }
    parents[i] = {pair[0].sum + pair[1].sum, pair[0].sum_sq + pair[1].sum_sq};
  }
};

// NaN only arises from absurd inputs (e.g. an infinite payoff sum); its bits are fixed here
// because x86 and CUDA produce different NaNs.
GPOC_HD inline double mc_canonical(double v) { return det::is_nan(v) ? det::quiet_nan_f64() : v; }

// The 24-byte result of option first_option + i from its root sums: price = exp(-rT) * mean,
// standard error = exp(-rT) * sqrt(sample variance / paths) (0 for one path), status, 0.
struct McFinalBody {
  const std::uint8_t* records;
  std::uint64_t first_option;
  const McSums* roots;  // one per option of the batch
  std::uint64_t paths;
  std::uint8_t* output;  // the whole output; option o at output + 24 o

  GPOC_HD void operator()(std::uint64_t i) const {
    const std::uint64_t option = first_option + i;
    const McOption o = mc_load_option(records + option * kMcRecordBytes);
    std::uint8_t* out = output + option * kMcResultBytes;
    double price = 0.0;
    double error = 0.0;
    std::uint32_t status = kMcStatusInvalid;
    if (mc_option_valid(o)) {
      const McSums s = roots[i];
      const double n = static_cast<double>(paths);  // exact: paths <= 2^30
      const double mean = s.sum / n;
      // r*T is exact in float64 (two 24-bit significands).
      const double discount = det::exp(-(static_cast<double>(o.rate) * o.maturity));
      price = discount * mean;
      if (paths > 1) {
        double variance = (s.sum_sq - s.sum * mean) / (n - 1.0);
        if (variance < 0.0) variance = 0.0;  // rounding can take an exact zero below zero
        error = discount * det::sqrt(variance / n);
      }
      status = kMcStatusOk;
    }
    mc_store_le64(out, det::bits_of(mc_canonical(price)));
    mc_store_le64(out + 8, det::bits_of(mc_canonical(error)));
    mc_store_le32(out + 16, status);
    mc_store_le32(out + 20, 0);
  }
};

// How many options one pass handles so that its chunk sums stay within sums_max entries (by
// default 2^22: 64 MiB, plus half that for the level above); at least one option. The batching
// does not change a result: each option's tree is its own.
inline constexpr std::uint64_t kMcBatchSumsMax = std::uint64_t{1} << 22;

inline std::uint64_t mc_batch_options(std::uint64_t options, std::uint64_t paths,
                                      std::uint64_t sums_max = kMcBatchSumsMax) {
  const std::uint64_t per_batch = sums_max / mc_chunk_count(paths);
  const std::uint64_t batch = per_batch > 0 ? per_batch : 1;
  return batch < options ? batch : options;
}

}  // namespace gpoc::kernels::detail
