// The CUDA backend: copies the input to the device, runs the kernel's launcher, digests the output
// where it lives and copies it back. Built only when nvcc is found (GPOC_HAVE_CUDA).
#include <mutex>
#include <optional>
#include <string>

#include "../execution_class.hpp"
#include "../gemm.hpp"
#include "../task.hpp"
#include "cublas_library.hpp"
#include "device_memory.cuh"
#include "launchers.cuh"

#ifndef GPOC_KERNELS_CUDA_ARCHITECTURES
#define GPOC_KERNELS_CUDA_ARCHITECTURES "unknown"
#endif

namespace gpoc::kernels {
namespace {

using detail::DeviceBuffer;
using detail::Stream;

// Never launched: cudaFuncGetAttributes on it says whether this build has code the device runs.
__global__ void probe_kernel() {}

std::string cuda_error_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + " (" + cudaGetErrorString(err) + ")";
}

Status launch_kernel(const detail::Task& task, const DeviceBuffer& input,
                     const DeviceBuffer& output, cudaStream_t stream) {
  switch (task.kind) {
    case detail::KernelKind::sha256: {
      const std::uint64_t record_bytes = task.param("record_bytes");
      return detail::launch_sha256_records(input.data(), record_bytes,
                                           task.input_bytes / record_bytes, output.data(), stream);
    }
    case detail::KernelKind::sort_u32:
      return detail::launch_sort_u32(input.as<const std::uint32_t>(), output.as<std::uint32_t>(),
                                     task.input_bytes / 4, stream);
    case detail::KernelKind::sort_u64:
      return detail::launch_sort_u64(input.as<const std::uint64_t>(), output.as<std::uint64_t>(),
                                     task.input_bytes / 8, stream);
    case detail::KernelKind::sort_kv_u64:
      return detail::launch_sort_kv_u64(input.as<const std::uint64_t>(), output.as<std::uint64_t>(),
                                        task.input_bytes / 16, stream);
    case detail::KernelKind::histogram_u32:
      return detail::launch_histogram_u32(input.as<const std::uint32_t>(), task.input_bytes / 4,
                                          task.param("lower"), task.param("upper"),
                                          task.param("bins"), output.as<std::uint64_t>(), stream);
    case detail::KernelKind::mc_option:
      return detail::launch_mc_option(input.data(), task.input_bytes, task.param("paths"),
                                      task.param("seed"), output.data(), stream);
    case detail::KernelKind::gemm_i8: {
      const detail::GemmShape s = detail::gemm_shape(task);
      const std::int8_t* a = input.as<const std::int8_t>();
      return detail::launch_gemm_i8(a, a + s.m * s.k, output.as<std::int32_t>(), s.m, s.n, s.k,
                                    stream);
    }
    case detail::KernelKind::gemm_f32: {
      const detail::GemmShape s = detail::gemm_shape(task);
      const float* a = input.as<const float>();
      return detail::launch_gemm_f32(a, a + s.m * s.k, output.as<float>(), s.m, s.n, s.k, stream);
    }
  }
  return internal_error(task.info->id + ": the CUDA backend has no launcher for this kernel");
}

// What a kernel needs on this backend beyond the device: cuBLAS, loaded at run time, for gemm_f32.
// Not a device failure, so the backend stays usable for every other kernel.
Status kernel_available(detail::KernelKind kind, std::string_view id) {
  switch (kind) {
    case detail::KernelKind::sha256:
    case detail::KernelKind::sort_u32:
    case detail::KernelKind::sort_u64:
    case detail::KernelKind::sort_kv_u64:
    case detail::KernelKind::histogram_u32:
    case detail::KernelKind::mc_option:
    case detail::KernelKind::gemm_i8: return ok_status();
    case detail::KernelKind::gemm_f32: {
      Result<std::string> cublas = detail::cublas_library();
      if (cublas.ok()) return ok_status();
      return unavailable(std::string(id) + ": " + cublas.status().message());
    }
  }
  return ok_status();
}

class CudaBackend final : public Backend {
 public:
  // execution_class: "cuda-sm90x132-cuda13.0-cublas13.1.0" (execution_class.hpp).
  CudaBackend(int ordinal, DeviceDescription device, std::string execution_class)
      : ordinal_(ordinal),
        device_(std::move(device)),
        execution_class_(std::move(execution_class)) {}

