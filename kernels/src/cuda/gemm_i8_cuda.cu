// gemm_i8 on tensor cores: WMMA m16n16k16 with signed 8-bit inputs and int32 accumulators.
//
// Each block computes a kTileM x kTileN tile of C. It walks k in steps of kTileK: the block copies
// the A and B tiles of that step into shared memory, writing 0 wherever the tile reaches past m,
// n or k, then each warp multiplies its kWarpTileM x kWarpTileN part with WMMA. Zeros add nothing
// to an integer sum, so the padded tiles give the exact sums for every shape, and integer sums
// are the same in any order: the output is identical to the CPU backend's. Rows and columns of
// the padded tile beyond m and n are computed but never stored.
//
// Kept simple rather than fast (byte-wise loads, no double buffering); the tile sizes are the
// constants below, for a later tuning pass on a GPU.
#include <mma.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "cuda_check.cuh"
#include "launchers.cuh"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 720
#error "gemm_i8 uses int8 tensor cores (WMMA), which need compute capability 7.2 or newer"
#endif

namespace gpoc::kernels::detail {
namespace {

namespace wmma = nvcuda::wmma;

constexpr int kFrag = 16;  // WMMA m16n16k16
constexpr int kTileM = 128;
constexpr int kTileN = 128;
constexpr int kTileK = 32;
constexpr int kWarpsM = 2;  // warps along m, each taking kWarpTileM rows of the tile
constexpr int kWarpsN = 4;  // warps along n, each taking kWarpTileN columns
constexpr int kWarps = kWarpsM * kWarpsN;
constexpr int kThreads = 32 * kWarps;
constexpr int kWarpTileM = kTileM / kWarpsM;
constexpr int kWarpTileN = kTileN / kWarpsN;
constexpr int kFragsM = kWarpTileM / kFrag;  // accumulator fragments per warp along m
constexpr int kFragsN = kWarpTileN / kFrag;  // and along n
constexpr int kSlicesK = kTileK / kFrag;     // WMMA steps per tile step
static_assert(kTileM % (kWarpsM * kFrag) == 0 && kTileN % (kWarpsN * kFrag) == 0);
static_assert(kTileK % kFrag == 0);
static_assert(std::is_same_v<std::int8_t, signed char>, "WMMA takes signed char");

// Tiles are stored fragment by fragment: every 16 x 16 fragment is 256 contiguous bytes with a
// leading dimension of 16, so each pointer handed to WMMA is 256-byte aligned (it needs 32) and
// each ldm is a multiple of 16 bytes, whatever m, n and k are.
struct SharedTiles {
  signed char a[kSlicesK][kTileM][kFrag];        // a[s][r][c] = A[row0 + r][k0 + 16s + c]
  signed char b[kTileN / kFrag][kTileK][kFrag];  // b[t][r][c] = B[k0 + r][col0 + 16t + c]
  int c[kWarps][kFrag * kFrag];                  // one staging fragment per warp, row-major
};

__device__ void load_tile_a(SharedTiles& t, const signed char* __restrict__ a, std::uint64_t m,
                            std::uint64_t k, std::uint64_t row0, std::uint64_t k0) {
  for (int idx = threadIdx.x; idx < kTileM * kTileK; idx += kThreads) {
    const int r = idx / kTileK;
    const int col = idx % kTileK;
    const std::uint64_t i = row0 + r;
    const std::uint64_t p = k0 + col;
    signed char v = 0;
    if (i < m && p < k) v = a[i * k + p];
    t.a[col / kFrag][r][col % kFrag] = v;
  }
}

__device__ void load_tile_b(SharedTiles& t, const signed char* __restrict__ b, std::uint64_t n,
                            std::uint64_t k, std::uint64_t k0, std::uint64_t col0) {
  for (int idx = threadIdx.x; idx < kTileK * kTileN; idx += kThreads) {
    const int r = idx / kTileN;
    const int col = idx % kTileN;
    const std::uint64_t p = k0 + r;
    const std::uint64_t j = col0 + col;
    signed char v = 0;
    if (p < k && j < n) v = b[p * n + j];
    t.b[col / kFrag][r][col % kFrag] = v;
  }
}

using FragmentA = wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, signed char, wmma::row_major>;
using FragmentB = wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, signed char, wmma::row_major>;
using Accumulator = wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, int>;

__global__ void __launch_bounds__(kThreads)
    gemm_i8_kernel(const signed char* __restrict__ a, const signed char* __restrict__ b,
                   int* __restrict__ c, std::uint64_t m, std::uint64_t n, std::uint64_t k) {
  __shared__ __align__(128) SharedTiles t;
  const int warp = static_cast<int>(threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const std::uint64_t row0 = std::uint64_t{blockIdx.y} * kTileM;
  const std::uint64_t col0 = std::uint64_t{blockIdx.x} * kTileN;
  const int warp_row = (warp / kWarpsN) * kWarpTileM;  // within the tile
  const int warp_col = (warp % kWarpsN) * kWarpTileN;

  Accumulator acc[kFragsM][kFragsN];
  for (int fi = 0; fi < kFragsM; ++fi) {
    for (int fj = 0; fj < kFragsN; ++fj) wmma::fill_fragment(acc[fi][fj], 0);
  }
  // Every thread of the block runs every iteration (the bounds only choose what is loaded), so
  // the barriers and the warp-wide WMMA calls are reached uniformly.
  for (std::uint64_t k0 = 0; k0 < k; k0 += kTileK) {
    load_tile_a(t, a, m, k, row0, k0);
    load_tile_b(t, b, n, k, k0, col0);
    __syncthreads();
    for (int s = 0; s < kSlicesK; ++s) {
      FragmentA fa[kFragsM];
      FragmentB fb[kFragsN];
      for (int fi = 0; fi < kFragsM; ++fi) {
        wmma::load_matrix_sync(fa[fi], &t.a[s][warp_row + fi * kFrag][0], kFrag);
      }
      for (int fj = 0; fj < kFragsN; ++fj) {
        wmma::load_matrix_sync(fb[fj], &t.b[warp_col / kFrag + fj][s * kFrag][0], kFrag);
      }
      for (int fi = 0; fi < kFragsM; ++fi) {
        for (int fj = 0; fj < kFragsN; ++fj)
          wmma::mma_sync(acc[fi][fj], fa[fi], fb[fj], acc[fi][fj]);
      }
    }
    __syncthreads();  // the next step overwrites the tiles
  }

  // Through the warp's staging fragment, so that only elements inside m x n are written.
  int* stage = t.c[warp];
  for (int fi = 0; fi < kFragsM; ++fi) {
    for (int fj = 0; fj < kFragsN; ++fj) {
      wmma::store_matrix_sync(stage, acc[fi][fj], kFrag, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < kFrag * kFrag; e += 32) {
        const std::uint64_t i = row0 + warp_row + fi * kFrag + e / kFrag;
        const std::uint64_t j = col0 + warp_col + fj * kFrag + e % kFrag;
        if (i < m && j < n) c[i * n + j] = stage[e];
      }
      __syncwarp();  // the next fragment reuses the staging area
    }
  }
}

}  // namespace

Status launch_gemm_i8(const std::int8_t* a, const std::int8_t* b, std::int32_t* c, std::uint64_t m,
                      std::uint64_t n, std::uint64_t k, cudaStream_t stream) {
  if (m == 0 || n == 0) return ok_status();  // an empty C: nothing to write
  const std::uint64_t blocks_n = (n + kTileN - 1) / kTileN;
  const std::uint64_t blocks_m = (m + kTileM - 1) / kTileM;
  if (blocks_m > 65535 || blocks_n > 0x7fffffff) {  // the grid's y and x limits
    return invalid_argument("gemm_i8: m=" + std::to_string(m) + ", n=" + std::to_string(n) +
                            " is too large for one launch");
  }
  const dim3 grid(static_cast<unsigned>(blocks_n), static_cast<unsigned>(blocks_m));
  gemm_i8_kernel<<<grid, kThreads, 0, stream>>>(a, b, c, m, n, k);
  GPOC_CUDA_TRY(cudaGetLastError());
  return ok_status();
}

}  // namespace gpoc::kernels::detail
