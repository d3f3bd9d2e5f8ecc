// The Envelope codec: every ZeroMQ message is one frame holding one wire::Envelope. decode() is the
// first parser that sees untrusted bytes, so it bounds the size before parsing and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/proto/gpoc.pb.h"

namespace gpoc::transport {

inline constexpr std::uint32_t kProtocolVersion = 1;
// Nesting in the schema is at most 3 deep (Envelope > TaskStatus > ReplicaInfo); unknown groups
// deeper than this are an attack on the parser's stack, not a message.
inline constexpr int kMaxRecursionDepth = 16;
// Error texts are ours, short, and never echo peer bytes back (no amplification).
inline constexpr std::size_t kErrorMessageMax = 256;

Bytes encode(const wire::Envelope& env);

// Parses one frame: resource_exhausted if larger than max_bytes; invalid_argument if it is not a
// valid Envelope or has no body; failed_precondition if version != kProtocolVersion (a frame with
// neither a version nor a body, e.g. an empty one, is invalid_argument).
// Never throws, never crashes on any input.
Result<wire::Envelope> decode(ByteView frame, std::size_t max_bytes);

// What can be read from a frame that may not decode: the top-level message_id (0 if none could be
// read) and whether its body is an Error (so we never answer an error with an error).
struct FramePeek {
  std::uint64_t message_id = 0;
  bool is_error = false;
};
FramePeek peek_frame(ByteView frame);

// `s` as valid UTF-8 of at most max_bytes: bad bytes become '?', a sequence that would straddle
// the cut is dropped. Use it before putting text that came from a peer into a proto3 `string`
// field: the receiver's parser rejects the whole envelope if one holds invalid UTF-8.
std::string valid_utf8(std::string_view s, std::size_t max_bytes = SIZE_MAX);

// An Error envelope. `message` is cut to kErrorMessageMax bytes and made valid UTF-8 (proto3
// rejects a string field holding invalid UTF-8, so a bad byte would make the reply unparsable).
wire::Envelope make_error(std::uint64_t reply_to, wire::ErrorCode code, std::string message,
                          ByteView task_id = {});

// Maps gpoc::ErrorCode to the closest wire::ErrorCode (table in transport/README.md). Callers that
// mean "queue full, retry later" should send ERROR_BUSY explicitly.
wire::ErrorCode to_wire_error(const Status& s);

// Process-unique, monotonic, thread-safe; starts at a random-ish high value per process so ids
// from a restarted process do not collide with the ones its peers remember. Never 0.
std::uint64_t next_message_id();

}  // namespace gpoc::transport
