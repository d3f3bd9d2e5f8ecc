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

// The most work one task may ask for, in path-steps (options x paths x steps), so that a task
// too big to finish in reasonable time is refused at submission rather than holding a worker for
// hours. Validation sees the input's size but not its records, so it counts every option at
// kMcStepsMax steps (the most an Asian record may have; a European has 1): a task passes when
// options x paths x 4096 <= 2^40, i.e. options x paths <= 2^28.
//
// Why 2^40 (1.1e12 path-steps): an H100 runs roughly 1e11 path-steps/s, so the worst task allowed
// (every record a 4096-date Asian) holds one for about 11 s, and a task at the cap made of the
// common 252-date Asians (6.8e10 real path-steps) well under a second; a smaller cap would make
// GPU tasks too short to amortise the per-task protocol work (three replicas, a ledger commit).
// The CPU backend runs one thread at about 3.7e7 path-steps/s (docs/BENCHMARKS.md), so on the CPU
// the 252-date task at the cap takes about half an hour and the worst one about 8 hours: tasks
// near the cap are GPU work. The cap only bounds the worst case; the category deadlines still
// decide what a slow worker can finish.
inline constexpr std::uint64_t kMcPathStepsMax = std::uint64_t{1} << 40;

KernelInfo mc_option_info();

// The input must be whole 32-byte records, and options x paths x kMcStepsMax must not exceed
// kMcPathStepsMax; the output is 24 bytes per record.
Result<std::uint64_t> mc_option_output_bytes(const Task& task);

// Writes input.size() / 32 results of 24 bytes to output, with the same bodies, batches and
// reduction tree as the CUDA launcher. batch_sums_max bounds the scratch memory (tests vary it to
// show that the batching leaves the bytes alone).
void run_mc_option_on_host(ByteView input, std::uint64_t paths, std::uint64_t seed,
                           std::uint8_t* output, std::uint64_t batch_sums_max = kMcBatchSumsMax);

}  // namespace gpoc::kernels::detail
