// ChunkAssembler fed chunks decoded from untrusted bytes. Input layout (the first byte picks):
//   even: [mode][u16 chunk size][data...]  split_chunks then reassemble: must give back the data.
//   odd:  [mode][u16 max total]([u8 n][n bytes: a wire::DataChunk])...  feed each decoded chunk.
// Properties: never more than max total; a rejected chunk changes nothing; accepted bytes are
// exactly what comes out; nothing is accepted after completion.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "gpoc/transport/chunks.hpp"

using namespace gpoc;
using namespace gpoc::transport;

namespace {

const Bytes kTask(32, 0x11);

void split_and_assemble(std::size_t chunk_bytes, ByteView data) {
  const auto chunks = split_chunks(kTask, data, chunk_bytes);
  FUZZ_CHECK(!chunks.empty());
  FUZZ_CHECK(chunks.size() == (data.empty() ? 1 : (data.size() + chunk_bytes - 1) / chunk_bytes));
  ChunkAssembler a(data.size());
  for (const auto& c : chunks) {
    FUZZ_CHECK(c.data().size() <= chunk_bytes);
    Result<bool> r = a.add(c);
    FUZZ_CHECK(r.ok());
    FUZZ_CHECK(*r == c.last());
  }
  FUZZ_CHECK(a.complete());
  FUZZ_CHECK(a.take() == Bytes(data.begin(), data.end()));
  if (!data.empty()) {
    ChunkAssembler tight(data.size() - 1);
    FUZZ_CHECK(tight.add(chunks[0]).status().code() == ErrorCode::resource_exhausted);
  }
}

void feed(std::uint64_t max_total, ByteView in) {
  ChunkAssembler a(max_total);
  Bytes shadow;  // every byte the assembler accepted, in order
  for (std::size_t pos = 0; pos < in.size();) {
    const std::size_t n = std::min<std::size_t>(in[pos], in.size() - pos - 1);
    wire::DataChunk c;
    const bool parsed = c.ParseFromArray(in.data() + pos + 1, static_cast<int>(n));
    pos += 1 + n;
    if (!parsed) continue;
    const bool was_complete = a.complete();
    const std::uint64_t before = a.received_bytes(), total_before = a.total_bytes();
    Result<bool> r = a.add(c);
    if (!r.ok()) {
      FUZZ_CHECK(!r.status().message().empty());
      FUZZ_CHECK(a.received_bytes() == before && a.total_bytes() == total_before);
      FUZZ_CHECK(a.complete() == was_complete);
      continue;
    }
    FUZZ_CHECK(!was_complete);
    // The spec, independent of the implementation: accepted chunks are contiguous, agree on
    // the total, and `last` marks exactly the one that completes the object.
    FUZZ_CHECK(c.offset() == before);
    FUZZ_CHECK(c.total_bytes() == a.total_bytes());
    FUZZ_CHECK(c.last() == a.complete());
    FUZZ_CHECK(a.received_bytes() == before + c.data().size());
    FUZZ_CHECK(a.received_bytes() <= a.total_bytes() && a.total_bytes() <= max_total);
    FUZZ_CHECK(*r == a.complete());
    shadow.insert(shadow.end(), c.data().begin(), c.data().end());
  }
  if (a.complete()) {
    FUZZ_CHECK(shadow.size() == a.total_bytes());
    FUZZ_CHECK(a.take() == shadow);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint16_t arg = static_cast<std::uint16_t>(data[1] | (data[2] << 8));
  const ByteView rest(data + 3, size - 3);
  if ((data[0] & 1) == 0) {
    split_and_assemble(1 + arg % 256, rest);
  } else {
    feed(arg, rest);
  }
  return 0;
}
