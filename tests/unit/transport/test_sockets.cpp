// Real ZeroMQ over tcp://127.0.0.1:* (ephemeral ports) and inproc. Every wait has a deadline.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "gpoc/transport/transport.hpp"

namespace gpoc::transport {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr milliseconds kDeadline{3000};  // generous: only a broken build waits this long

std::string inproc_name() {
  static std::atomic<int> n{0};
  return "inproc://transport-test-" + std::to_string(n++);
}

wire::Envelope heartbeat(std::uint64_t id = 0, std::uint32_t running = 7) {
  wire::Envelope e;
  e.set_message_id(id);
  e.mutable_heartbeat()->set_running(running);
  return e;
}

// Polls until a good message arrives (skipped frames come back as nullopt) or the deadline.
std::optional<Incoming> recv_good(RouterSocket& r, milliseconds budget = kDeadline) {
  const auto end = Clock::now() + budget;
  while (Clock::now() < end) {
    auto got = r.recv(20);
    EXPECT_TRUE(got.ok()) << got.status().to_string();
    if (!got.ok()) return std::nullopt;
    if (*got) return std::move(**got);
  }
  return std::nullopt;
}

std::optional<wire::Envelope> recv_good(DealerSocket& d, milliseconds budget = kDeadline) {
  const auto end = Clock::now() + budget;
  while (Clock::now() < end) {
    auto got = d.recv(20);
    EXPECT_TRUE(got.ok()) << got.status().to_string();
    if (!got.ok()) return std::nullopt;
    if (*got) return std::move(**got);
  }
  return std::nullopt;
}

// The router learns that a peer is gone asynchronously; send() fails once it has.
Status send_until_unavailable(RouterSocket& r, const std::string& peer) {
  const auto end = Clock::now() + kDeadline;
  Status s = ok_status();
  while (Clock::now() < end && s.ok()) {
    s = r.send(peer, heartbeat());
    if (s.ok()) std::this_thread::sleep_for(milliseconds(5));
  }
  return s;
}

// A port nobody listens on. A plain socket that is bound but never listening is freed at once on
// close(); a zmq listener would close asynchronously and could still accept our dealer.
int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) ::close(fd);
  EXPECT_TRUE(ok);
  return ok ? ntohs(addr.sin_port) : 0;
}

// A plain zmq socket standing in for a misbehaving peer.
zmq::socket_t raw_socket(Context& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx.raw(), type);
  s.set(zmq::sockopt::linger, 0);
  return s;
}

std::optional<wire::Envelope> raw_recv(zmq::socket_t& s, int timeout_ms) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, milliseconds(timeout_ms)) <= 0) return std::nullopt;
  zmq::message_t m;
  if (!s.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
  auto env = decode(ByteView(m.data<std::uint8_t>(), m.size()), 1 << 20);
  EXPECT_TRUE(env.ok()) << env.status().to_string();
  if (!env.ok()) return std::nullopt;
  return std::move(env).value();
}

void raw_send(zmq::socket_t& s, const Bytes& frame, bool more = false) {
  ASSERT_TRUE(s.send(zmq::buffer(frame), more ? zmq::send_flags::sndmore : zmq::send_flags::none));
}

class Transport : public ::testing::TestWithParam<std::string> {
 protected:
  // Binds `r` to this test's endpoint kind and returns where to connect.
  std::string bind(RouterSocket& r) {
    auto ep = r.bind(GetParam() == "tcp" ? "tcp://127.0.0.1:*" : inproc_name());
    EXPECT_TRUE(ep.ok()) << ep.status().to_string();
    return ep.ok() ? *ep : "";
  }
  Context ctx_;
};

