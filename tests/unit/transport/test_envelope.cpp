#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "gpoc/transport/envelope.hpp"

namespace gpoc::transport {
namespace {

wire::Envelope heartbeat(std::uint64_t id, std::uint32_t version = kProtocolVersion) {
  wire::Envelope e;
  e.set_version(version);
  e.set_message_id(id);
  e.set_reply_to(5);
  e.mutable_heartbeat()->set_running(3);
  e.mutable_heartbeat()->set_completed(9);
  return e;
}

Bytes append(Bytes a, std::initializer_list<std::uint8_t> tail) {
  a.insert(a.end(), tail);
  return a;
}

TEST(Envelope, EncodeDecodeRoundTrip) {
  const Bytes bytes = encode(heartbeat(77));
  auto d = decode(bytes, 1 << 20);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->version(), kProtocolVersion);
  EXPECT_EQ(d->message_id(), 77u);
  EXPECT_EQ(d->reply_to(), 5u);
  ASSERT_EQ(d->body_case(), wire::Envelope::kHeartbeat);
  EXPECT_EQ(d->heartbeat().running(), 3u);
  EXPECT_EQ(d->heartbeat().completed(), 9u);
  EXPECT_EQ(encode(*d), bytes);
}

TEST(Envelope, RoundTripsBinaryPayloads) {
  wire::Envelope e = heartbeat(1);
  Bytes input(1000);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<std::uint8_t>(i * 7);
  e.mutable_submit()->set_input(input.data(), input.size());
  e.mutable_submit()->set_spec(std::string("\0\xff\x80", 3));
  auto d = decode(encode(e), 1 << 20);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->submit().input(), std::string(input.begin(), input.end()));
  EXPECT_EQ(d->submit().spec(), std::string("\0\xff\x80", 3));
}

TEST(Envelope, OversizedFrameIsRejectedBeforeParsing) {
  const Bytes bytes = encode(heartbeat(1));
  EXPECT_TRUE(decode(bytes, bytes.size()).ok());
  auto d = decode(bytes, bytes.size() - 1);
  EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted);
  // Garbage above the limit is still "too large", not "malformed": the size is checked first.
  EXPECT_EQ(decode(Bytes(100, 0xff), 99).status().code(), ErrorCode::resource_exhausted);
}

TEST(Envelope, GarbageIsInvalidArgument) {
  const Bytes good = encode(heartbeat(1));
  const std::vector<Bytes> bad = {
      Bytes(16, 0xff),                      // endless varint
      {0x52, 0x10, 0x01},                   // body field claiming 16 bytes, 1 present
      {0x00, 0x01},                         // field number 0
      append(good, {0x0c}),                 // a stray end-group tag at the top level
      Bytes(good.begin(), good.end() - 1),  // truncated inside the body
      append(good, {0x80}),                 // truncated tag
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    auto d = decode(bad[i], 1 << 20);
    EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument) << "case " << i;
  }
}

TEST(Envelope, EmptyFrameAndMissingBodyAreInvalidArgument) {
  EXPECT_EQ(decode(Bytes{}, 1024).status().code(), ErrorCode::invalid_argument);
  wire::Envelope no_body;
  no_body.set_version(kProtocolVersion);
  no_body.set_message_id(3);
  EXPECT_EQ(decode(encode(no_body), 1024).status().code(), ErrorCode::invalid_argument);
  // A body this peer does not know (field 99) parses as an unknown field: still no body.
  Bytes unknown_body = append(encode(no_body), {0x9a, 0x06, 0x00});
  auto d = decode(unknown_body, 1024);
  EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(d.status().message().find("no body"), std::string::npos);
}

TEST(Envelope, WrongVersionIsFailedPrecondition) {
  auto v2 = decode(encode(heartbeat(1, 2)), 1024);
  EXPECT_EQ(v2.status().code(), ErrorCode::failed_precondition);
  EXPECT_NE(v2.status().message().find("version 2"), std::string::npos);
  EXPECT_EQ(decode(encode(heartbeat(1, 0)), 1024).status().code(), ErrorCode::failed_precondition);
}

TEST(Envelope, DeeplyNestedUnknownGroupsAreRejected) {
  // Unknown field 100 as nested groups: start tag 0xa3 0x06, end tag 0xa4 0x06.
  auto nested = [](int depth) {
    Bytes b = encode(heartbeat(1));
    for (int i = 0; i < depth; ++i) b.insert(b.end(), {0xa3, 0x06});
    for (int i = 0; i < depth; ++i) b.insert(b.end(), {0xa4, 0x06});
    return b;
  };
  EXPECT_TRUE(decode(nested(4), 1 << 20).ok());
  // Within protobuf's default limit of 100, but above ours.
  EXPECT_EQ(decode(nested(50), 1 << 20).status().code(), ErrorCode::invalid_argument);
}

