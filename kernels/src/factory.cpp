// Chooses a backend at run time: the same binary uses a GPU where there is one and the CPU
// everywhere else.
#include <string>

#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {

std::unique_ptr<Backend> make_backend(bool force_cpu, std::string* reason) {
  auto say = [reason](std::string why) {
    if (reason != nullptr) *reason = std::move(why);
  };
  if (force_cpu) {
    say("cpu: the CPU backend was forced");
    return make_cpu_backend();
  }
  Result<std::unique_ptr<Backend>> cuda = make_cuda_backend(0);
  if (!cuda.ok()) {
    say("cpu: CUDA backend unavailable: " + cuda.status().message());
    return make_cpu_backend();
  }
  std::unique_ptr<Backend> backend = std::move(cuda).value();
  const DeviceDescription device = backend->device();
  say("cuda: device 0, " + device.name + " (compute capability " + device.compute_capability + ")");
  return backend;
}

}  // namespace gpoc::kernels