TEST_P(Transport, RoundTripKeepsIdsAndRoutesToTheRightPeer) {
  RouterSocket router(ctx_);
  const std::string ep = bind(router);
  if (GetParam() == "tcp") {
    EXPECT_NE(ep.find("tcp://127.0.0.1:"), std::string::npos);
  }
  EXPECT_EQ(ep.find('*'), std::string::npos);  // the real port, not the wildcard
  DealerSocket a(ctx_), b(ctx_);
  ASSERT_TRUE(a.connect(ep).ok());
  ASSERT_TRUE(b.connect(ep).ok());
  ASSERT_TRUE(a.send(heartbeat(4242, 1)).ok());
  ASSERT_TRUE(b.send(heartbeat(0, 2)).ok());  // id 0: send assigns one

  std::map<std::uint32_t, Incoming> by_running;
  for (int i = 0; i < 2; ++i) {
    auto in = recv_good(router);
    ASSERT_TRUE(in.has_value());
    EXPECT_EQ(in->env.version(), kProtocolVersion);
    EXPECT_NE(in->env.message_id(), 0u);
    by_running[in->env.heartbeat().running()] = std::move(*in);
  }
  ASSERT_EQ(by_running.size(), 2u);
  EXPECT_EQ(by_running[1].env.message_id(), 4242u);
  EXPECT_NE(by_running[1].peer, by_running[2].peer);

  for (auto& [running, in] : by_running) {
    wire::Envelope reply = heartbeat(0, running * 10);
    reply.set_reply_to(in.env.message_id());
    ASSERT_TRUE(router.send(in.peer, reply).ok());
  }
  auto ra = recv_good(a), rb = recv_good(b);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->reply_to(), 4242u);
  EXPECT_EQ(ra->heartbeat().running(), 10u);
  EXPECT_EQ(rb->reply_to(), by_running[2].env.message_id());
  EXPECT_EQ(rb->heartbeat().running(), 20u);
  EXPECT_NE(ra->message_id(), 0u);
  EXPECT_EQ(router.counters().received, 2u);
  EXPECT_EQ(router.counters().sent, 2u);
  EXPECT_EQ(a.counters().sent, 1u);
  EXPECT_EQ(a.counters().received, 1u);
}

// Garbage, an empty frame, a multi-frame message, a wrong version and (on inproc, where libzmq
// does not enforce ZMQ_MAXMSGSIZE) an oversized frame: each counted, answered, and skipped.
TEST_P(Transport, BadFramesAreCountedAnsweredAndSkipped) {
  Limits limits;
  limits.max_message_bytes = 4096;
  RouterSocket router(ctx_, limits);
  const std::string ep = bind(router);
  zmq::socket_t peer = raw_socket(ctx_, zmq::socket_type::dealer);
  peer.connect(ep);

  struct Expect {
    wire::ErrorCode code;
    std::uint64_t reply_to;
  };
  std::vector<Expect> expect;
  raw_send(peer, Bytes(8, 0xff));
  expect.push_back({wire::ERROR_MALFORMED, 0});
  raw_send(peer, Bytes{});
  expect.push_back({wire::ERROR_MALFORMED, 0});
  raw_send(peer, encode(heartbeat(501)), /*more=*/true);
  raw_send(peer, Bytes{'x'});
  expect.push_back({wire::ERROR_MALFORMED, 501});
  wire::Envelope v2 = heartbeat(502);
  v2.set_version(2);
  raw_send(peer, encode(v2));
  expect.push_back({wire::ERROR_UNSUPPORTED_VERSION, 502});
  const bool inproc = GetParam() == "inproc";
  if (inproc) {
    wire::Envelope big = heartbeat(503);
    big.set_version(1);
    big.mutable_submit()->set_input(std::string(5000, 'z'));
    raw_send(peer, encode(big));
    expect.push_back({wire::ERROR_TOO_LARGE, 503});
  }
  wire::Envelope good = heartbeat(504);
  good.set_version(1);
  raw_send(peer, encode(good));

  auto in = recv_good(router);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->env.message_id(), 504u);  // still served after all that
  const Counters& c = router.counters();
  EXPECT_EQ(c.malformed, 3u);
  EXPECT_EQ(c.bad_version, 1u);
  EXPECT_EQ(c.oversized, inproc ? 1u : 0u);
  EXPECT_EQ(c.received, 1u);
  EXPECT_EQ(c.error_replies, expect.size());

  for (const Expect& e : expect) {
    auto reply = raw_recv(peer, 2000);
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE(reply->has_error());
    EXPECT_EQ(reply->error().code(), e.code) << reply->error().message();
    EXPECT_EQ(reply->reply_to(), e.reply_to);
    EXPECT_LE(encode(*reply).size(), 64 + kErrorMessageMax);  // small: never an amplifier
  }
  EXPECT_FALSE(raw_recv(peer, 50).has_value());  // exactly one reply per bad frame
}

