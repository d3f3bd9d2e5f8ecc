// Every CUDA runtime call goes through GPOC_CUDA_TRY, which turns a failure into a Status that
// names the call, its file and line, and the CUDA error, and returns it (never exits).
//
// Error codes: a sticky error (the context is lost, every later call fails the same way) maps to
// `unavailable`; running out of device memory to `resource_exhausted`; anything else to
// `internal`. The CUDA backend treats `unavailable` from a run as "this device is done".
#pragma once

#include <cuda_runtime_api.h>

#include "gpoc/common/status.hpp"

namespace gpoc::kernels::detail {

// True for the errors after which NVIDIA says the process must be restarted to use CUDA again
// (illegal address, launch failure, device assert, uncorrectable ECC, ...).
bool cuda_error_is_sticky(cudaError_t err);

Status cuda_status(cudaError_t err, const char* call, const char* file, int line);

// For destructors, which cannot return a Status: reports a failed release on stderr.
void report_cuda_release_error(cudaError_t err, const char* call, const char* file, int line);

}  // namespace gpoc::kernels::detail

#define GPOC_CUDA_TRY(call)                                                                   \
  do {                                                                                        \
    const cudaError_t gpoc_cuda_err_ = (call);                                                \
    if (gpoc_cuda_err_ != cudaSuccess) {                                                      \
      return ::gpoc::kernels::detail::cuda_status(gpoc_cuda_err_, #call, __FILE__, __LINE__); \
    }                                                                                         \
  } while (0)

#define GPOC_CUDA_REPORT(call)                                                            \
  do {                                                                                    \
    const cudaError_t gpoc_cuda_err_ = (call);                                            \
    if (gpoc_cuda_err_ != cudaSuccess) {                                                  \
      ::gpoc::kernels::detail::report_cuda_release_error(gpoc_cuda_err_, #call, __FILE__, \
                                                         __LINE__);                       \
    }                                                                                     \
  } while (0)