  std::string_view name() const override { return "cuda"; }
  std::string execution_class() const override { return execution_class_; }
  DeviceDescription device() const override { return device_; }

  bool supports(std::string_view id, std::uint32_t version) const override {
    const std::optional<detail::KernelKind> kind = detail::find_kind(id, version);
    return kind.has_value() && kernel_available(*kind, id).ok();
  }

  Result<KernelOutput> run(std::string_view id, std::uint32_t version, const Params& params,
                           ByteView input) override {
    GPOC_ASSIGN_OR_RETURN(detail::Task task, detail::check_task(id, version, params, input.size()));
    GPOC_RETURN_IF_ERROR(kernel_available(task.kind, task.info->id));  // before noting_loss
    GPOC_RETURN_IF_ERROR(usable());
    return noting_loss(run_on_device(task, input));
  }

  Result<Digest32> digest(ByteView data) override {
    GPOC_RETURN_IF_ERROR(usable());
    return noting_loss(digest_on_device(data));
  }

 private:
  Result<KernelOutput> run_on_device(const detail::Task& task, ByteView input) const {
    GPOC_CUDA_TRY(cudaSetDevice(ordinal_));
    GPOC_ASSIGN_OR_RETURN(Stream stream, Stream::create());
    GPOC_ASSIGN_OR_RETURN(DeviceBuffer device_input, DeviceBuffer::allocate(input.size()));
    GPOC_ASSIGN_OR_RETURN(DeviceBuffer device_output, DeviceBuffer::allocate(task.output_bytes));
    if (!input.empty()) {
      GPOC_CUDA_TRY(cudaMemcpyAsync(device_input.data(), input.data(), input.size(),
                                    cudaMemcpyHostToDevice, stream.get()));
    }
    if (device_output.size() > 0) {
      GPOC_CUDA_TRY(cudaMemsetAsync(device_output.data(), detail::kPoisonByte, device_output.size(),
                                    stream.get()));
    }
    GPOC_RETURN_IF_ERROR(launch_kernel(task, device_input, device_output, stream.get()));
    GPOC_ASSIGN_OR_RETURN(
        Digest32 digest,
        detail::device_result_digest(device_output.data(), device_output.size(), stream.get()));
    Bytes output(device_output.size());
    if (!output.empty()) {
      GPOC_CUDA_TRY(cudaMemcpyAsync(output.data(), device_output.data(), output.size(),
                                    cudaMemcpyDeviceToHost, stream.get()));
    }
    GPOC_RETURN_IF_ERROR(stream.synchronize());  // also reports a kernel that faulted
    return KernelOutput{std::move(output), digest};
  }

  Result<Digest32> digest_on_device(ByteView data) const {
    GPOC_CUDA_TRY(cudaSetDevice(ordinal_));
    GPOC_ASSIGN_OR_RETURN(Stream stream, Stream::create());
    GPOC_ASSIGN_OR_RETURN(DeviceBuffer device_data, DeviceBuffer::allocate(data.size()));
    if (!data.empty()) {
      GPOC_CUDA_TRY(cudaMemcpyAsync(device_data.data(), data.data(), data.size(),
                                    cudaMemcpyHostToDevice, stream.get()));
    }
    return detail::device_result_digest(device_data.data(), data.size(), stream.get());
  }

  // After a sticky error the context is gone: refuse everything rather than ever return output
  // (or a digest to vote on) from it.
  Status usable() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (lost_reason_.empty()) return ok_status();
    return unavailable("CUDA device " + std::to_string(ordinal_) +
                       " is unusable after an earlier error (" + lost_reason_ + ")");
  }

