#include "gpoc/transport/envelope.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <random>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace gpoc::transport {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

constexpr std::uint32_t kMessageIdTag = (2u << 3) | WireFormatLite::WIRETYPE_VARINT;
constexpr std::uint32_t kErrorBodyTag = (60u << 3) | WireFormatLite::WIRETYPE_LENGTH_DELIMITED;

// Length of the UTF-8 sequence starting at s[i] if it is well formed (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), else 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string valid_utf8(std::string_view s, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (out.size() + std::max<std::size_t>(n, 1) > max_bytes) break;
    if (n == 0) {
      out.push_back('?');
      i += 1;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

namespace {

std::uint64_t initial_message_id() {
  // Random-ish, not secret: ids only need to differ between runs of a process. Bit 62 set keeps
  // them high and far from overflow; 40 random bits above the low 20 leave room for 2^20 ids
  // before two runs could even start to overlap by chance.
  std::random_device rd;
  std::uint64_t r =
      (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return (1ull << 62) | ((r & ((1ull << 40) - 1)) << 20);
}

}  // namespace

Bytes encode(const wire::Envelope& env) {
  Bytes out(env.ByteSizeLong());
  env.SerializeWithCachedSizesToArray(out.data());
  return out;
}

Result<wire::Envelope> decode(ByteView frame, std::size_t max_bytes) {
  // The size check comes first, before any parsing work or allocation.
  if (frame.size() > max_bytes || frame.size() > static_cast<std::size_t>(INT_MAX)) {
    return resource_exhausted("frame of " + std::to_string(frame.size()) +
                              " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  wire::Envelope env;
  CodedInputStream in(frame.data(), static_cast<int>(frame.size()));
  in.SetTotalBytesLimit(static_cast<int>(frame.size()));
  in.SetRecursionLimit(kMaxRecursionDepth);
  if (!env.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return invalid_argument("frame is not a valid Envelope");
  }
  if (env.version() != kProtocolVersion) {
    if (env.version() == 0 && env.body_case() == wire::Envelope::BODY_NOT_SET) {
      return invalid_argument("frame is not an Envelope (no version, no body)");
    }
    return failed_precondition("unsupported protocol version " + std::to_string(env.version()) +
                               " (this peer speaks " + std::to_string(kProtocolVersion) + ")");
  }
  if (env.body_case() == wire::Envelope::BODY_NOT_SET) {
    return invalid_argument("envelope has no body (or one this peer does not know)");
  }
  return env;
}

FramePeek peek_frame(ByteView frame) {
  FramePeek peek;
  if (frame.size() > static_cast<std::size_t>(INT_MAX)) return peek;
  CodedInputStream in(frame.data(), static_cast<int>(frame.size()));
  in.SetRecursionLimit(kMaxRecursionDepth);
  // Walks the top-level fields until the input ends or stops making sense; each step consumes
  // at least one byte, so the loop is bounded by the frame size. The last message_id wins, as in
  // the real parser.
  for (std::uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (tag == kMessageIdTag) {
      std::uint64_t id = 0;
      if (!in.ReadVarint64(&id)) break;
      peek.message_id = id;
      continue;
    }
    if (tag == kErrorBodyTag) peek.is_error = true;
    if (!WireFormatLite::SkipField(&in, tag)) break;
  }
  return peek;
}

wire::Envelope make_error(std::uint64_t reply_to, wire::ErrorCode code, std::string message,
                          ByteView task_id) {
  wire::Envelope env;
  env.set_version(kProtocolVersion);
  env.set_reply_to(reply_to);
  wire::Error* err = env.mutable_error();
  err->set_code(code);
  err->set_message(valid_utf8(message, kErrorMessageMax));
  if (!task_id.empty()) err->set_task_id(task_id.data(), task_id.size());
  return env;
}

wire::ErrorCode to_wire_error(const Status& s) {
  switch (s.code()) {
    case ErrorCode::ok: return wire::ERROR_UNSPECIFIED;
    case ErrorCode::invalid_argument: return wire::ERROR_MALFORMED;
    case ErrorCode::not_found: return wire::ERROR_UNKNOWN_TASK;
    case ErrorCode::already_exists: return wire::ERROR_WRONG_STATE;
    case ErrorCode::failed_precondition: return wire::ERROR_WRONG_STATE;
    case ErrorCode::resource_exhausted: return wire::ERROR_TOO_LARGE;
    case ErrorCode::unauthenticated: return wire::ERROR_BAD_SIGNATURE;
    case ErrorCode::permission_denied: return wire::ERROR_NOT_REGISTERED;
    case ErrorCode::data_loss: return wire::ERROR_DIGEST_MISMATCH;
    case ErrorCode::unavailable: return wire::ERROR_BUSY;
    case ErrorCode::deadline_exceeded: return wire::ERROR_WRONG_STATE;
    case ErrorCode::internal: return wire::ERROR_INTERNAL;
  }
  return wire::ERROR_INTERNAL;
}

std::uint64_t next_message_id() {
  static std::atomic<std::uint64_t> next{initial_message_id()};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gpoc::transport
