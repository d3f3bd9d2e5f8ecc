// decode_contribution on untrusted bytes: never crashes, rejects with invalid_argument, and
// accepts only the canonical encoding (signatures are checked over the bytes received).
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "gpoc/common/statements.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gpoc::ByteView in(data, size);
  gpoc::Result<gpoc::ContributionStatement> c = gpoc::decode_contribution(in);
  if (!c.ok()) {
    FUZZ_CHECK(c.status().code() == gpoc::ErrorCode::invalid_argument);
    return 0;
  }
  FUZZ_CHECK(c->exec_class.size() <= gpoc::kExecClassMax);
  FUZZ_CHECK(gpoc::encode_contribution(*c) == gpoc::Bytes(in.begin(), in.end()));
  return 0;
}