  template <typename T>
  Result<T> noting_loss(Result<T> result) {
    if (result.status().code() == ErrorCode::unavailable) {  // cuda_check.cuh: sticky errors only
      std::lock_guard<std::mutex> lock(mutex_);
      if (lost_reason_.empty()) lost_reason_ = result.status().message();
    }
    return result;
  }

  const int ordinal_;
  const DeviceDescription device_;
  const std::string execution_class_;
  mutable std::mutex mutex_;
  std::string lost_reason_;  // guarded by mutex_; non-empty once the context is lost
};

Result<DeviceDescription> describe_device(int ordinal, int count) {
  cudaDeviceProp prop{};
  GPOC_CUDA_TRY(cudaGetDeviceProperties(&prop, ordinal));
  return DeviceDescription{
      .backend = "cuda",
      .name = prop.name,
      .memory_bytes = prop.totalGlobalMem,
      .compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor),
      .count = static_cast<std::uint32_t>(count)};
}

// A device older than every architecture in the build (or without PTX to JIT) cannot run any
// kernel: better to fall back to the CPU now than to fail every task.
Status check_kernel_image(int ordinal, const DeviceDescription& device) {
  cudaFuncAttributes attributes{};
  cudaError_t err = cudaSetDevice(ordinal);
  if (err == cudaSuccess) err = cudaFuncGetAttributes(&attributes, probe_kernel);
  if (err == cudaSuccess) return ok_status();
  (void)cudaGetLastError();
  return unavailable("CUDA device " + std::to_string(ordinal) + " (" + device.name +
                     ", compute capability " + device.compute_capability +
                     ") cannot run this build, made for CUDA architectures " +
                     GPOC_KERNELS_CUDA_ARCHITECTURES + ": " + cuda_error_text(err));
}

// cuBLAS promises identical bits only on the same architecture with the same number of SMs
// (H100 SXM 132, H100 PCIe 114), and only from the same cuBLAS build, so all of them are part of
// the class. Computed once per backend; cuBLAS is loaded here if it was not yet (the worker would
// load it anyway when it asks which kernels it supports).
Result<std::string> execution_class_of(int ordinal) {
  int attribute[3] = {0, 0, 0};
  const cudaDeviceAttr which[3] = {cudaDevAttrComputeCapabilityMajor,
                                   cudaDevAttrComputeCapabilityMinor,
                                   cudaDevAttrMultiProcessorCount};
  for (int i = 0; i < 3; ++i) {
    const cudaError_t err = cudaDeviceGetAttribute(&attribute[i], which[i], ordinal);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      return unavailable(
          "CUDA device " + std::to_string(ordinal) +
          ": cannot read its compute capability and SM count: " + cuda_error_text(err));
    }
  }
  return detail::cuda_execution_class(attribute[0], attribute[1], attribute[2], CUDART_VERSION,
                                      detail::cublas_version());
}

}  // namespace

bool cuda_compiled() { return true; }

Result<std::unique_ptr<Backend>> make_cuda_backend(int device_ordinal) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {  // no driver or no device: both mean zero devices
    (void)cudaGetLastError();
    return unavailable("no CUDA device: cudaGetDeviceCount failed with " + cuda_error_text(err));
  }
  if (count == 0) return unavailable("no CUDA device present");
  if (device_ordinal < 0 || device_ordinal >= count) {
    return unavailable("no CUDA device " + std::to_string(device_ordinal) + " (" +
                       std::to_string(count) + " present)");
  }
  Result<DeviceDescription> device = describe_device(device_ordinal, count);
  if (!device.ok()) return unavailable(device.status().message());
  GPOC_RETURN_IF_ERROR(check_kernel_image(device_ordinal, device.value()));
  GPOC_ASSIGN_OR_RETURN(std::string execution_class, execution_class_of(device_ordinal));
  return std::unique_ptr<Backend>(std::make_unique<CudaBackend>(
      device_ordinal, std::move(device).value(), std::move(execution_class)));
}

}  // namespace gpoc::kernels