TEST_P(Transport, ErrorRepliesAreRateBoundedAndNeverAnswerAnError) {
  Limits limits;
  limits.max_error_replies_per_s = 2;
  RouterSocket router(ctx_, limits);
  const std::string ep = bind(router);
  zmq::socket_t peer = raw_socket(ctx_, zmq::socket_type::dealer);
  peer.connect(ep);
  wire::Envelope err_v9 = make_error(1, wire::ERROR_BUSY, "from the future");
  err_v9.set_version(9);
  raw_send(peer, encode(err_v9));  // wrong version, but an Error: no reply, or peers could loop
  for (int i = 0; i < 5; ++i) raw_send(peer, Bytes(4, 0xff));
  wire::Envelope good = heartbeat(9);
  good.set_version(1);
  raw_send(peer, encode(good));

  ASSERT_TRUE(recv_good(router).has_value());
  EXPECT_EQ(router.counters().bad_version, 1u);
  EXPECT_EQ(router.counters().malformed, 5u);
  EXPECT_EQ(router.counters().error_replies, 2u);
  EXPECT_EQ(router.counters().error_replies_suppressed, 3u);
  for (int i = 0; i < 2; ++i) {
    auto reply = raw_recv(peer, 2000);
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), wire::ERROR_MALFORMED);
  }
  EXPECT_FALSE(raw_recv(peer, 50).has_value());
}

TEST_P(Transport, DealerSkipsMalformedFramesAndNeverAnswersThem) {
  zmq::socket_t router = raw_socket(ctx_, zmq::socket_type::router);
  const std::string ep = GetParam() == "tcp" ? "tcp://127.0.0.1:*" : inproc_name();
  router.bind(ep);
  DealerSocket d(ctx_);
  ASSERT_TRUE(d.connect(router.get(zmq::sockopt::last_endpoint)).ok());
  ASSERT_TRUE(d.send(heartbeat()).ok());
  zmq::message_t id, body;
  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&item, 1, kDeadline), 1);
  ASSERT_TRUE(router.recv(id) && router.recv(body));

  auto to_dealer = [&](const Bytes& frame) {
    ASSERT_TRUE(router.send(zmq::buffer(id.to_string()), zmq::send_flags::sndmore));
    ASSERT_TRUE(router.send(zmq::buffer(frame)));
  };
  to_dealer(Bytes(3, 0xff));
  wire::Envelope v3 = heartbeat(1);
  v3.set_version(3);
  to_dealer(encode(v3));
  wire::Envelope good = heartbeat(77);
  good.set_version(1);
  to_dealer(encode(good));

  auto got = recv_good(d);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->message_id(), 77u);
  EXPECT_EQ(d.counters().malformed, 1u);
  EXPECT_EQ(d.counters().bad_version, 1u);
  EXPECT_EQ(d.counters().sent, 1u);  // nothing was sent back for the bad frames
  item.revents = 0;
  EXPECT_EQ(zmq::poll(&item, 1, milliseconds(50)), 0);
}

TEST_P(Transport, SendToUnknownPeerIsUnavailableAndCounted) {
  RouterSocket router(ctx_);
  bind(router);
  Status s = router.send("nobody", heartbeat());
  EXPECT_EQ(s.code(), ErrorCode::unavailable);
  EXPECT_EQ(router.counters().unroutable, 1u);
  EXPECT_EQ(router.counters().sent, 0u);
}

TEST_P(Transport, EnvelopesAboveTheLimitAreRefusedOnSend) {
  Limits limits;
  limits.max_message_bytes = 1024;
  RouterSocket router(ctx_, limits);
  DealerSocket d(ctx_, limits);
  ASSERT_TRUE(d.connect(bind(router)).ok());
  wire::Envelope big = heartbeat();
  big.mutable_submit()->set_input(std::string(2000, 'q'));
  EXPECT_EQ(d.send(big).code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(d.counters().oversized, 1u);
  EXPECT_EQ(d.counters().sent, 0u);
  ASSERT_TRUE(d.send(heartbeat()).ok());
  auto in = recv_good(router);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(router.send(in->peer, big).code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(router.counters().oversized, 1u);
}

TEST_P(Transport, RecvTimesOutWithNothing) {
  RouterSocket router(ctx_);
  DealerSocket d(ctx_);
  ASSERT_TRUE(d.connect(bind(router)).ok());
  const auto t0 = Clock::now();
  auto r = router.recv(50);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto e = d.recv(0);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->has_value());
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, milliseconds(45));
  EXPECT_LT(waited, milliseconds(1000));
}

