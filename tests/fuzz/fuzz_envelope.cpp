// transport::decode on raw frames: never crashes; errors have the documented codes; a decoded
// envelope re-encodes to bytes that decode to the same envelope; peek_frame agrees with decode;
// the Error reply we would send for a bad frame is small and parsable, whatever text it carries.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_check.hpp"
#include "gpoc/transport/envelope.hpp"

using namespace gpoc;
using namespace gpoc::transport;

namespace {
constexpr std::size_t kMaxBytes = 64u << 10;

// protobuf logs each string field with invalid UTF-8; that is expected here and only noise.
const bool kQuiet = [] {
  google::protobuf::SetLogHandler(nullptr);
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)kQuiet;
  const ByteView frame(data, size);
  Result<wire::Envelope> env = decode(frame, kMaxBytes);
  const FramePeek peek = peek_frame(frame);
  // valid_utf8 against protobuf's own UTF-8 check: any bytes, once cleaned, make a parsable reply.
  const Bytes echo = encode(make_error(1, wire::ERROR_MALFORMED, std::string(as_chars(frame))));
  FUZZ_CHECK(echo.size() <= 64 + kErrorMessageMax);
  FUZZ_CHECK(decode(echo, kMaxBytes).ok());
  if (size > kMaxBytes) {
    FUZZ_CHECK(env.status().code() == ErrorCode::resource_exhausted);
    return 0;
  }
  if (!env.ok()) {
    const ErrorCode code = env.status().code();
    FUZZ_CHECK(code == ErrorCode::invalid_argument || code == ErrorCode::failed_precondition);
    FUZZ_CHECK(!env.status().message().empty());
    const Bytes reply =
        encode(make_error(peek.message_id, wire::ERROR_MALFORMED, env.status().message()));
    FUZZ_CHECK(reply.size() <= 64 + kErrorMessageMax);
    FUZZ_CHECK(decode(reply, kMaxBytes).ok());
    return 0;
  }
  FUZZ_CHECK(env->version() == kProtocolVersion);
  FUZZ_CHECK(env->body_case() != wire::Envelope::BODY_NOT_SET);
  FUZZ_CHECK(peek.message_id == env->message_id());
  FUZZ_CHECK(!env->has_error() || peek.is_error);
  const Bytes again = encode(*env);
  Result<wire::Envelope> redecoded = decode(again, kMaxBytes);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(encode(*redecoded) == again);
  return 0;
}
