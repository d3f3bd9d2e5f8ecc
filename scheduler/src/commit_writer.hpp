// The ledger's one writer: group commit without stalling the event loop, pipelined in two
// stages on two threads. The writer thread writes each batch into the write-ahead log
// (Ledger::commit_unsynced); the sync thread makes what was written durable (Ledger::sync), one
// fdatasync for every batch written since the last one. So the next batch is being written while
// the previous one is synced, and the event loop keeps filling the batch after that. Replies that
// promise durability travel with their batch and come back, in order, only after its sync.
#pragma once

#include <cassert>
#include <condition_variable>
#include <deque>
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

  // `wake_endpoint`: an inproc PAIR the sync thread pings when batches become durable.
  CommitWriter(ledger::Ledger& ledger, zmq::context_t& ctx, const std::string& wake_endpoint)
      : ledger_(ledger),
        writer_([this] { write_loop(); }),
        syncer_([this, &ctx, wake_endpoint] { sync_loop(ctx, wake_endpoint); }) {}

  // Manual mode: no threads; run_pending() commits the submitted batch on the caller's thread.
  explicit CommitWriter(ledger::Ledger& ledger) : ledger_(ledger) {}

  ~CommitWriter() {
    if (!writer_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    writer_.join();
    syncer_.join();
  }

  CommitWriter(const CommitWriter&) = delete;
  CommitWriter& operator=(const CommitWriter&) = delete;

  // True while a submitted batch is waiting for the writer or being written. Batches being
  // synced do not count: the next one may be written meanwhile.
  bool busy() const {
    std::lock_guard lock(mu_);
    return pending_.has_value() || writing_;
  }

  // Only while !busy(): one batch waits for the writer at a time.
  void submit(ledger::Batch batch, std::vector<Reply> replies, std::vector<TaskId> finished) {
    {
      std::lock_guard lock(mu_);
      assert(!pending_.has_value() && "CommitWriter::submit while busy()");
      pending_.emplace(Job{std::move(batch), std::move(replies), std::move(finished)});
    }
    cv_.notify_all();
  }

  // The batches made durable (or failed) since the last call, oldest first.
  std::vector<Done> take() {
    std::lock_guard lock(mu_);
    std::vector<Done> out(std::make_move_iterator(done_.begin()),
                          std::make_move_iterator(done_.end()));
    done_.clear();
    return out;
  }

  // Manual mode: commits the submitted batch, if any, durably. Returns whether there was one.
  bool run_pending() {
    if (!pending_.has_value()) return false;
    Job job = std::move(*pending_);
    pending_.reset();
    Status s = job.batch.empty() ? ok_status() : ledger_.commit(std::move(job.batch)).status();
    done_.push_back(Done{s, std::move(job.replies), std::move(job.finished)});
    return true;
  }

  // Blocks until every submitted batch is durable (or failed); for shutdown.
  std::vector<Done> wait() {
    if (!writer_.joinable()) {
      run_pending();
      return take();
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock,
             [&] { return !pending_.has_value() && !writing_ && written_.empty() && !syncing_; });
    std::vector<Done> out(std::make_move_iterator(done_.begin()),
                          std::make_move_iterator(done_.end()));
    done_.clear();
    return out;
  }

 private:
  struct Job {
    ledger::Batch batch;
    std::vector<Reply> replies;
    std::vector<TaskId> finished;
  };
  struct Written {
    Done done;
    bool wrote = false;  // the batch changed the ledger, so its sync is due
  };

  void write_loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || pending_.has_value(); });
        if (!pending_.has_value()) return;  // stopping, nothing left to write
        job = std::move(*pending_);
        pending_.reset();
        writing_ = true;
      }
      const bool empty = job.batch.empty();
      // Once the ledger has failed, later batches are not written: they fail in order.
      Status s = failed_ ? failed_precondition("an earlier ledger write failed")
                 : empty ? ok_status()
                         : ledger_.commit_unsynced(std::move(job.batch)).status();
      if (!s.ok()) failed_ = true;
      const bool wrote = s.ok() && !empty;
      {
        std::lock_guard lock(mu_);
        written_.push_back(
            Written{Done{s, std::move(job.replies), std::move(job.finished)}, wrote});
        writing_ = false;
      }
      cv_.notify_all();
    }
  }

  void sync_loop(zmq::context_t& ctx, const std::string& wake_endpoint) {
    zmq::socket_t wake(ctx, zmq::socket_type::pair);
    wake.set(zmq::sockopt::linger, 0);
    wake.connect(wake_endpoint);
    for (;;) {
      std::deque<Written> group;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !written_.empty() || (stopping_ && writer_done()); });
        if (written_.empty()) return;  // stopping, and everything written is synced
        group.swap(written_);
        syncing_ = true;
      }
      // Everything in `group` was committed before this call: one fdatasync covers it all. A
      // group that wrote nothing (replies only) needs none: what came before it is durable.
      bool wrote = false;
      for (const Written& w : group) wrote = wrote || w.wrote;
      Status s = wrote ? ledger_.sync() : ok_status();
      {
        std::lock_guard lock(mu_);
        for (Written& w : group) {
          if (w.done.status.ok() && !s.ok()) w.done.status = s;
          done_.push_back(std::move(w.done));
        }
        syncing_ = false;
      }
      cv_.notify_all();
      wake.send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
    }
  }

  // Under mu_: the writer has nothing more to hand over.
  bool writer_done() const { return !pending_.has_value() && !writing_; }

  ledger::Ledger& ledger_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Job> pending_;   // submitted, not yet taken by the writer
  bool writing_ = false;         // the writer is committing a batch
  std::deque<Written> written_;  // committed, waiting for the sync thread
  bool syncing_ = false;         // the sync thread is in Ledger::sync
  std::deque<Done> done_;        // durable (or failed), waiting for take()
  bool stopping_ = false;
  bool failed_ = false;  // writer thread only
  std::thread writer_;
  std::thread syncer_;
};

}  // namespace gpoc::scheduler
