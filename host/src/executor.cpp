#include "executor.hpp"

#include <sodium.h>

#include <chrono>

#include "gpoc/common/merkle.hpp"

namespace gpoc::host {

Executor::Executor(zmq::context_t& ctx, const std::string& wake_endpoint, kernels::Backend& backend,
                   const SecretKey& key, ByzantineMode mode, std::int64_t delay_ms)
    : backend_(backend), key_(key), mode_(mode), delay_ms_(delay_ms) {
  thread_ = std::thread([this, &ctx, wake_endpoint] { loop(ctx, wake_endpoint); });
}

Executor::~Executor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Executor::submit(Job job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Executor::cancel(const TaskId& id) {
  std::lock_guard lock(mu_);
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
    if (it->task_id == id) {
      jobs_.erase(it);
      return;
    }
  }
  cancelled_.insert(id);  // running now: its result is dropped when it finishes
}

std::deque<Done> Executor::take_done() {
  std::lock_guard lock(mu_);
  std::deque<Done> out;
  out.swap(done_);
  return out;
}

std::size_t Executor::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void Executor::loop(zmq::context_t& ctx, std::string wake_endpoint) {
  zmq::socket_t wake(ctx, zmq::socket_type::pair);
  wake.set(zmq::sockopt::linger, 0);
  wake.connect(wake_endpoint);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Done d = execute(job);
    {
      std::lock_guard lock(mu_);
      if (cancelled_.erase(job.task_id) != 0) continue;
      done_.push_back(std::move(d));
    }
    wake.send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
  }
}

Done Executor::execute(const Job& job) {
  Done d;
  d.task_id = job.task_id;
  if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
  if (mode_ == ByzantineMode::fail) {
    d.error = "byzantine test mode: reporting failure";
    return d;
  }
  auto out = backend_.run(job.spec.kernel_id, job.spec.kernel_version, job.spec.params, job.input);
  if (!out.ok()) {
    d.error = out.status().to_string();
    return d;
  }
  d.output = std::move(out->data);
  d.digest = out->digest;
  if (mode_ == ByzantineMode::wrong_output) {
    if (d.output.empty()) d.output.push_back(0x5a);
    d.output[0] ^= 0xff;
    d.digest = result_digest(d.output);
  }
  ContributionStatement c;
  c.pool_id = job.pool_id;
  c.task_id = job.task_id;
  c.worker_key = key_.public_key();
  c.result_hash = result_hash(job.task_id, d.digest);
  c.result_seal = result_seal(c.worker_key, job.task_id, d.digest);
  if (mode_ == ByzantineMode::copy_vote)
    randombytes_buf(c.result_seal.data(), c.result_seal.size());
  c.output_bytes = d.output.size();
  c.exec_class = backend_.execution_class();
  d.statement = encode_contribution(c);
  d.signature = key_.sign(d.statement);
  d.ok = true;
  return d;
}

}  // namespace gpoc::host
