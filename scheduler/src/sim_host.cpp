#include "gpoc/scheduler/sim_host.hpp"

#include "impl.hpp"

namespace gpoc::scheduler {

Result<std::unique_ptr<SimHost>> SimHost::open(SchedulerConfig config, const Clock& clock,
                                               Outbox outbox) {
  GPOC_ASSIGN_OR_RETURN(auto impl,
                        Scheduler::Impl::open(std::move(config), clock, /*threaded=*/false));
  // What the socket sets on every outgoing envelope; ids count up, so a run replays exactly.
  impl->outbox = [out = std::move(outbox), next_id = std::uint64_t{1}](
                     Side side, const std::string& peer, wire::Envelope env) mutable {
    if (env.version() == 0) env.set_version(transport::kProtocolVersion);
    if (env.message_id() == 0) env.set_message_id(next_id++);
    out(side == Side::workers, peer, transport::encode(env));
    return ok_status();
  };
  return std::unique_ptr<SimHost>(new SimHost(std::move(impl)));
}

SimHost::SimHost(std::unique_ptr<Scheduler::Impl> impl) : impl_(std::move(impl)) {}
SimHost::~SimHost() = default;

void SimHost::deliver(bool from_worker, const std::string& peer, ByteView frame) {
  Scheduler::Impl& s = *impl_;
  const Side side = from_worker ? Side::workers : Side::clients;
  Result<wire::Envelope> env = transport::decode(frame, s.cfg.limits.max_message_bytes);
  if (!env.ok()) {
    // What the socket does with a frame it cannot decode: an error reply, nothing else.
    const transport::FramePeek peek = transport::peek_frame(frame);
    if (peek.is_error) return;  // an error is never answered with another
    s.send_error(side, peer, peek.message_id, transport::to_wire_error(env.status()),
                 env.status().message());
    return;
  }
  transport::Incoming in{peer, std::move(env).value()};
  s.handle(side, in);
}

std::int64_t SimHost::tick() {
  std::int64_t next = impl_->turn(impl_->now());
  Status s = impl_->collect_commit();
  (void)s;  // collect_commit only reports a failed commit; complete_commit returns that
  return next;
}

Status SimHost::flush() { return impl_->flush(); }
std::int64_t SimHost::flush_due_ms() const { return impl_->flush_due_ms(); }
bool SimHost::commit_in_flight() const { return impl_->writer->busy(); }

Status SimHost::complete_commit() {
  impl_->writer->run_pending();
  return impl_->collect_commit();
}

const PublicKey& SimHost::pool_id() const { return impl_->pool_key.public_key(); }
const verifier::Engine& SimHost::engine() const { return *impl_->engine; }

}  // namespace gpoc::scheduler
