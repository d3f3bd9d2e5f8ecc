// The deterministic simulation's handle on the production scheduler: the same message handlers,
// engine, ledger writes and restart path as the `gpoc scheduler` process, with the sockets, the
// commit thread and the wall clock taken out. Messages come in as encoded frames and go out
// through a callback; a batch handed to the commit writer becomes durable only when the
// simulator calls complete_commit(), so a crash can land between the two.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gpoc/common/clock.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/scheduler/scheduler.hpp"

namespace gpoc::verifier {
class Engine;
}

namespace gpoc::scheduler {

class SimHost {
 public:
  // `to_worker` tells which endpoint the message leaves from; `frame` is the encoded envelope.
  using Outbox = std::function<void(bool to_worker, const std::string& peer, Bytes frame)>;

  // Opens (or reopens, after a simulated crash) the scheduler on config.data_dir.
  static Result<std::unique_ptr<SimHost>> open(SchedulerConfig config, const Clock& clock,
                                               Outbox outbox);
  ~SimHost();

  // One frame from a peer on the client or worker endpoint, decoded as the socket would.
  void deliver(bool from_worker, const std::string& peer, ByteView frame);
  // The event loop's periodic work; returns when it next wants to run.
  std::int64_t tick();
  // Hands the waiting batch to the writer when it is due (the loop's flush).
  Status flush();
  // When the waiting batch must be handed over, or -1.
  std::int64_t flush_due_ms() const;
  // True while a batch is with the writer and not yet durable.
  bool commit_in_flight() const;
  // The writer finishes its batch; the replies that waited for it go out.
  Status complete_commit();

  const PublicKey& pool_id() const;
  const verifier::Engine& engine() const;

 private:
  explicit SimHost(std::unique_ptr<Scheduler::Impl> impl);
  std::unique_ptr<Scheduler::Impl> impl_;
};

}  // namespace gpoc::scheduler
