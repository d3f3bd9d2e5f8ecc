#include "gpoc/transport/socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <string>

#include "gpoc/transport/envelope.hpp"

namespace gpoc::transport {
namespace {

using MaybeIncoming = std::optional<Incoming>;
using MaybeEnvelope = std::optional<wire::Envelope>;

void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

Status from_zmq(const zmq::error_t& e, std::string_view what) {
  std::string msg = std::string(what) + ": " + e.what();
  switch (e.num()) {
    case ETERM:
    case EHOSTUNREACH:
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case ENODEV:
    case ECONNREFUSED: return unavailable(std::move(msg));
    case EAGAIN: return resource_exhausted(std::move(msg));
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO: return invalid_argument(std::move(msg));
    default: return internal_error(std::move(msg));
  }
}

// The same limits on every socket (reliability anchors 2.2): without them a peer can make us
// buffer without bound, a dead peer goes unnoticed, and shutdown can hang on unsent messages.
void apply_limits(zmq::socket_t& s, const Limits& l) {
  constexpr auto kInt64Max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  s.set(zmq::sockopt::maxmsgsize,
        static_cast<std::int64_t>(std::min<std::uint64_t>(l.max_message_bytes, kInt64Max)));
  s.set(zmq::sockopt::sndhwm, l.send_hwm);
  s.set(zmq::sockopt::rcvhwm, l.recv_hwm);
  s.set(zmq::sockopt::linger, l.linger_ms);
  s.set(zmq::sockopt::heartbeat_ivl, l.heartbeat_ivl_ms);
  s.set(zmq::sockopt::heartbeat_timeout, l.heartbeat_timeout_ms);
  s.set(zmq::sockopt::heartbeat_ttl, l.heartbeat_ttl_ms);
  s.set(zmq::sockopt::handshake_ivl, l.handshake_ivl_ms);
  s.set(zmq::sockopt::reconnect_ivl, l.reconnect_ivl_ms);
  s.set(zmq::sockopt::reconnect_ivl_max, l.reconnect_ivl_max_ms);
}

// Sets what every outgoing envelope needs and serializes it straight into a zmq message (one
// allocation, no copy). A message the peer would refuse under its MAXMSGSIZE is refused here:
// sending it would only get our own connection dropped.
Result<zmq::message_t> serialize(wire::Envelope& env, const Limits& limits, Counters& c) {
  if (env.version() == 0) env.set_version(kProtocolVersion);
  if (env.message_id() == 0) env.set_message_id(next_message_id());
  const std::size_t n = env.ByteSizeLong();
  if (n > limits.max_message_bytes) {
    bump(c.oversized);
    return resource_exhausted("envelope of " + std::to_string(n) + " bytes exceeds the limit of " +
                              std::to_string(limits.max_message_bytes));
  }
  zmq::message_t msg(n);
  env.SerializeWithCachedSizesToArray(static_cast<std::uint8_t*>(msg.data()));
  return msg;
}

// Receives the first frame of the next message into `msg`, waiting up to timeout_ms. Tries
// without waiting first: under load a message is usually there and the poll is skipped.
bool recv_first(zmq::socket_t& s, zmq::message_t& msg, int timeout_ms) {
  if (s.recv(msg, zmq::recv_flags::dontwait)) return true;
  if (timeout_ms == 0) return false;
  zmq_pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, timeout_ms) < 0) {
    if (zmq_errno() == EINTR) return false;
    throw zmq::error_t();
  }
  return (item.revents & ZMQ_POLLIN) && s.recv(msg, zmq::recv_flags::dontwait);
}

// Discards the rest of a multi-frame message; the frames are already queued in full (zmq delivers
// messages atomically), so this never waits and is bounded by what libzmq accepted.
void drain(zmq::socket_t& s, zmq::message_t& msg) {
  while (msg.more()) {
    if (!s.recv(msg, zmq::recv_flags::dontwait)) break;
  }
}

// Counts a frame decode() refused and picks the wire code for the reply.
wire::ErrorCode count_rejection(Counters& c, const Status& why) {
  switch (why.code()) {
    case ErrorCode::resource_exhausted: bump(c.oversized); return wire::ERROR_TOO_LARGE;
    case ErrorCode::failed_precondition:
      bump(c.bad_version);
      return wire::ERROR_UNSUPPORTED_VERSION;
    default: bump(c.malformed); return wire::ERROR_MALFORMED;
  }
}

}  // namespace

