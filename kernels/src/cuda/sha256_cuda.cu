// sha256 v1 on the device: one thread per record, in two launch shapes.
// - Short records (the common case: 32 to a few hundred bytes): the generic launcher runs
//   Sha256RecordsBody, one record per thread, with aligned word loads.
// - Long records (kLongRecordBytesMin or more, a whole number of 64-byte blocks): each warp hashes
//   32 records together and stages one block of each through shared memory per step, so the
//   loads from global memory are 16-byte vectors that four lanes share per block instead of each
//   lane walking its own record a word at a time.
// Both produce SHA-256 of each record, the same bytes as the host.
#include "../kernel_bodies.hpp"
#include "launch.cuh"
#include "launchers.cuh"

namespace gpoc::kernels::detail {
namespace {

constexpr std::uint64_t kLongRecordBytesMin = 512;
constexpr int kLongWarpsPerBlock = 4;
constexpr int kStageStride = 17;  // words per staged block: 16 plus one, so lanes' rows use
                                  // distinct shared-memory banks when each reads its own block

__global__ void __launch_bounds__(32 * kLongWarpsPerBlock)
    sha256_long_records_kernel(const std::uint8_t* input, std::uint64_t record_bytes,
                               std::uint64_t records, std::uint8_t* output,
                               Sha256PaddingSchedule padding) {
  __shared__ std::uint32_t stage[kLongWarpsPerBlock][32 * kStageStride];
  const int lane = static_cast<int>(threadIdx.x & 31);
  std::uint32_t* rows = stage[threadIdx.x >> 5];
  const std::uint64_t warp = std::uint64_t{blockIdx.x} * kLongWarpsPerBlock + (threadIdx.x >> 5);
  const std::uint64_t warps = std::uint64_t{gridDim.x} * kLongWarpsPerBlock;
  const std::uint64_t blocks = record_bytes / kSha256BlockBytes;
  for (std::uint64_t first = warp * 32; first < records; first += warps * 32) {
    const std::uint64_t here = records - first < 32 ? records - first : 32;
    const bool active = static_cast<std::uint64_t>(lane) < here;
    std::uint32_t state[8];
    sha256_init(state);
    for (std::uint64_t b = 0; b < blocks; ++b) {
      // 32 records x 4 vectors of 16 bytes: lane l loads vector q = l + 32 s, part q % 4 of
      // record q / 4's block b.
      GPOC_UNROLL
      for (int s = 0; s < 4; ++s) {
        const int q = lane + 32 * s;
        const std::uint64_t r = static_cast<std::uint64_t>(q >> 2);
        if (r < here) {
          const int part = q & 3;
          const uint4 v = *reinterpret_cast<const uint4*>(input + (first + r) * record_bytes +
                                                          b * kSha256BlockBytes + 16 * part);
          std::uint32_t* dst = rows + r * kStageStride + 4 * part;
          dst[0] = byte_swap32(v.x);
          dst[1] = byte_swap32(v.y);
          dst[2] = byte_swap32(v.z);
          dst[3] = byte_swap32(v.w);
        }
      }
      __syncwarp();
      if (active) {
        std::uint32_t w[16];
        GPOC_UNROLL
        for (int t = 0; t < 16; ++t) w[t] = rows[lane * kStageStride + t];
        sha256_compress_words(state, w);
      }
      __syncwarp();  // every lane has read its row before the next block overwrites it
    }
    if (active) {
      sha256_compress_kw(state, padding.kw);
      std::uint8_t* out = output + (first + static_cast<std::uint64_t>(lane)) * kSha256DigestBytes;
      for (int i = 0; i < 8; ++i) store_be32(out + 4 * i, state[i]);
    }
  }
}

}  // namespace

Status launch_sha256_records(const std::uint8_t* input, std::uint64_t record_bytes,
                             std::uint64_t records, std::uint8_t* output, cudaStream_t stream) {
  // The staged path reads 16-byte vectors: records must start 16-byte aligned, which a whole
  // number of blocks from a cudaMalloc'd base guarantees.
  const bool long_records = record_bytes >= kLongRecordBytesMin &&
                            record_bytes % kSha256BlockBytes == 0 &&
                            reinterpret_cast<std::uintptr_t>(input) % 16 == 0;
  if (!long_records || records == 0) {
    return launch_for_each_index(records, make_sha256_records_body(input, record_bytes, output),
                                 stream);
  }
  const std::uint64_t per_block = 32 * kLongWarpsPerBlock;
  const std::uint64_t grid = std::min((records + per_block - 1) / per_block, kBlocksMax);
  sha256_long_records_kernel<<<static_cast<unsigned>(grid), 32 * kLongWarpsPerBlock, 0, stream>>>(
      input, record_bytes, records, output, sha256_padding_schedule(record_bytes));
  GPOC_CUDA_TRY(cudaGetLastError());
  return ok_status();
}

}  // namespace gpoc::kernels::detail