INSTANTIATE_TEST_SUITE_P(Endpoints, Transport, ::testing::Values("tcp", "inproc"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ---- tcp-only and inproc-only behaviour ---------------------------------------------------

class TransportTcp : public ::testing::Test {
 protected:
  Context ctx_;
};

// libzmq enforces ZMQ_MAXMSGSIZE in its TCP decoder: the sender is cut off before we see a byte.
TEST_F(TransportTcp, FrameAboveMaxMsgSizeDisconnectsThePeerOnly) {
  Limits limits;
  limits.max_message_bytes = 1024;
  RouterSocket router(ctx_, limits);
  ASSERT_EQ(
      zmq_socket_monitor(router.raw().handle(), "inproc://router-monitor", ZMQ_EVENT_DISCONNECTED),
      0);
  zmq::socket_t monitor = raw_socket(ctx_, zmq::socket_type::pair);
  monitor.connect("inproc://router-monitor");
  auto ep = router.bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(ep.ok());

  zmq::socket_t rogue = raw_socket(ctx_, zmq::socket_type::dealer);
  rogue.set(zmq::sockopt::reconnect_ivl, -1);  // stay gone once cut off
  rogue.connect(*ep);
  wire::Envelope hello = heartbeat(1);
  hello.set_version(1);
  raw_send(rogue, encode(hello));
  auto first = recv_good(router);
  ASSERT_TRUE(first.has_value());
  raw_send(rogue, Bytes(4096, 0x41));

  // The router's monitor reports the disconnect.
  zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&item, 1, kDeadline), 1) << "no disconnect event";
  zmq::message_t event;
  ASSERT_TRUE(monitor.recv(event));
  std::uint16_t event_id = 0;
  ASSERT_GE(event.size(), sizeof(event_id));
  std::memcpy(&event_id, event.data(), sizeof(event_id));
  EXPECT_EQ(event_id, ZMQ_EVENT_DISCONNECTED);

  // The rogue's routing id is gone; another peer is served as usual.
  EXPECT_EQ(send_until_unavailable(router, first->peer).code(), ErrorCode::unavailable);
  EXPECT_GE(router.counters().unroutable, 1u);
  DealerSocket good(ctx_, limits);
  ASSERT_TRUE(good.connect(*ep).ok());
  ASSERT_TRUE(good.send(heartbeat(0, 5)).ok());
  auto in = recv_good(router);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->env.heartbeat().running(), 5u);
  ASSERT_TRUE(router.send(in->peer, heartbeat()).ok());
  EXPECT_TRUE(recv_good(good).has_value());
  EXPECT_EQ(router.counters().received, 2u);
  EXPECT_EQ(router.counters().oversized, 0u);  // never reached us
  zmq_socket_monitor(router.raw().handle(), nullptr, 0);
}

TEST_F(TransportTcp, ReconnectGivesAFreshRoutingIdAndWorks) {
  RouterSocket router(ctx_);
  auto ep = router.bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(ep.ok());
  DealerSocket d(ctx_);
  EXPECT_EQ(d.reconnect().code(), ErrorCode::failed_precondition);  // nothing to reconnect to
  ASSERT_TRUE(d.connect(*ep).ok());
  EXPECT_EQ(d.connect(*ep).code(), ErrorCode::failed_precondition);  // one peer per DEALER
  ASSERT_TRUE(d.send(heartbeat(0, 1)).ok());
  auto first = recv_good(router);
  ASSERT_TRUE(first.has_value());

  zmq::socket_t* before = &d.raw();
  ASSERT_TRUE(d.reconnect().ok());
  EXPECT_EQ(&d.raw(), before);  // pointers held for poll_readable stay valid
  EXPECT_EQ(d.endpoint(), *ep);
  ASSERT_TRUE(d.send(heartbeat(0, 2)).ok());
  auto second = recv_good(router);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->env.heartbeat().running(), 2u);
  EXPECT_NE(second->peer, first->peer);
  ASSERT_TRUE(router.send(second->peer, heartbeat(0, 3)).ok());
  auto reply = recv_good(d);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->heartbeat().running(), 3u);

  // The old routing id disappears once the router notices the closed connection.
  EXPECT_EQ(send_until_unavailable(router, first->peer).code(), ErrorCode::unavailable);
}

// ZMQ_IMMEDIATE=0: a worker started before its scheduler queues its first messages.
TEST_F(TransportTcp, DealerQueuesMessagesBeforeThePeerListens) {
  const std::string ep = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
  DealerSocket d(ctx_);
  ASSERT_TRUE(d.connect(ep).ok());
  ASSERT_TRUE(d.send(heartbeat(900)).ok());
  RouterSocket router(ctx_);
  auto bound = router.bind(ep);
  ASSERT_TRUE(bound.ok()) << bound.status().to_string();
  auto in = recv_good(router);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->env.message_id(), 900u);
}