namespace detail {
bool ReplyBudget::take() {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    used_ = 0;
  }
  if (used_ >= per_second_) return false;
  ++used_;
  return true;
}
}  // namespace detail

Context::Context(int io_threads) : ctx_(io_threads) {}

// ---- RouterSocket -------------------------------------------------------------------------

RouterSocket::RouterSocket(Context& ctx, Limits limits)
    : limits_(limits),
      counters_(std::make_unique<Counters>()),
      error_budget_(limits.max_error_replies_per_s) {
  try {
    socket_ = zmq::socket_t(ctx.raw(), zmq::socket_type::router);
    apply_limits(socket_, limits_);
    // Unroutable or full peers become errors we count, instead of silent drops.
    socket_.set(zmq::sockopt::router_mandatory, true);
  } catch (const zmq::error_t& e) {
    init_ = from_zmq(e, "router socket");
  }
}

Result<std::string> RouterSocket::bind(const std::string& endpoint) {
  if (!init_.ok()) return init_;
  try {
    socket_.bind(endpoint);
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return from_zmq(e, "bind " + endpoint);
  }
}

Status RouterSocket::send(const std::string& peer, wire::Envelope env) {
  if (!init_.ok()) return init_;
  GPOC_ASSIGN_OR_RETURN(zmq::message_t body, serialize(env, limits_, *counters_));
  try {
    // ROUTER_MANDATORY: an unknown peer throws EHOSTUNREACH, a full one returns EAGAIN.
    if (!socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      bump(counters_->send_would_block);
      return resource_exhausted("peer's queue is full (high-water mark)");
    }
    // Once the routing frame is accepted the rest of the message is too (atomic delivery).
    if (!socket_.send(body, zmq::send_flags::dontwait)) {
      bump(counters_->send_would_block);
      return resource_exhausted("peer's queue is full (high-water mark)");
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      bump(counters_->unroutable);
      return unavailable("no route to peer (unknown or disconnected)");
    }
    return from_zmq(e, "router send");
  }
  bump(counters_->sent);
  return ok_status();
}

void RouterSocket::reject(const std::string& peer, const FramePeek& peek, wire::ErrorCode code,
                          const std::string& why) {
  if (peek.is_error) return;  // never answer an Error with an Error: two peers could loop
  if (!error_budget_.take()) {
    bump(counters_->error_replies_suppressed);
    return;
  }
  // A failed reply (peer gone or full) is already counted by send(); nothing more to do.
  if (send(peer, make_error(peek.message_id, code, why)).ok()) bump(counters_->error_replies);
}

Result<std::optional<Incoming>> RouterSocket::recv(int timeout_ms) {
  if (!init_.ok()) return init_;
  try {
    if (!recv_first(socket_, id_frame_, timeout_ms)) return MaybeIncoming{};
    // A ROUTER always delivers [routing id][frames...]; anything else is not a message.
    if (!id_frame_.more() || !socket_.recv(body_frame_, zmq::recv_flags::dontwait)) {
      return MaybeIncoming{};
    }
    std::string peer(id_frame_.data<char>(), id_frame_.size());
    const ByteView frame(body_frame_.data<std::uint8_t>(), body_frame_.size());
    const FramePeek peek = peek_frame(frame);  // before drain(), which reuses the buffer
    if (body_frame_.more()) {
      drain(socket_, body_frame_);
      bump(counters_->malformed);
      reject(peer, peek, wire::ERROR_MALFORMED, "expected one frame per message");
      return MaybeIncoming{};
    }
    Result<wire::Envelope> env = decode(frame, limits_.max_message_bytes);
    if (!env.ok()) {
      reject(peer, peek, count_rejection(*counters_, env.status()), env.status().message());
      return MaybeIncoming{};
    }
    bump(counters_->received);
    return MaybeIncoming(Incoming{std::move(peer), std::move(env).value()});
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return MaybeIncoming{};
    return from_zmq(e, "router recv");
  }
}

// ---- DealerSocket -------------------------------------------------------------------------

