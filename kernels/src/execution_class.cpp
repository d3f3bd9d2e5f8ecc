#include "execution_class.hpp"

namespace gpoc::kernels::detail {

std::string cuda_execution_class(int compute_major, int compute_minor, int sm_count,
                                 int cudart_version, const std::optional<LibraryVersion>& cublas) {
  std::string out = "cuda-sm" + std::to_string(compute_major) + std::to_string(compute_minor) +
                    "x" + std::to_string(sm_count) + "-cuda" +
                    std::to_string(cudart_version / 1000) + "." +
                    std::to_string(cudart_version % 1000 / 10);
  if (cublas.has_value()) {
    out += "-cublas" + std::to_string(cublas->major) + "." + std::to_string(cublas->minor) + "." +
           std::to_string(cublas->patch);
  }
  return out;
}

}  // namespace gpoc::kernels::detail
