// A task that passed validation, in the form the backends run: which kernel, the parameter values
// with defaults applied, and the sizes. Both backends start from check_task, so a task the CPU
// accepts is exactly a task the GPU accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "gpoc/common/status.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels::detail {

// One per built-in kernel; each backend switches over it, so a kernel added to the catalog but
// not to a backend is a compiler warning (-Wswitch) rather than a run-time surprise.
enum class KernelKind {
  sha256,
  sort_u32,
  sort_u64,
  sort_kv_u64,
  histogram_u32,
  mc_option,
  gemm_i8,
  gemm_f32,
};

// Written over an output buffer before a kernel runs: an element the kernel forgot to write
// shows up as a wrong byte in the conformance tests rather than as a plausible zero.
inline constexpr std::uint8_t kPoisonByte = 0xA5;

struct Task {
  KernelKind kind;
  const KernelInfo* info;
  std::vector<std::uint64_t> param_values;  // in info->params order, defaults applied
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;

  // The value of a parameter the kernel declares (asserts that it does).
  std::uint64_t param(std::string_view name) const;
};

Result<Task> check_task(std::string_view id, std::uint32_t version, const Params& params,
                        std::uint64_t input_bytes);

// The kind of a catalog kernel; nullopt when no kernel has this id and version.
std::optional<KernelKind> find_kind(std::string_view id, std::uint32_t version);

}  // namespace gpoc::kernels::detail
