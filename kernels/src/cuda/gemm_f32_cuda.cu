// gemm_f32 through cuBLAS SGEMM, loaded at run time (cublas_library.cu).
//
// cuBLAS gives identical bits from run to run on GPUs of one architecture and SM count, for one
// cuBLAS version, when no two streams share a workspace. So every call takes a handle from a pool
// with a workspace of its own (cublasSetWorkspace), sets CUBLAS_PEDANTIC_MATH (no TF32 or other
// reduced-precision shortcuts), and keeps the handle until its work on the stream has finished.
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "cublas_library.cuh"
#include "device_memory.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {
namespace {

// cuBLAS's recommended workspace for Hopper. A fixed size: the algorithm cuBLAS picks may depend
// on the workspace it is given, and one task must get the same algorithm on every replica.
constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;
// Handles kept per process for reuse; more are created when more calls run at once.
constexpr std::size_t kIdleHandlesMax = 4;

Status cublas_status(const CublasApi& api, cublasStatus_t status, const char* call) {
  const std::string message =
      std::string("gemm_f32: ") + call + " failed: " + api.status_name(status);
  if (status == CUBLAS_STATUS_ALLOC_FAILED) return resource_exhausted(message);
  return internal_error(message);
}

#define GPOC_CUBLAS_TRY(api, call)                                                      \
  do {                                                                                  \
    const cublasStatus_t gpoc_cublas_status_ = (call);                                  \
    if (gpoc_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                 \
      return ::gpoc::kernels::detail::cublas_status((api), gpoc_cublas_status_, #call); \
    }                                                                                   \
  } while (0)

// A cuBLAS handle with its own workspace, on one device.
struct PooledHandle {
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
  int device = -1;
};

class HandlePool {
 public:
  // An idle handle for the current device, or a new one.
  Result<PooledHandle> acquire(const CublasApi& api, int device) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::size_t i = 0; i < idle_.size(); ++i) {
        if (idle_[i].device != device) continue;
        PooledHandle h = idle_[i];
        idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
        return h;
      }
    }
    PooledHandle h{.handle = nullptr, .workspace = nullptr, .device = device};
    GPOC_CUDA_TRY(cudaMalloc(&h.workspace, kWorkspaceBytes));
    const cublasStatus_t created = api.create(&h.handle);
    if (created != CUBLAS_STATUS_SUCCESS) {
      GPOC_CUDA_REPORT(cudaFree(h.workspace));
      return cublas_status(api, created, "cublasCreate");
    }
    return h;
  }

  // Called once the handle's work has finished (or never started).
  void release(const CublasApi& api, PooledHandle h) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::size_t same_device = 0;
      for (const PooledHandle& other : idle_) same_device += other.device == h.device ? 1 : 0;
      if (same_device < kIdleHandlesMax) {
        idle_.push_back(h);
        return;
      }
    }
    (void)api.destroy(h.handle);
    GPOC_CUDA_REPORT(cudaFree(h.workspace));
  }

 private:
  std::mutex mutex_;
  std::vector<PooledHandle> idle_;  // guarded by mutex_
};

// Never destroyed: at exit the CUDA runtime may already be torn down, and the driver frees
// everything a process held anyway.
HandlePool& handle_pool() {
  static HandlePool* pool = new HandlePool;
  return *pool;
}

// Holds a pooled handle for one call and gives it back on every return path.
class HandleLease {
 public:
  HandleLease(const CublasApi& api, PooledHandle h) : api_(api), h_(h) {}
  ~HandleLease() { handle_pool().release(api_, h_); }
  HandleLease(const HandleLease&) = delete;
  HandleLease& operator=(const HandleLease&) = delete;
  const PooledHandle& get() const { return h_; }

 private:
  const CublasApi& api_;
  PooledHandle h_;
};

}  // namespace

Status launch_gemm_f32(const float* a, const float* b, float* c, std::uint64_t m, std::uint64_t n,
                       std::uint64_t k, cudaStream_t stream) {
  const CublasApi* api = cublas_api();
  if (api == nullptr) return unavailable("gemm_f32: " + cublas_library().status().message());
  if (m == 0 || n == 0) return ok_status();
  // cuBLAS may choose a different kernel for a B that is not 16-byte aligned (it follows A in the
  // input, at byte 4*m*k): copy such a B to its own allocation so the choice depends on m, n, k.
  DeviceBuffer aligned_b;
  if (reinterpret_cast<std::uintptr_t>(b) % 16 != 0) {
    GPOC_ASSIGN_OR_RETURN(aligned_b, DeviceBuffer::allocate(4 * k * n));
    GPOC_CUDA_TRY(
        cudaMemcpyAsync(aligned_b.data(), b, 4 * k * n, cudaMemcpyDeviceToDevice, stream));
    b = aligned_b.as<const float>();
  }
  int device = 0;
  GPOC_CUDA_TRY(cudaGetDevice(&device));
  GPOC_ASSIGN_OR_RETURN(PooledHandle pooled, handle_pool().acquire(*api, device));
  const HandleLease lease(*api, pooled);
  const cublasHandle_t h = lease.get().handle;
  GPOC_CUBLAS_TRY(*api, api->set_stream(h, stream));
  // After cublasSetStream, which resets the handle to cuBLAS's default workspace pool.
  GPOC_CUBLAS_TRY(*api, api->set_workspace(h, lease.get().workspace, kWorkspaceBytes));
  GPOC_CUBLAS_TRY(*api, api->set_math_mode(h, CUBLAS_PEDANTIC_MATH));
  // cuBLAS is column-major. Row-major C (m x n) is column-major C^T (n x m), and
  // C^T = B^T A^T, where row-major B (k x n) is column-major B^T (n x k, leading dimension n)
  // and row-major A (m x k) is column-major A^T (k x m, leading dimension k). The catalog bounds
  // m, n, k to 65536, so every int below is exact.
  const float alpha = 1.0f;
  const float beta = 0.0f;  // C is only written
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  GPOC_CUBLAS_TRY(*api, api->sgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, ni, mi, ki, &alpha, b, ni, a, ki,
                                   &beta, c, ni));
  // The handle (and its workspace) goes back to the pool on return: its work must be done.
  GPOC_CUDA_TRY(cudaStreamSynchronize(stream));
  return ok_status();
}

}  // namespace gpoc::kernels::detail
