// decode_task_spec on untrusted bytes: never crashes, rejects with invalid_argument, and accepts
// only the canonical encoding: encode(decode(b)) == b, so task_id = SHA-256(b) is well defined.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "gpoc/common/statements.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gpoc::ByteView in(data, size);
  gpoc::Result<gpoc::TaskSpec> spec = gpoc::decode_task_spec(in);
  if (!spec.ok()) {
    FUZZ_CHECK(spec.status().code() == gpoc::ErrorCode::invalid_argument);
    return 0;
  }
  gpoc::Result<gpoc::Bytes> re = gpoc::encode_task_spec(*spec);
  FUZZ_CHECK(re.ok());
  FUZZ_CHECK(*re == gpoc::Bytes(in.begin(), in.end()));
  gpoc::TaskSpec normalized = *spec;  // a decoded spec is already in normal form
  FUZZ_CHECK(gpoc::normalize_task_spec(normalized).ok());
  FUZZ_CHECK(normalized == *spec);
  return 0;
}
