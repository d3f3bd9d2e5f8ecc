#include "gpoc/host/worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>

#include "executor.hpp"
#include "gpoc/common/clock.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/host/operator_cert.hpp"
#include "gpoc/transport/chunks.hpp"
#include "gpoc/transport/envelope.hpp"

namespace gpoc::host {

Result<ByzantineMode> parse_byzantine_mode(std::string_view name) {
  for (ByzantineMode m :
       {ByzantineMode::none, ByzantineMode::wrong_output, ByzantineMode::copy_vote,
        ByzantineMode::no_reveal, ByzantineMode::fail, ByzantineMode::silent}) {
    if (byzantine_mode_name(m) == name) return m;
  }
  return invalid_argument("unknown byzantine mode '" + std::string(name) +
                          "' (none, wrong-output, copy-vote, no-reveal, fail, silent)");
}

std::string_view byzantine_mode_name(ByzantineMode m) {
  switch (m) {
    case ByzantineMode::none: return "none";
    case ByzantineMode::wrong_output: return "wrong-output";
    case ByzantineMode::copy_vote: return "copy-vote";
    case ByzantineMode::no_reveal: return "no-reveal";
    case ByzantineMode::fail: return "fail";
    case ByzantineMode::silent: return "silent";
  }
  return "unknown";
}

enum class Phase { hello_sent, register_sent, ready };

// Inputs up to this size run on the event loop's thread: the kernel takes microseconds, far less
// than waking the executor thread and being woken back.
constexpr std::size_t kInlineJobBytesMax = 16 * 1024;

struct KeptResult {
  Bytes output;
  Digest32 digest{};
};

struct Fetch {  // an input arriving in chunks
  Job job;
  std::unique_ptr<transport::ChunkAssembler> input;
};

struct Worker::Impl {
  explicit Impl(WorkerConfig c)
      : cfg(std::move(c)), dealer(ctx, cfg.limits), wake(ctx.raw(), zmq::socket_type::pair) {}

  WorkerConfig cfg;
  SecretKey key;
  std::optional<OperatorCertificate> operator_cert;
  std::unique_ptr<kernels::Backend> backend;
  std::string backend_reason;
  transport::Context ctx;
  transport::DealerSocket dealer;
  zmq::socket_t wake;
  std::unique_ptr<Executor> executor;
  Phase phase = Phase::hello_sent;
  std::int64_t phase_since_ms = 0, last_heard_ms = 0, last_heartbeat_ms = 0, retry_ms = 500;
  std::int64_t heartbeat_ms = 1000;
  std::uint32_t liveness = 3;
  PublicKey pool_id{};
  std::map<TaskId, KeptResult> results;
  std::deque<TaskId> result_order;
  std::uint64_t result_bytes = 0;
  std::map<TaskId, Fetch> fetching;
  WorkerStats stats;

