// The ledger's one writer, on its own thread: group commit without stalling the event loop.
// While one batch is being made durable (fsync), the loop keeps handling messages and fills the
// next batch. Replies that promise durability travel with their batch and are sent only after
// it commits.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "gpoc/ledger/ledger.hpp"

namespace gpoc::scheduler {

template <typename Reply>
class CommitWriter {
 public:
  struct Done {
    Status status;
    std::vector<Reply> replies;
    std::vector<TaskId> finished;
  };

  CommitWriter(ledger::Ledger& ledger, zmq::context_t& ctx, const std::string& wake_endpoint)
      : ledger_(ledger), thread_([this, &ctx, wake_endpoint] { loop(ctx, wake_endpoint); }) {}

  // Manual mode: no thread; run_pending() commits the submitted batch on the caller's thread.
  explicit CommitWriter(ledger::Ledger& ledger) : ledger_(ledger) {}

  ~CommitWriter() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  CommitWriter(const CommitWriter&) = delete;
  CommitWriter& operator=(const CommitWriter&) = delete;

  // True while a batch is queued or being committed, until its Done has been taken.
  bool busy() const {
    std::lock_guard lock(mu_);
    return pending_.has_value() || done_.has_value();
  }

  void submit(ledger::Batch batch, std::vector<Reply> replies, std::vector<TaskId> finished) {
    {
      std::lock_guard lock(mu_);
      pending_.emplace(Job{std::move(batch), std::move(replies), std::move(finished)});
    }
    cv_.notify_one();
  }

  std::optional<Done> take() {
    std::lock_guard lock(mu_);
    std::optional<Done> out = std::move(done_);
    done_.reset();
    return out;
  }

  // Manual mode: commits the submitted batch, if any. Returns whether there was one.
  bool run_pending() {
    if (!pending_.has_value() || done_.has_value()) return false;
    Job job = std::move(*pending_);
    pending_.reset();
    Status s = job.batch.empty() ? ok_status() : ledger_.commit(std::move(job.batch)).status();
    done_.emplace(Done{s, std::move(job.replies), std::move(job.finished)});
    return true;
  }

  // Blocks until the batch in flight (if any) is committed; for shutdown.
  std::optional<Done> wait() {
    if (!thread_.joinable()) run_pending();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !pending_.has_value(); });
    std::optional<Done> out = std::move(done_);
    done_.reset();
    return out;
  }

 private:
  struct Job {
    ledger::Batch batch;
    std::vector<Reply> replies;
    std::vector<TaskId> finished;
  };

  void loop(zmq::context_t& ctx, const std::string& wake_endpoint) {
    zmq::socket_t wake(ctx, zmq::socket_type::pair);
    wake.set(zmq::sockopt::linger, 0);
    wake.connect(wake_endpoint);
    for (;;) {
      std::optional<Job> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
          return stopping_ || (pending_.has_value() && !done_.has_value() && !working_);
        });
        if (stopping_ && !pending_.has_value()) return;
        job = std::move(pending_);
        working_ = true;
      }
      Status s = job->batch.empty() ? ok_status() : ledger_.commit(std::move(job->batch)).status();
      {
        std::lock_guard lock(mu_);
        done_.emplace(Done{s, std::move(job->replies), std::move(job->finished)});
        pending_.reset();
        working_ = false;
      }
      cv_.notify_all();
      wake.send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
    }
  }

  ledger::Ledger& ledger_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Job> pending_;
  std::optional<Done> done_;
  bool working_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gpoc::scheduler
