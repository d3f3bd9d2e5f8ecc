// cuBLAS is loaded at run time (dlopen), not linked: the gpoc binaries link cudart statically so
// that they start on machines without the CUDA toolkit, and they must start there without cuBLAS
// too. This header compiles with g++ (no cuBLAS types); cublas_library.cuh has the entry points.
#pragma once

#include <optional>
#include <string>

#include "../execution_class.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc::kernels::detail {

// Loads cuBLAS once per process (thread-safe) from "libcublas.so.<major of the build's cuBLAS>",
// then "libcublas.so", and resolves the entry points gpoc uses. Returns what was loaded, e.g.
// "libcublas.so.13 (cuBLAS 13.0.2)", or an `unavailable` error naming the libraries tried and why
// each failed. The answer never changes within a process.
Result<std::string> cublas_library();

// The version of the cuBLAS cublas_library() loaded (cublasGetProperty), or nullopt when none
// could be. Loads it on the first call; the answer never changes within a process.
std::optional<LibraryVersion> cublas_version();

}  // namespace gpoc::kernels::detail
