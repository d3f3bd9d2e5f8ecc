// Bounded chunked transfer of large inputs, outputs and results: no message carries more than one
// chunk, and a receiver never holds more than it agreed to accept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/proto/gpoc.pb.h"

namespace gpoc::transport {

inline constexpr std::size_t kDefaultChunkBytes = 1u << 20;  // data moves in chunks of at most this

// The chunk of `data` starting at `offset` (at most chunk_bytes long; 0 means kDefaultChunkBytes,
// because the size may come from a peer). An offset at or past the end gives an empty last chunk.
wire::DataChunk make_chunk(ByteView task_id, ByteView data, std::uint64_t offset,
                           std::size_t chunk_bytes = kDefaultChunkBytes);

// At least one chunk (empty data gives one empty chunk with last=true).
std::vector<wire::DataChunk> split_chunks(ByteView task_id, ByteView data,
                                          std::size_t chunk_bytes = kDefaultChunkBytes);

// Receives the chunks of one object in order. Rejects gaps, overlaps, a changed total or task id,
// totals above max_total_bytes, empty chunks before the end, a `last` flag that disagrees with the
// offsets, and chunks after completion. A rejected chunk leaves the state unchanged.
class ChunkAssembler {
 public:
  explicit ChunkAssembler(std::uint64_t max_total_bytes);

  // true when the object is complete; an error status with a clear message otherwise.
  Result<bool> add(const wire::DataChunk& chunk);
  bool complete() const { return complete_; }
  std::uint64_t received_bytes() const { return received_; }
  std::uint64_t total_bytes() const { return total_; }  // 0 until the first chunk
  // The assembled bytes; only when complete (asserted). Leaves the assembler empty.
  Bytes take();

 private:
  Status check(const wire::DataChunk& chunk) const;

  std::uint64_t max_total_;
  std::uint64_t total_ = 0;
  std::uint64_t received_ = 0;
  bool started_ = false;
  bool complete_ = false;
  std::string task_id_;
  Bytes data_;
};

}  // namespace gpoc::transport
