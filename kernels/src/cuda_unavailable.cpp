// Built instead of src/cuda/ when the build has no CUDA backend (GPOC_CUDA=OFF, or no nvcc).
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {

bool cuda_compiled() { return false; }

Result<std::unique_ptr<Backend>> make_cuda_backend(int /*device_ordinal*/) {
  return unavailable(
      "this build has no CUDA backend (configured with GPOC_CUDA=OFF or without nvcc)");
}

}  // namespace gpoc::kernels