DealerSocket::DealerSocket(Context& ctx, Limits limits)
    : ctx_(&ctx), limits_(limits), counters_(std::make_unique<Counters>()) {
  init_ = open();
}

Status DealerSocket::open() {
  try {
    socket_ = zmq::socket_t(ctx_->raw(), zmq::socket_type::dealer);
    apply_limits(socket_, limits_);
    // Bounded wait at the high-water mark instead of blocking forever.
    socket_.set(zmq::sockopt::sndtimeo, limits_.send_timeout_ms);
    // ZMQ_IMMEDIATE stays 0 on purpose: a worker queues Hello/Register before the TCP connection
    // completes, and with one peer per DEALER there is no round-robin to lose messages to.
    socket_.set(zmq::sockopt::immediate, false);
  } catch (const zmq::error_t& e) {
    return from_zmq(e, "dealer socket");
  }
  return ok_status();
}

Status DealerSocket::connect(const std::string& endpoint) {
  if (!init_.ok()) return init_;
  if (!endpoint_.empty()) {
    return failed_precondition("already connected to " + endpoint_ + "; one peer per DEALER");
  }
  try {
    socket_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return from_zmq(e, "connect " + endpoint);
  }
  endpoint_ = endpoint;
  return ok_status();
}

Status DealerSocket::reconnect() {
  if (endpoint_.empty()) return failed_precondition("reconnect before connect");
  socket_.close();  // drops whatever was queued: the peer that would get it is deemed lost
  init_ = open();
  if (!init_.ok()) return init_;
  try {
    socket_.connect(endpoint_);
  } catch (const zmq::error_t& e) {
    return from_zmq(e, "reconnect " + endpoint_);
  }
  return ok_status();
}

Status DealerSocket::send(wire::Envelope env) {
  if (!init_.ok()) return init_;
  if (endpoint_.empty()) return failed_precondition("send before connect");
  GPOC_ASSIGN_OR_RETURN(zmq::message_t body, serialize(env, limits_, *counters_));
  try {
    if (!socket_.send(body, zmq::send_flags::none)) {  // EAGAIN after ZMQ_SNDTIMEO
      bump(counters_->send_would_block);
      return resource_exhausted("send queue still full after " +
                                std::to_string(limits_.send_timeout_ms) + " ms (high-water mark)");
    }
  } catch (const zmq::error_t& e) {
    return from_zmq(e, "dealer send");
  }
  bump(counters_->sent);
  return ok_status();
}

Result<std::optional<wire::Envelope>> DealerSocket::recv(int timeout_ms) {
  if (!init_.ok()) return init_;
  try {
    if (!recv_first(socket_, frame_, timeout_ms)) return MaybeEnvelope{};
    if (frame_.more()) {
      drain(socket_, frame_);
      bump(counters_->malformed);
      return MaybeEnvelope{};
    }
    // Never answered: replying to a bad frame from the scheduler could start an error loop.
    Result<wire::Envelope> env =
        decode(ByteView(frame_.data<std::uint8_t>(), frame_.size()), limits_.max_message_bytes);
    if (!env.ok()) {
      (void)count_rejection(*counters_, env.status());
      return MaybeEnvelope{};
    }
    bump(counters_->received);
    return MaybeEnvelope(std::move(env).value());
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return MaybeEnvelope{};
    return from_zmq(e, "dealer recv");
  }
}

Result<std::vector<std::size_t>> poll_readable(std::span<zmq::socket_t* const> sockets,
                                               int timeout_ms) {
  if (sockets.empty() && timeout_ms < 0) {
    return invalid_argument("poll_readable: no sockets and no timeout would wait forever");
  }
  std::vector<zmq_pollitem_t> items;
  items.reserve(sockets.size());
  for (zmq::socket_t* s : sockets) {
    if (s == nullptr || !*s) return invalid_argument("poll_readable: null or closed socket");
    items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
  }
  std::vector<std::size_t> ready;
  if (zmq_poll(items.data(), static_cast<int>(items.size()), timeout_ms) < 0) {
    if (zmq_errno() == EINTR) return ready;
    return from_zmq(zmq::error_t(), "poll");
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].revents & ZMQ_POLLIN) ready.push_back(i);
  }
  return ready;
}

}  // namespace gpoc::transport