TEST(TransportErrors, BadEndpointsAreErrorsNotExceptions) {
  Context ctx;
  RouterSocket router(ctx);
  EXPECT_EQ(router.bind("bogus://x").status().code(), ErrorCode::invalid_argument);
  auto ok = router.bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(ok.ok());
  RouterSocket second(ctx);
  EXPECT_EQ(second.bind(*ok).status().code(), ErrorCode::unavailable);  // address in use
  DealerSocket d(ctx);
  EXPECT_FALSE(d.connect("nonsense").ok());
  EXPECT_EQ(d.send(heartbeat()).code(), ErrorCode::failed_precondition);  // not connected
  Limits bad;
  bad.heartbeat_ttl_ms = 10'000'000;  // above ZMTP's 6553.5 s: libzmq refuses it
  RouterSocket broken(ctx, bad);
  EXPECT_FALSE(broken.status().ok());
  EXPECT_FALSE(broken.bind("tcp://127.0.0.1:*").ok());
}

// ---- high-water marks: bounded, never blocking ------------------------------------------

TEST(TransportHwm, RouterSendNeverBlocksAtTheHighWaterMark) {
  Context ctx;
  Limits limits;
  limits.send_hwm = limits.recv_hwm = 4;
  RouterSocket router(ctx, limits);
  auto ep = router.bind(inproc_name());
  ASSERT_TRUE(ep.ok());
  DealerSocket d(ctx, limits);
  ASSERT_TRUE(d.connect(*ep).ok());
  ASSERT_TRUE(d.send(heartbeat()).ok());
  auto in = recv_good(router);
  ASSERT_TRUE(in.has_value());
  const auto t0 = Clock::now();
  Status s = ok_status();
  int sent = 0;
  for (; sent < 10000 && s.ok(); ++sent) s = router.send(in->peer, heartbeat());
  EXPECT_EQ(s.code(), ErrorCode::resource_exhausted);
  EXPECT_LT(sent, 100);  // the limit is small and it is enforced
  EXPECT_EQ(router.counters().send_would_block, 1u);
  EXPECT_LT(Clock::now() - t0, milliseconds(500));
  EXPECT_TRUE(recv_good(d).has_value());  // what was queued is still delivered
}

TEST(TransportHwm, DealerSendFailsAfterTheSendTimeoutInsteadOfBlocking) {
  Context ctx;
  Limits limits;
  limits.send_hwm = 4;
  limits.send_timeout_ms = 50;
  DealerSocket d(ctx, limits);
  ASSERT_TRUE(d.connect(inproc_name()).ok());  // nobody binds it
  Status s = ok_status();
  int sent = 0;
  auto t_fail = Clock::now();
  for (; sent < 100 && s.ok(); ++sent) {
    t_fail = Clock::now();
    s = d.send(heartbeat());
  }
  const auto waited = Clock::now() - t_fail;
  EXPECT_EQ(s.code(), ErrorCode::resource_exhausted);
  EXPECT_LT(sent, 100);
  EXPECT_GE(waited, milliseconds(45));
  EXPECT_LT(waited, milliseconds(1000));
  EXPECT_EQ(d.counters().send_would_block, 1u);
}

// ---- poll_readable ----------------------------------------------------------------------

TEST(PollReadable, ReportsExactlyTheReadableSockets) {
  Context ctx;
  RouterSocket router(ctx);
  auto ep = router.bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(ep.ok());
  DealerSocket a(ctx), b(ctx);
  ASSERT_TRUE(a.connect(*ep).ok());
  ASSERT_TRUE(b.connect(*ep).ok());

  zmq::socket_t* with_router[] = {&a.raw(), &router.raw()};
  ASSERT_TRUE(a.send(heartbeat(0, 1)).ok());
  auto ready = poll_readable(with_router, 3000);
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(*ready, std::vector<std::size_t>{1});
  auto from_a = recv_good(router);
  ASSERT_TRUE(from_a.has_value());

  ASSERT_TRUE(router.send(from_a->peer, heartbeat()).ok());
  zmq::socket_t* dealers[] = {&b.raw(), &a.raw()};
  ready = poll_readable(dealers, 3000);
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(*ready, std::vector<std::size_t>{1});
  ASSERT_TRUE(recv_good(a).has_value());

  const auto t0 = Clock::now();
  ready = poll_readable(dealers, 50);
  ASSERT_TRUE(ready.ok());
  EXPECT_TRUE(ready->empty());
  EXPECT_GE(Clock::now() - t0, milliseconds(45));

  zmq::socket_t* with_null[] = {&a.raw(), nullptr};
  EXPECT_EQ(poll_readable(with_null, 0).status().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace gpoc::transport
