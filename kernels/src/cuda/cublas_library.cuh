// The cuBLAS entry points gpoc uses, resolved with dlsym from the library cublas_library() loads.
// The types come from the toolkit's headers; no symbol of libcublas is linked.
#pragma once

#include <cublas_v2.h>

#include "cublas_library.hpp"

namespace gpoc::kernels::detail {

struct CublasApi {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetWorkspace_v2) set_workspace = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetProperty) get_property = nullptr;
};

// The resolved entry points, or nullptr when cuBLAS could not be loaded (cublas_library() says
// why). The table lives until the process exits; the library is never unloaded.
const CublasApi* cublas_api();

}  // namespace gpoc::kernels::detail
