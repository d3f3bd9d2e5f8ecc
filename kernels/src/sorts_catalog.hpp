// The catalog entries of sort_u64, sort_kv_u64 and histogram_u32 and their input rules
// (catalog.cpp lists them and calls the rules from output_bytes_for).
#pragma once

#include <cstdint>

#include "gpoc/common/status.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "task.hpp"

namespace gpoc::kernels::detail {

// task_bytes_max bounds both the input and the output, as for every built-in kernel.
KernelInfo sort_u64_info(std::uint64_t task_bytes_max);
KernelInfo sort_kv_u64_info(std::uint64_t task_bytes_max);
KernelInfo histogram_u32_info(std::uint64_t task_bytes_max);

// The exact output size of a task whose parameters are bound, or why the task is invalid.
Result<std::uint64_t> sort_u64_output_bytes(const Task& task);
Result<std::uint64_t> sort_kv_u64_output_bytes(const Task& task);
Result<std::uint64_t> histogram_u32_output_bytes(const Task& task);

}  // namespace gpoc::kernels::detail
