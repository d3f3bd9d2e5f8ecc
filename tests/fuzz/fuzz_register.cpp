// decode_register on untrusted bytes: never crashes, rejects with invalid_argument, and accepts
// only the canonical encoding.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "gpoc/common/statements.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gpoc::ByteView in(data, size);
  gpoc::Result<gpoc::RegisterStatement> r = gpoc::decode_register(in);
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == gpoc::ErrorCode::invalid_argument);
    return 0;
  }
  FUZZ_CHECK(r->exec_class.size() <= gpoc::kExecClassMax);
  FUZZ_CHECK(gpoc::encode_register(*r) == gpoc::Bytes(in.begin(), in.end()));
  return 0;
}
