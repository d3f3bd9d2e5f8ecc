#include "gpoc/transport/chunks.hpp"

#include <algorithm>
#include <cassert>
#include <string>

namespace gpoc::transport {
namespace {

// Reserve at most this much up front: a peer announcing a huge total must send the bytes before
// it gets the memory.
constexpr std::uint64_t kReserveMax = 4 * kDefaultChunkBytes;

std::string str(std::uint64_t v) { return std::to_string(v); }

}  // namespace

wire::DataChunk make_chunk(ByteView task_id, ByteView data, std::uint64_t offset,
                           std::size_t chunk_bytes) {
  if (chunk_bytes == 0) chunk_bytes = kDefaultChunkBytes;
  const std::uint64_t begin = std::min<std::uint64_t>(offset, data.size());
  const std::uint64_t n = std::min<std::uint64_t>(chunk_bytes, data.size() - begin);
  wire::DataChunk c;
  c.set_task_id(task_id.data(), task_id.size());
  c.set_offset(begin);
  c.set_total_bytes(data.size());
  c.set_data(data.data() + begin, static_cast<std::size_t>(n));
  c.set_last(begin + n == data.size());
  return c;
}

std::vector<wire::DataChunk> split_chunks(ByteView task_id, ByteView data,
                                          std::size_t chunk_bytes) {
  if (chunk_bytes == 0) chunk_bytes = kDefaultChunkBytes;
  std::vector<wire::DataChunk> out;
  out.reserve(data.empty() ? 1 : (data.size() + chunk_bytes - 1) / chunk_bytes);
  std::uint64_t offset = 0;
  do {
    out.push_back(make_chunk(task_id, data, offset, chunk_bytes));
    offset += out.back().data().size();
  } while (!out.back().last());
  return out;
}

ChunkAssembler::ChunkAssembler(std::uint64_t max_total_bytes) : max_total_(max_total_bytes) {}

Status ChunkAssembler::check(const wire::DataChunk& c) const {
  if (complete_) return failed_precondition("chunk after the object was complete");
  if (!started_ && c.total_bytes() > max_total_) {
    return resource_exhausted("object of " + str(c.total_bytes()) + " bytes exceeds the limit of " +
                              str(max_total_));
  }
  if (started_ && c.total_bytes() != total_) {
    return invalid_argument("total size changed from " + str(total_) + " to " +
                            str(c.total_bytes()));
  }
  if (started_ && c.task_id() != task_id_) return invalid_argument("chunk of another task");
  if (c.offset() < received_) {
    return invalid_argument("chunk at offset " + str(c.offset()) +
                            " overlaps bytes already received (next expected " + str(received_) +
                            ")");
  }
  if (c.offset() > received_) {
    return invalid_argument("gap: chunk at offset " + str(c.offset()) + ", expected " +
                            str(received_));
  }
  const std::uint64_t total = c.total_bytes();
  const std::uint64_t n = c.data().size();
  if (n > total - received_) {
    return invalid_argument("chunk at offset " + str(c.offset()) + " runs past the total of " +
                            str(total));
  }
  const bool ends = received_ + n == total;
  if (n == 0 && !ends) return invalid_argument("empty chunk before the end");
  if (c.last() != ends) {
    return invalid_argument(c.last() ? "last chunk ends before the total of " + str(total)
                                     : "chunk reaches the total but is not marked last");
  }
  return ok_status();
}

Result<bool> ChunkAssembler::add(const wire::DataChunk& c) {
  GPOC_RETURN_IF_ERROR(check(c));
  if (!started_) {
    started_ = true;
    total_ = c.total_bytes();
    task_id_ = c.task_id();
    data_.reserve(static_cast<std::size_t>(std::min(total_, kReserveMax)));
  }
  data_.insert(data_.end(), c.data().begin(), c.data().end());
  received_ += c.data().size();
  complete_ = received_ == total_;
  return complete_;
}

Bytes ChunkAssembler::take() {
  assert(complete_ && "ChunkAssembler::take before the object is complete");
  Bytes out = std::move(data_);
  data_.clear();  // a moved-from vector is only "valid but unspecified"
  return out;
}

}  // namespace gpoc::transport
