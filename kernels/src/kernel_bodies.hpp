// Kernel bodies: each takes one index and writes one element, and never asks which thread it is
// on. The CPU backend calls them in a loop (host_loop.hpp); the CUDA launchers run one thread per
// index (cuda/launch.cuh). Bodies hold raw pointers so the same functor is valid on either side.
#pragma once

#include <cstdint>

#include "gpoc/kernels/hd.hpp"
#include "sha256_body.hpp"

namespace gpoc::kernels::detail {

// sha256 v1: digest i = SHA-256(record i), records packed back to back. One thread per record:
// records of a task all have one length, so when it is a whole number of blocks the padding
// block's schedule is computed once (make_sha256_records_body) and every record skips it.
struct Sha256RecordsBody {
  const std::uint8_t* input;
  std::uint64_t record_bytes;
  std::uint8_t* output;  // records * 32 bytes
  bool whole_blocks;     // record_bytes % 64 == 0: padding holds that padding block
  Sha256PaddingSchedule padding;

  GPOC_HD void operator()(std::uint64_t i) const {
    sha256_message(0, 0, input + i * record_bytes, record_bytes, whole_blocks ? &padding : nullptr,
                   output + i * kSha256DigestBytes);
  }
};

inline Sha256RecordsBody make_sha256_records_body(const std::uint8_t* input,
                                                  std::uint64_t record_bytes,
                                                  std::uint8_t* output) {
  Sha256RecordsBody body{input, record_bytes, output, record_bytes % kSha256BlockBytes == 0, {}};
  if (body.whole_blocks) body.padding = sha256_padding_schedule(record_bytes);
  return body;
}

// The result digest (RFC 6962 over 4096-byte leaves, as gpoc::result_digest) in two bodies that
// run level by level: first every leaf hash, then each level of parents from the one below.
inline constexpr std::uint64_t kMerkleLeafBytes = 4096;  // == gpoc::kDigestLeafBytes

GPOC_HD inline std::uint64_t merkle_leaf_count(std::uint64_t bytes) {
  return (bytes + kMerkleLeafBytes - 1) / kMerkleLeafBytes;
}
GPOC_HD inline std::uint64_t merkle_parent_count(std::uint64_t nodes) { return (nodes + 1) / 2; }

// leaf i = SHA-256(0x00 || chunk i); the last chunk may be shorter than 4096 bytes.
struct MerkleLeafBody {
  const std::uint8_t* data;
  std::uint64_t bytes;
  std::uint8_t* leaf_hashes;  // merkle_leaf_count(bytes) * 32 bytes

  GPOC_HD void operator()(std::uint64_t i) const {
    const std::uint64_t offset = i * kMerkleLeafBytes;
    const std::uint64_t remaining = bytes - offset;
    sha256_message(0x00, 1, data + offset,
                   remaining < kMerkleLeafBytes ? remaining : kMerkleLeafBytes, nullptr,
                   leaf_hashes + i * kSha256DigestBytes);
  }
};

// parent i = SHA-256(0x01 || node 2i || node 2i+1). An odd last node is carried up unchanged:
// pairing bottom-up that way builds the same tree as RFC 6962's split at the largest power of
// two below n, because every left subtree of that split is a full power of two.
struct MerkleLevelBody {
  const std::uint8_t* nodes;  // count * 32 bytes
  std::uint64_t count;
  std::uint8_t* parents;  // merkle_parent_count(count) * 32 bytes, not overlapping nodes

  GPOC_HD void operator()(std::uint64_t i) const {
    const std::uint8_t* pair = nodes + 2 * i * kSha256DigestBytes;
    std::uint8_t* out = parents + i * kSha256DigestBytes;
    if (2 * i + 1 == count) {
      for (std::uint64_t b = 0; b < kSha256DigestBytes; ++b) out[b] = pair[b];
      return;
    }
    const std::uint8_t prefix = 0x01;
    Sha256Body hash;
    hash.update(&prefix, 1);
    hash.update(pair, 2 * kSha256DigestBytes);  // left and right are adjacent in memory
    hash.finish(out);
  }
};

}  // namespace gpoc::kernels::detail