  static std::int64_t now() { return monotonic_us() / 1000; }
  void send(wire::Envelope env) {
    Status s = dealer.send(std::move(env));
    if (!s.ok()) spdlog::warn("send to scheduler failed: {}", s.to_string());
  }
  void say_hello();
  void on_message(const wire::Envelope& env);
  void on_assignment(const wire::Assignment& a);
  void on_input_chunk(const wire::DataChunk& c);
  void on_done(Done& d);
  void reveal(const TaskId& id, bool upload);
  void upload(const TaskId& id);
  void keep(const TaskId& id, KeptResult r);
  void timers(std::int64_t now_ms);
};

void Worker::Impl::say_hello() {
  wire::Envelope env;
  env.mutable_hello()->set_worker_key(key.public_key().data(), 32);
  send(std::move(env));
  phase = Phase::hello_sent;
  phase_since_ms = now();
}

void Worker::Impl::keep(const TaskId& id, KeptResult r) {
  result_bytes += r.output.size();
  results[id] = std::move(r);
  result_order.push_back(id);
  while (result_order.size() > cfg.kept_results_max || result_bytes > cfg.kept_result_bytes_max) {
    auto it = results.find(result_order.front());
    if (it != results.end()) {
      result_bytes -= it->second.output.size();
      results.erase(it);
    }
    result_order.pop_front();
  }
}

static std::optional<TaskId> id_of(const std::string& s) { return fixed_bytes<32>(s); }

void Worker::Impl::on_assignment(const wire::Assignment& a) {
  if (cfg.byzantine == ByzantineMode::silent) return;
  auto spec = decode_task_spec(as_bytes(a.spec()));
  auto id = id_of(a.task_id());
  // The task id is the hash of the spec: a worker never runs a spec under another task's id.
  if (!spec.ok() || !id || task_id_of(as_bytes(a.spec())) != *id) {
    spdlog::warn("dropping malformed assignment");
    return;
  }
  Job job;
  job.task_id = *id;
  job.spec = std::move(*spec);
  job.pool_id = pool_id;
  if (a.input_inline()) {
    job.input.assign(a.input().begin(), a.input().end());
    if (job.input.size() <= kInlineJobBytesMax && cfg.delay_ms == 0 && executor->queued() == 0) {
      Done d = executor->run_inline(job);
      on_done(d);
      return;
    }
    executor->submit(std::move(job));
    return;
  }
  Fetch f;
  f.input = std::make_unique<transport::ChunkAssembler>(job.spec.input_bytes);
  f.job = std::move(job);
  fetching[*id] = std::move(f);
  wire::Envelope env;
  env.mutable_input_request()->set_task_id(id->data(), 32);
  env.mutable_input_request()->set_offset(0);
  env.mutable_input_request()->set_length(transport::kDefaultChunkBytes);
  send(std::move(env));
}

void Worker::Impl::on_input_chunk(const wire::DataChunk& c) {
  auto maybe_id = id_of(c.task_id());
  if (!maybe_id) return;
  TaskId id = *maybe_id;
  auto it = fetching.find(id);
  if (it == fetching.end()) return;
  auto added = it->second.input->add(c);
  if (!added.ok()) {
    spdlog::warn("input of task {} rejected: {}", to_hex(id).substr(0, 16),
                 added.status().to_string());
    fetching.erase(it);
    return;
  }
  if (*added) {
    it->second.job.input = it->second.input->take();
    executor->submit(std::move(it->second.job));
    fetching.erase(it);
    return;
  }
  wire::Envelope env;
  env.mutable_input_request()->set_task_id(id.data(), 32);
  env.mutable_input_request()->set_offset(it->second.input->received_bytes());
  env.mutable_input_request()->set_length(transport::kDefaultChunkBytes);
  send(std::move(env));
}

void Worker::Impl::on_done(Done& d) {
  wire::Envelope env;
  if (!d.ok) {
    ++stats.failed;
    spdlog::warn("task {} failed: {}", to_hex(d.task_id).substr(0, 16), d.error);
    auto* f = env.mutable_task_failure();
    f->set_task_id(d.task_id.data(), 32);
    f->set_reason(d.error);
    f->set_code(wire::ERROR_INVALID_INPUT);
    return send(std::move(env));
  }
  ++stats.executed;
  keep(d.task_id, KeptResult{std::move(d.output), d.digest});
  env.mutable_contribution()->set_statement(d.statement.data(), d.statement.size());
  env.mutable_contribution()->set_signature(d.signature.data(), d.signature.size());
  ++stats.contributions;
  send(std::move(env));
}

void Worker::Impl::upload(const TaskId& id) {
  auto it = results.find(id);
  if (it == results.end()) return;
  for (wire::DataChunk& c : transport::split_chunks(ByteView(id), it->second.output)) {
    wire::Envelope env;
    *env.mutable_output_chunk() = std::move(c);
    send(std::move(env));
  }
  ++stats.uploads;
}

void Worker::Impl::reveal(const TaskId& id, bool with_upload) {
  if (cfg.byzantine == ByzantineMode::no_reveal) return;
  auto it = results.find(id);
  if (it == results.end()) return;  // forgotten (restart or eviction): the scheduler times it out
  wire::Envelope env;
  env.mutable_reveal()->set_task_id(id.data(), 32);
  env.mutable_reveal()->set_digest(it->second.digest.data(), 32);
  send(std::move(env));
  ++stats.reveals;
  if (with_upload) upload(id);
}

void Worker::Impl::on_message(const wire::Envelope& env) {
  last_heard_ms = now();
  switch (env.body_case()) {
    case wire::Envelope::kChallenge: {
      const auto& c = env.challenge();
      if (c.pool_id().size() != 32 || c.challenge().size() != 32) return;
      RegisterStatement st;
      std::copy(c.pool_id().begin(), c.pool_id().end(), st.pool_id.begin());
      std::copy(c.challenge().begin(), c.challenge().end(), st.challenge.begin());
      st.worker_key = key.public_key();
      st.exec_class = backend->execution_class();
      pool_id = st.pool_id;
      Bytes bytes = encode_register(st);
      Signature sig = key.sign(bytes);
      wire::Envelope out;
      auto* r = out.mutable_register_();
      r->set_statement(bytes.data(), bytes.size());
      r->set_signature(sig.data(), sig.size());
      kernels::DeviceDescription dev = backend->device();
      r->mutable_device()->set_backend(dev.backend);
      r->mutable_device()->set_name(dev.name);
      r->mutable_device()->set_memory_bytes(dev.memory_bytes);
      r->mutable_device()->set_compute_capability(dev.compute_capability);
      r->mutable_device()->set_count(dev.count);
      for (const auto& k : kernels::kernel_catalog()) {
        // A CUDA worker without cuBLAS cannot run gemm_f32: it must not be assigned one.
        if (backend->supports(k.id, k.version))
          r->add_kernels(k.id + "@" + std::to_string(k.version));
      }
      r->set_slots(cfg.slots);
      if (operator_cert) {
        r->set_operator_key(operator_cert->operator_key.data(), 32);
        r->set_operator_signature(operator_cert->signature.data(), 64);
      }
      send(std::move(out));
      phase = Phase::register_sent;
      phase_since_ms = now();
      return;
    }
    case wire::Envelope::kRegistered:
      phase = Phase::ready;
      heartbeat_ms = std::max<std::int64_t>(env.registered().heartbeat_interval_ms(), 50);
      liveness = std::max<std::uint32_t>(env.registered().heartbeat_liveness(), 2);
      retry_ms = 500;
      ++stats.registrations;
      spdlog::info("registered with pool {} (score {})", to_hex(pool_id).substr(0, 16),
                   env.registered().score());
      return;
    case wire::Envelope::kAssignment: return on_assignment(env.assignment());
    case wire::Envelope::kInputChunk: return on_input_chunk(env.input_chunk());
    case wire::Envelope::kRevealRequest:
      if (auto id = id_of(env.reveal_request().task_id()))
        reveal(*id, env.reveal_request().upload());
      return;
    case wire::Envelope::kUploadRequest:
      if (auto id = id_of(env.upload_request().task_id())) upload(*id);
      return;
    case wire::Envelope::kAbort:
      if (auto id = id_of(env.abort().task_id())) {
        executor->cancel(*id);
        fetching.erase(*id);
      }
      return;
    case wire::Envelope::kError:
      if (env.error().code() == wire::ERROR_NOT_REGISTERED && phase == Phase::ready) {
        spdlog::info("scheduler no longer knows this worker; registering again");
        say_hello();
      } else if (phase != Phase::ready) {
        spdlog::warn("registration refused: {}", env.error().message());
      } else {
        spdlog::debug("scheduler error: {}", env.error().message());
      }
      return;
    default: return;  // heartbeats and acks only prove the scheduler is alive
  }
}

void Worker::Impl::timers(std::int64_t now_ms) {
  if (phase != Phase::ready) {
    if (now_ms - phase_since_ms >= std::max(cfg.register_timeout_ms, retry_ms)) {
      spdlog::info("no answer from the scheduler at {}; retrying", cfg.scheduler_endpoint);
      (void)dealer.reconnect();
      retry_ms = std::min<std::int64_t>(retry_ms * 2, 5000);
      say_hello();
    }
    return;
  }
  if (now_ms - last_heard_ms > heartbeat_ms * liveness) {
    spdlog::warn("scheduler silent for {} ms; reconnecting", now_ms - last_heard_ms);
    (void)dealer.reconnect();
    fetching.clear();
    say_hello();
    return;
  }
  if (now_ms - last_heartbeat_ms >= heartbeat_ms) {
    wire::Envelope hb;
    hb.mutable_heartbeat()->set_running(static_cast<std::uint32_t>(executor->queued()));
    hb.mutable_heartbeat()->set_completed(stats.executed);
    send(std::move(hb));
    last_heartbeat_ms = now_ms;
  }
}

Result<std::unique_ptr<Worker>> Worker::create(WorkerConfig config) {
  if (config.scheduler_endpoint.empty())
    return invalid_argument("a scheduler endpoint is required");
  auto impl = std::make_unique<Impl>(std::move(config));
  bool created = false;
  GPOC_ASSIGN_OR_RETURN(impl->key, load_or_create_key_file(impl->cfg.key_file, &created));
  if (created) spdlog::info("created worker key {}", impl->cfg.key_file.string());
  if (!impl->cfg.operator_cert_file.empty()) {
    const std::string file = impl->cfg.operator_cert_file.string();
    GPOC_ASSIGN_OR_RETURN(auto cert, read_operator_certificate(impl->cfg.operator_cert_file));
    GPOC_RETURN_IF_ERROR(
        check_operator_certificate(cert, impl->key.public_key())
            .with_context(file + " (worker key " + impl->cfg.key_file.string() + ")"));
    spdlog::info("operator {} certifies this worker", to_hex(cert.operator_key).substr(0, 16));
    impl->operator_cert = cert;
  }
  impl->backend = kernels::make_backend(impl->cfg.force_cpu, &impl->backend_reason);
  GPOC_RETURN_IF_ERROR(impl->dealer.status());
  GPOC_RETURN_IF_ERROR(impl->dealer.connect(impl->cfg.scheduler_endpoint));
  std::string wake_ep =
      "inproc://gpoc-worker-wake-" + std::to_string(reinterpret_cast<std::uintptr_t>(impl.get()));
  impl->wake.set(zmq::sockopt::linger, 0);
  impl->wake.bind(wake_ep);
  impl->executor = std::make_unique<Executor>(impl->ctx.raw(), wake_ep, *impl->backend, impl->key,
                                              impl->cfg.byzantine, impl->cfg.delay_ms);
  return std::unique_ptr<Worker>(new Worker(std::move(impl)));
}

Worker::Worker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Worker::~Worker() = default;
const PublicKey& Worker::key() const { return impl_->key.public_key(); }
const std::string& Worker::backend_description() const { return impl_->backend_reason; }
WorkerStats Worker::stats() const { return impl_->stats; }

Status Worker::run(const std::atomic<bool>& stop) {
  Impl& w = *impl_;
  spdlog::info("worker {} ({}), scheduler {}", to_hex(w.key.public_key()).substr(0, 16),
               w.backend_reason, w.cfg.scheduler_endpoint);
  w.say_hello();
  zmq::socket_t* socks[] = {&w.dealer.raw(), &w.wake};
  while (!stop.load(std::memory_order_relaxed)) {
    GPOC_ASSIGN_OR_RETURN(auto ready, transport::poll_readable(socks, 20));
    for (std::size_t idx : ready) {
      if (idx == 1) {
        zmq::message_t m;
        while (w.wake.recv(m, zmq::recv_flags::dontwait)) {}
        continue;
      }
      for (int n = 0; n < 512; ++n) {
        GPOC_ASSIGN_OR_RETURN(auto env, w.dealer.recv(0));
        if (!env) break;
        w.on_message(*env);
      }
    }
    for (Done& d : w.executor->take_done()) w.on_done(d);
    w.timers(Impl::now());
  }
  return ok_status();
}

}  // namespace gpoc::host
