#include <cstdio>
#include <string>
#include <string_view>

#include "cuda_check.cuh"

namespace gpoc::kernels::detail {
namespace {

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string describe(cudaError_t err, const char* call, const char* file, int line) {
  return std::string(base_name(file)) + ":" + std::to_string(line) + ": " + call +
         " failed: " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
}

}  // namespace

bool cuda_error_is_sticky(cudaError_t err) {
  switch (err) {
    case cudaErrorECCUncorrectable:
    case cudaErrorContained:
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorTensorMemoryLeak: return true;
    default: return false;
  }
}

Status cuda_status(cudaError_t err, const char* call, const char* file, int line) {
  std::string message = describe(err, call, file, line);
  if (cuda_error_is_sticky(err)) {
    return unavailable(message + "; the CUDA context is lost, restart the process");
  }
  if (err == cudaErrorMemoryAllocation) return resource_exhausted(message);
  return internal_error(message);
}

void report_cuda_release_error(cudaError_t err, const char* call, const char* file, int line) {
  std::fprintf(stderr, "gpoc: %s\n", describe(err, call, file, line).c_str());
}

}  // namespace gpoc::kernels::detail
