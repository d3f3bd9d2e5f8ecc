// Move-only owners of device memory and streams (after rmm::device_buffer and
// rmm::cuda_stream). Creation can fail, so it is a factory returning Result; destruction cannot
// return anything, so a failed release is reported on stderr and otherwise ignored.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <utility>

#include "cuda_check.cuh"

namespace gpoc::kernels::detail {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // Zero bytes allocates nothing and gives a null data().
  static Result<DeviceBuffer> allocate(std::uint64_t bytes) {
    DeviceBuffer buffer;
    if (bytes > 0) {
      GPOC_CUDA_TRY(cudaMalloc(&buffer.ptr_, bytes));
      buffer.bytes_ = bytes;
    }
    return Result<DeviceBuffer>(std::move(buffer));  // nvcc does not move implicitly here
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      ptr_ = std::exchange(other.ptr_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  std::uint8_t* data() const { return static_cast<std::uint8_t*>(ptr_); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::uint64_t size() const { return bytes_; }

 private:
  // cudaFree waits for the device, so work still queued on the buffer finishes before it goes.
  void release() noexcept {
    if (ptr_ != nullptr) GPOC_CUDA_REPORT(cudaFree(ptr_));
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* ptr_ = nullptr;
  std::uint64_t bytes_ = 0;
};

class Stream {
 public:
  Stream() = default;
  // A non-blocking stream on the current device: no implicit sync with the legacy default stream.
  static Result<Stream> create() {
    Stream stream;
    GPOC_CUDA_TRY(cudaStreamCreateWithFlags(&stream.stream_, cudaStreamNonBlocking));
    return Result<Stream>(std::move(stream));
  }
  ~Stream() { destroy(); }
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&& other) noexcept {
    if (this != &other) {
      destroy();
      stream_ = std::exchange(other.stream_, nullptr);
    }
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return stream_; }
  Status synchronize() const {
    GPOC_CUDA_TRY(cudaStreamSynchronize(stream_));
    return ok_status();
  }

 private:
  void destroy() noexcept {
    if (stream_ != nullptr) GPOC_CUDA_REPORT(cudaStreamDestroy(stream_));
    stream_ = nullptr;
  }
  cudaStream_t stream_ = nullptr;
};

}  // namespace gpoc::kernels::detail
