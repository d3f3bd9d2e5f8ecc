// The CUDA backend's execution class, formatted from numbers: a pure function, so the format is
// tested on machines without a GPU (the backend itself reads the numbers from the device, the
// runtime and the cuBLAS it loaded).
#pragma once

#include <optional>
#include <string>

namespace gpoc::kernels::detail {

// A library's version as it reports itself, e.g. cuBLAS 13.1.0.
struct LibraryVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
};

// "cuda-sm90x132-cuda13.0-cublas13.1.0": compute capability (9.0 -> sm90), SM count, the CUDA
// runtime the build was made with (cudart_version as CUDART_VERSION writes it, 13000 = 13.0) and,
// when cuBLAS is loaded, its version. cuBLAS promises identical bits only on the same architecture
// with the same SM count, and its kernels change between releases even within one toolkit, so two
// workers share a class for gemm_f32 only when all of these agree. Without cuBLAS the class says
// nothing about it ("cuda-sm90x132-cuda13.0"); gemm_f32 is then not advertised.
std::string cuda_execution_class(int compute_major, int compute_minor, int sm_count,
                                 int cudart_version, const std::optional<LibraryVersion>& cublas);

}  // namespace gpoc::kernels::detail
