// ZeroMQ sockets for gpoc: a ROUTER on the scheduler, DEALERs on workers and requesters. Every
// socket gets the same limits (size, queues, heartbeats, handshake, reconnect, linger) and speaks
// one Envelope per frame. zmq errors never escape as exceptions: they come back as Status.
// Like any zmq socket, one of these is used from one thread; its counters can be read from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "gpoc/common/status.hpp"
#include "gpoc/proto/gpoc.pb.h"
#include "gpoc/transport/envelope.hpp"

namespace gpoc::transport {

struct Limits {
  std::size_t max_message_bytes = 8u << 20;  // ZMQ_MAXMSGSIZE: a peer sending more is disconnected
  int send_hwm = 10000, recv_hwm = 10000;
  int linger_ms = 200;
  int heartbeat_ivl_ms = 1000, heartbeat_timeout_ms = 5000, heartbeat_ttl_ms = 5000;  // ZMTP
  int handshake_ivl_ms = 5000;
  int reconnect_ivl_ms = 100, reconnect_ivl_max_ms = 2000;
  // DEALER only: how long send() may wait at the high-water mark before resource_exhausted.
  int send_timeout_ms = 250;
  // ROUTER only: at most this many Error replies to bad frames per second; the rest are counted
  // and dropped, so a flood of garbage cannot turn the scheduler into a traffic source.
  int max_error_replies_per_s = 100;
};

struct Counters {                           // all atomics; readable from other threads
  std::atomic<std::uint64_t> received{0};   // valid envelopes handed to the caller
  std::atomic<std::uint64_t> sent{0};       // envelopes queued to zmq (error replies too)
  std::atomic<std::uint64_t> malformed{0};  // unparsable, empty-body or multi-frame
  std::atomic<std::uint64_t> oversized{0};  // above max_message_bytes (inproc, or on send)
  std::atomic<std::uint64_t> bad_version{0};
  std::atomic<std::uint64_t> unroutable{0};                // ROUTER send to an unknown or gone peer
  std::atomic<std::uint64_t> send_would_block{0};          // high-water mark reached
  std::atomic<std::uint64_t> error_replies{0};             // Error envelopes sent for bad frames
  std::atomic<std::uint64_t> error_replies_suppressed{0};  // ... dropped by the rate bound
};

// Owns the zmq context. Sockets keep a pointer to it, so it is neither copyable nor movable and
// must outlive every socket made from it (its destructor waits for them, bounded by their linger).
class Context {
 public:
  explicit Context(int io_threads = 1);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  zmq::context_t& raw() { return ctx_; }

 private:
  zmq::context_t ctx_;
};

struct Incoming {
  std::string peer;  // ROUTER routing id
  wire::Envelope env;
};

namespace detail {
// Fixed one-second window; enough to bound replies without a clock per message.
class ReplyBudget {
 public:
  explicit ReplyBudget(int per_second) : per_second_(per_second) {}
  bool take();

 private:
  int per_second_;
  int used_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
};
}  // namespace detail

// The scheduler's side: one per endpoint (clients, workers). Move-only.
class RouterSocket {
 public:
  explicit RouterSocket(Context& ctx, Limits limits = {});
  RouterSocket(RouterSocket&&) noexcept = default;
  RouterSocket& operator=(RouterSocket&&) noexcept = default;

  // Returns the actual endpoint (tcp://127.0.0.1:* gives the real port, via ZMQ_LAST_ENDPOINT).
  Result<std::string> bind(const std::string& endpoint);
  // Sets version and message_id if 0. Never blocks: an unknown or gone peer is counted and gives
  // unavailable; a full queue is counted and gives resource_exhausted; a message above
  // max_message_bytes gives resource_exhausted (the peer would disconnect us for it).
  Status send(const std::string& peer, wire::Envelope env);
  // Waits up to timeout_ms (-1: forever, 0: no wait) for one message. Malformed, oversized and
  // wrong-version frames are counted, answered with one Error where the peer is known (rate
  // bounded, never to an Error), and skipped: the call then returns std::nullopt, not an error.
  // Errors are only for the socket itself failing.
  Result<std::optional<Incoming>> recv(int timeout_ms);

  zmq::socket_t& raw() { return socket_; }
  const Counters& counters() const { return *counters_; }
  const Limits& limits() const { return limits_; }
  const Status& status() const { return init_; }  // why construction failed, if it did

 private:
  void reject(const std::string& peer, const FramePeek& peek, wire::ErrorCode code,
              const std::string& why);

  Limits limits_;
  std::unique_ptr<Counters> counters_;  // on the heap so the socket stays movable
  detail::ReplyBudget error_budget_;
  Status init_;
  zmq::socket_t socket_;
  zmq::message_t id_frame_, body_frame_;  // reused across recv calls
};

// Workers and requesters. Move-only. raw() keeps referring to the same zmq::socket_t object
// across reconnect(), so a pointer taken for poll_readable stays valid.
class DealerSocket {
 public:
  explicit DealerSocket(Context& ctx, Limits limits = {});
  DealerSocket(DealerSocket&&) noexcept = default;
  DealerSocket& operator=(DealerSocket&&) noexcept = default;

  Status connect(const std::string& endpoint);
  // Sets version and message_id if 0. Messages queue before the connection completes (see
  // README: ZMQ_IMMEDIATE=0); at the high-water mark it waits at most limits.send_timeout_ms and
  // then fails with resource_exhausted rather than blocking forever.
  Status send(wire::Envelope env);
  // Malformed incoming frames are counted and skipped (std::nullopt); never answered.
  Result<std::optional<wire::Envelope>> recv(int timeout_ms);
  // Closes and reopens the socket to the same endpoint (fresh routing id, queued messages
  // dropped): used after the peer is deemed lost.
  Status reconnect();

  zmq::socket_t& raw() { return socket_; }
  const Counters& counters() const { return *counters_; }
  const std::string& endpoint() const { return endpoint_; }
  const Status& status() const { return init_; }

 private:
  Status open();

  Context* ctx_;
  Limits limits_;
  std::unique_ptr<Counters> counters_;
  Status init_;
  std::string endpoint_;
  zmq::socket_t socket_;
  zmq::message_t frame_;
};

// Waits until any of the sockets is readable or timeout_ms passes (-1: forever); returns the
// indexes of the readable ones (possibly empty; an interrupted wait also returns empty).
Result<std::vector<std::size_t>> poll_readable(std::span<zmq::socket_t* const> sockets,
                                               int timeout_ms);

}  // namespace gpoc::transport
