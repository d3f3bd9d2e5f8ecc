// mc_option v1 on the host: what the catalog says about it, and the CPU backend's run of the
// bodies in mc_option_body.hpp.
#include "mc_option.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "host_loop.hpp"

namespace gpoc::kernels::detail {

KernelInfo mc_option_info() {
  return {
      .id = "mc_option",
      .version = 1,
      .determinism = Determinism::exact,
      .summary =
          "Monte Carlo prices and standard errors of European and arithmetic-average Asian "
          "options under geometric Brownian motion",
      .input_layout =
          "n option records of 32 bytes, packed, little-endian: u32 type (0 European call, "
          "1 European put, 2 arithmetic-average Asian call, 3 Asian put), u32 steps (European: "
          "1; Asian: the number of equally spaced averaging dates T*j/steps, j = 1..steps, "
          "1..4096), f32 spot, f32 strike K, f32 rate r (continuously compounded, per year), "
          "f32 volatility sigma (per sqrt(year)), f32 maturity T (years), u32 reserved (0); "
          "input size = 32 * n, n >= 0. A record breaking a rule (unknown type, steps out of "
          "range or not 1 for a European, spot <= 0, strike < 0, volatility < 0, maturity <= 0, "
          "a NaN or infinite field, reserved != 0) is not an error: its result has status 1",
      .output_layout =
          "n results of 24 bytes, packed, little-endian, in record order: f64 price = "
          "exp(-rT) * mean payoff, f64 standard error = exp(-rT) * sqrt(sample variance of the "
          "payoffs / paths) (0 when paths = 1), u32 status (0 priced; 1 invalid record, price "
          "and error then 0), u32 0; size = 24 * n. The simulation is fixed so that every "
          "backend writes the same bits: path p of option i (its record index) draws "
          "Philox4x32-10 with key (seed mod 2^32, seed div 2^32) at counter (p mod 2^32, "
          "p div 2^32, i, b) for blocks b = 0, 1, ...; a word w gives the uniform "
          "u = (2 floor(w / 2^9) + 1) / 2^24; a block's words (w0, w1, w2, w3) give the normals "
          "(a cos 2 pi u1, a sin 2 pi u1, c cos 2 pi u3, c sin 2 pi u3), a = sqrt(-2 ln u0), "
          "c = sqrt(-2 ln u2), and step j (from 0) uses normal j mod 4 of block j div 4. In "
          "float32: dt = T / steps, x_0 = 0, x_j = x_{j-1} + ((r - sigma^2 / 2) dt + sigma "
          "sqrt(dt) Z_j), A = spot * (sum over j of exp(x_j) / steps), so a European's A is "
          "spot * exp(x_1); the payoff is max(A - K, 0) for calls and max(K - A, 0) for puts. "
          "Payoffs are summed in float64 in path order within chunks of 256 consecutive paths, "
          "and the chunk sums (of payoffs and of squared payoffs) are combined pairwise level by "
          "level, 2i with 2i+1, an odd last one carried up. exp, ln, sin and cos are gpoc's "
          "deterministic implementations (a few ulps from the true values), not the platform's; "
          "a NaN result is written as 0x7ff8000000000000",
      .params = {{.name = "paths",
                  .doc = "simulated paths per option; options x paths may not exceed 2^28 (the "
                         "work cap: options x paths x 4096 steps <= 2^40 path-steps per task)",
                  .required = true,
                  .default_value = {},
                  .min_value = 1,
                  .max_value = kMcPathsMax},
                 {.name = "seed",
                  .doc = "the Philox4x32-10 key: low 32 bits key word 0, high 32 bits word 1",
                  .required = false,
                  .default_value = "0",
                  .min_value = 0,
                  .max_value = std::numeric_limits<std::uint64_t>::max()}},
      .input_bytes_max = std::uint64_t{1} << 30,
      .output_bytes_max = std::uint64_t{1} << 30,
      .certificate = {},
  };
}

Result<std::uint64_t> mc_option_output_bytes(const Task& task) {
  if (task.input_bytes % kMcRecordBytes != 0) {
    return invalid_argument(task.info->id + ": input of " + std::to_string(task.input_bytes) +
                            " bytes is not a multiple of 32 (option records)");
  }
  const std::uint64_t options = task.input_bytes / kMcRecordBytes;
  const std::uint64_t paths = task.param("paths");
  // options <= 2^25 (1 GiB of input) and paths <= 2^30, so the product fits; times 4096 might not.
  static_assert(kMcPathsMax <= (std::uint64_t{1} << 30) && kMcPathStepsMax % kMcStepsMax == 0);
  static_assert(kMcPathStepsMax == std::uint64_t{1} << 40, "the message below says 2^40");
  constexpr std::uint64_t option_paths_max = kMcPathStepsMax / kMcStepsMax;
  if (options * paths > option_paths_max) {
    return resource_exhausted(
        task.info->id + ": " + std::to_string(options) + " options x " + std::to_string(paths) +
        " paths x up to " + std::to_string(kMcStepsMax) +
        " steps exceeds the work cap of 2^40 path-steps per task (options x paths <= " +
        std::to_string(option_paths_max) + "); use fewer paths or split the options across tasks");
  }
  return options * kMcResultBytes;
}

void run_mc_option_on_host(ByteView input, std::uint64_t paths, std::uint64_t seed,
                           std::uint8_t* output, std::uint64_t batch_sums_max) {
  const std::uint64_t options = input.size() / kMcRecordBytes;
  if (options == 0) return;
  const std::uint64_t chunks = mc_chunk_count(paths);
  const std::uint64_t batch = mc_batch_options(options, paths, batch_sums_max);
  std::vector<McSums> chunk_level(batch * chunks);
  std::vector<McSums> parent_level(batch * mc_parent_count(chunks));
  for (std::uint64_t first = 0; first < options; first += batch) {
    const std::uint64_t count = std::min(batch, options - first);
    McSums* level = chunk_level.data();
    McSums* next = parent_level.data();
    for_each_index(count * chunks, McChunkBody{input.data(), first, chunks, paths, seed, level});
    for (std::uint64_t nodes = chunks; nodes > 1; nodes = mc_parent_count(nodes)) {
      for_each_index(count * mc_parent_count(nodes), McLevelBody{level, nodes, next});
      std::swap(level, next);
    }
    for_each_index(count, McFinalBody{input.data(), first, level, paths, output});
  }
}

}  // namespace gpoc::kernels::detail
