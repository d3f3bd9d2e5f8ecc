// The host side of mc_option v1 (the bodies are in mc_option_body.hpp): its catalog entry, its
// input rule, and its run on the CPU backend.
#pragma once

#include <cstdint>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "mc_option_body.hpp"
#include "task.hpp"

namespace gpoc::kernels::detail {

KernelInfo mc_option_info();

// The input must be whole 32-byte records; the output is 24 bytes per record.
Result<std::uint64_t> mc_option_output_bytes(const Task& task);

// Writes input.size() / 32 results of 24 bytes to output, with the same bodies, batches and
// reduction tree as the CUDA launcher. batch_sums_max bounds the scratch memory (tests vary it to
// show that the batching leaves the bytes alone).
void run_mc_option_on_host(ByteView input, std::uint64_t paths, std::uint64_t seed,
                           std::uint8_t* output, std::uint64_t batch_sums_max = kMcBatchSumsMax);

}  // namespace gpoc::kernels::detail
