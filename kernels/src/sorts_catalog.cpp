// sort_u64, sort_kv_u64 and histogram_u32: what a requester reads in the catalog, and the rules a
// task must meet before it runs.
#include "sorts_catalog.hpp"

#include <string>

#include "sorts_bodies.hpp"

namespace gpoc::kernels::detail {
namespace {

std::string input_is_not_whole(const Task& task, std::uint64_t unit_bytes, const char* unit) {
  return task.info->id + ": input of " + std::to_string(task.input_bytes) +
         " bytes is not a multiple of " + std::to_string(unit_bytes) + " (" + unit + ")";
}

}  // namespace

KernelInfo sort_u64_info(std::uint64_t task_bytes_max) {
  return {
      .id = "sort_u64",
      .version = 1,
      .determinism = Determinism::exact,
      .summary = "sort unsigned 64-bit integers ascending",
      .input_layout =
          "n unsigned 64-bit integers, little-endian, packed; input size = 8 * n, n >= 0",
      .output_layout =
          "the same n values (duplicates kept) in ascending numeric order, as "
          "little-endian unsigned 64-bit integers, packed; size = 8 * n",
      .params = {},
      .input_bytes_max = task_bytes_max,
      .output_bytes_max = task_bytes_max,
      .certificate =
          "the output is in ascending order, and prod(z - e(x)) mod p, p = 2^61-1, is the same "
          "over input and output values at a random z, where e(x) = (x mod 2^32 + s * "
          "floor(x / 2^32)) mod p with a second random s per round (equal multisets of 64-bit "
          "values, although they do not fit the field); a wrong output passes one round with "
          "probability at most (n+1)/(2^61-1)",
  };
}

KernelInfo sort_kv_u64_info(std::uint64_t task_bytes_max) {
  return {
      .id = "sort_kv_u64",
      .version = 1,
      .determinism = Determinism::exact,
      .summary = "stable sort of (u64 key, u64 value) records by key, ascending",
      .input_layout =
          "n records of 16 bytes, packed: bytes [16i, 16i+8) are key i and [16i+8, 16i+16) "
          "value i, both little-endian unsigned 64-bit integers; input size = 16 * n, n >= 0",
      .output_layout =
          "the same n records, each a little-endian u64 key then a little-endian u64 value "
          "(16 bytes, packed), in ascending key order; records with equal keys keep their "
          "input order (stable), so the output is unique; size = 16 * n",
      .params = {},
      .input_bytes_max = task_bytes_max,
      .output_bytes_max = task_bytes_max,
      .certificate =
          "the output keys are in ascending order, and the multisets of triples (key, j, "
          "value) are equal, where j counts the earlier records with the same key (in input "
          "order for the input, inside the run of equal keys for the output), by prod(z - "
          "e(t)) mod 2^61-1 at a random z with each triple encoded by a random linear "
          "combination of its 32-bit halves; equal multisets mean the output is the stable "
          "sort; a wrong output passes one round with probability at most (n+1)/(2^61-1)",
  };
}

KernelInfo histogram_u32_info(std::uint64_t task_bytes_max) {
  return {
      .id = "histogram_u32",
      .version = 1,
      .determinism = Determinism::exact,
      .summary = "count unsigned 32-bit integers into equal-width bins over [lower, upper)",
      .input_layout =
          "n unsigned 32-bit integers, little-endian, packed; input size = 4 * n, n >= 0",
      .output_layout =
          "bins counts, each a little-endian unsigned 64-bit integer, packed; count b is the "
          "number of values v with lower <= v < upper and floor((v - lower) * bins / (upper - "
          "lower)) = b (exact integer arithmetic); values outside [lower, upper) are not "
          "counted; size = 8 * bins",
      .params = {{.name = "bins",
                  .doc = "number of equal-width bins",
                  .required = true,
                  .default_value = {},
                  .min_value = 1,
                  .max_value = 16777216},
                 {.name = "lower",
                  .doc = "smallest value counted",
                  .required = false,
                  .default_value = "0",
                  .min_value = 0,
                  .max_value = 4294967295},
                 {.name = "upper",
                  .doc = "values at or above it are not counted; must be greater than lower",
                  .required = false,
                  .default_value = "4294967296",
                  .min_value = 1,
                  .max_value = 4294967296}},
      .input_bytes_max = task_bytes_max,
      .output_bytes_max = task_bytes_max,
      .certificate = {},
  };
}

Result<std::uint64_t> sort_u64_output_bytes(const Task& task) {
  if (task.input_bytes % 8 != 0) {
    return invalid_argument(input_is_not_whole(task, 8, "little-endian u64 values"));
  }
  return task.input_bytes;
}

Result<std::uint64_t> sort_kv_u64_output_bytes(const Task& task) {
  if (task.input_bytes % kKvRecordBytes != 0) {
    return invalid_argument(input_is_not_whole(
        task, kKvRecordBytes, "records of a little-endian u64 key and a u64 value"));
  }
  return task.input_bytes;
}

Result<std::uint64_t> histogram_u32_output_bytes(const Task& task) {
  const std::uint64_t lower = task.param("lower");
  const std::uint64_t upper = task.param("upper");
  if (upper <= lower) {
    return invalid_argument(task.info->id + ": upper=" + std::to_string(upper) +
                            " must be greater than lower=" + std::to_string(lower) +
                            " (the values counted are lower <= v < upper)");
  }
  if (task.input_bytes % 4 != 0) {
    return invalid_argument(input_is_not_whole(task, 4, "little-endian u32 values"));
  }
  return task.param("bins") * 8;
}

}  // namespace gpoc::kernels::detail
