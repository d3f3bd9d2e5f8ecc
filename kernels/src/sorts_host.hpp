// The CPU side of sort_u64, sort_kv_u64 and histogram_u32 (cpu_backend.cpp calls these). Each
// writes every byte of an output of exactly the size check_task returned.
#pragma once

#include <cstdint>

#include "gpoc/common/bytes.hpp"
#include "task.hpp"

namespace gpoc::kernels::detail {

void sort_u64_on_host(ByteView input, std::uint8_t* output);
void sort_kv_u64_on_host(ByteView input, std::uint8_t* output);
void histogram_u32_on_host(const Task& task, ByteView input, std::uint8_t* output);

}  // namespace gpoc::kernels::detail