TEST(PeekFrame, ReadsMessageIdFromFramesThatDoNotDecode) {
  const Bytes broken = append(encode(heartbeat(1234)), {0xff, 0xff});
  ASSERT_FALSE(decode(broken, 1024).ok());
  EXPECT_EQ(peek_frame(broken).message_id, 1234u);
  EXPECT_FALSE(peek_frame(broken).is_error);
  EXPECT_EQ(peek_frame(encode(heartbeat(99, 7))).message_id, 99u);
  EXPECT_EQ(peek_frame(Bytes(8, 0xff)).message_id, 0u);
  EXPECT_EQ(peek_frame(Bytes{}).message_id, 0u);
  wire::Envelope err = make_error(1, wire::ERROR_BUSY, "x");
  err.set_version(9);
  EXPECT_TRUE(peek_frame(encode(err)).is_error);
}

TEST(MakeError, FillsFieldsAndKeepsTheReplyParsable) {
  const Bytes task(32, 0xab);
  wire::Envelope e = make_error(42, wire::ERROR_UNKNOWN_TASK, "no such task", task);
  EXPECT_EQ(e.version(), kProtocolVersion);
  EXPECT_EQ(e.reply_to(), 42u);
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code(), wire::ERROR_UNKNOWN_TASK);
  EXPECT_EQ(e.error().message(), "no such task");
  EXPECT_EQ(e.error().task_id(), std::string(task.begin(), task.end()));

  // Invalid UTF-8 (say, a peer's bytes quoted in a message) would make the reply unparsable.
  wire::Envelope bad = make_error(1, wire::ERROR_MALFORMED, std::string("key '\xff\xfe' \xc3"));
  EXPECT_EQ(bad.error().message(),
            "key '?"
            "?' ?");
  EXPECT_TRUE(decode(encode(bad), 1024).ok());
  // Long messages are cut, and never inside a UTF-8 sequence.
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "\xc3\xa9";  // "é" x 200 = 400 bytes
  wire::Envelope cut = make_error(1, wire::ERROR_MALFORMED, long_text);
  EXPECT_EQ(cut.error().message().size(), kErrorMessageMax);
  EXPECT_TRUE(decode(encode(cut), 1024).ok());
}

TEST(ValidUtf8, KeepsWellFormedTextAndReplacesEverythingElse) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("\xf0\x9f\x98\x80 \xc3\xa9"), "\xf0\x9f\x98\x80 \xc3\xa9");  // 4- and 2-byte
  EXPECT_EQ(valid_utf8("\xc0\x80"), "??");                                          // overlong NUL
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "???");       // UTF-16 surrogate
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), "????");  // above U+10FFFF
  EXPECT_EQ(valid_utf8("ab\xe2\x82"), "ab??");        // truncated sequence
  EXPECT_EQ(valid_utf8("ab\xe2\x82\xac", 4), "ab");   // the euro sign would straddle the cut
  wire::Envelope e;
  e.mutable_task_failure()->set_reason(valid_utf8(std::string("\xff\x80ok", 4)));
  e.set_version(kProtocolVersion);
  EXPECT_TRUE(decode(encode(e), 1024).ok());
}

TEST(ToWireError, MapsEveryCodeToTheClosestWireCode) {
  auto w = [](ErrorCode c) { return to_wire_error(Status(c, "x")); };
  EXPECT_EQ(to_wire_error(ok_status()), wire::ERROR_UNSPECIFIED);
  EXPECT_EQ(w(ErrorCode::invalid_argument), wire::ERROR_MALFORMED);
  EXPECT_EQ(w(ErrorCode::not_found), wire::ERROR_UNKNOWN_TASK);
  EXPECT_EQ(w(ErrorCode::already_exists), wire::ERROR_WRONG_STATE);
  EXPECT_EQ(w(ErrorCode::failed_precondition), wire::ERROR_WRONG_STATE);
  EXPECT_EQ(w(ErrorCode::resource_exhausted), wire::ERROR_TOO_LARGE);
  EXPECT_EQ(w(ErrorCode::unauthenticated), wire::ERROR_BAD_SIGNATURE);
  EXPECT_EQ(w(ErrorCode::permission_denied), wire::ERROR_NOT_REGISTERED);
  EXPECT_EQ(w(ErrorCode::data_loss), wire::ERROR_DIGEST_MISMATCH);
  EXPECT_EQ(w(ErrorCode::unavailable), wire::ERROR_BUSY);
  EXPECT_EQ(w(ErrorCode::deadline_exceeded), wire::ERROR_WRONG_STATE);
  EXPECT_EQ(w(ErrorCode::internal), wire::ERROR_INTERNAL);
}

TEST(MessageId, UniqueMonotonicAndThreadSafe) {
  constexpr int kThreads = 4, kPerThread = 20000;
  std::vector<std::vector<std::uint64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(next_message_id());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::uint64_t> all;
  for (const auto& v : ids) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_GE(all.front(), 1ull << 62);  // "high": far from ids a peer would pick by counting
  const std::uint64_t a = next_message_id();
  const std::uint64_t b = next_message_id();
  EXPECT_LT(a, b);
}

}  // namespace
}  // namespace gpoc::transport
