// What the scheduler sees for its SLAs, from its own observations only: when each worker was heard
// from (availability), how each finished task went (on-time completion, latency), and the
// burn-rate trackers that drain a worker whose error budget burns too fast. In memory: after a
// restart the time before it counts as unobserved (excluded), never as down.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gpoc/common/crypto.hpp"
#include "gpoc/sla/book.hpp"
#include "gpoc/sla/measure.hpp"
#include "gpoc/verifier/records.hpp"

namespace gpoc::scheduler {

struct SlaMeasurement {
  std::optional<std::int64_t> sli;  // nullopt: no data
  std::uint64_t good = 0;
  std::uint64_t total = 0;
  Digest32 evidence{};
};

class SlaMonitor {
 public:
  // started_ms: when observation began (earlier time is unobserved). A heartbeat at t vouches for
  // the worker being up until t + vouch_ms.
  SlaMonitor(PublicKey pool_id, std::int64_t started_ms, std::int64_t vouch_ms)
      : pool_(pool_id), started_ms_(started_ms), vouch_ms_(vouch_ms) {}

  void seen(const PublicKey& worker, std::int64_t now_ms);
  // A finished task (committed or failed); deadline_ms is its final deadline. Feeds the burn-rate
  // trackers of the book's on-time and latency SLAs.
  void task_finished(const verifier::TaskRecord& r, const std::string& kernel,
                     std::int64_t deadline_ms, const sla::Book& book);

  // The SLI of one SLA over [begin, end) as observed up to now (end is clipped to now).
  SlaMeasurement measure(const sla::SlaState& s, std::uint32_t period, std::int64_t begin,
                         std::int64_t end, std::int64_t now_ms) const;

  // Feeds the burn-rate trackers up to now and returns the workers whose fast-burn alert fires,
  // each with a reason for the logs and status.
  std::map<PublicKey, std::string> update_burn(const sla::Book& book, std::int64_t now_ms);
  struct Alert {
    PublicKey subject;  // a worker, or the pool id for the pool as a whole
    sla::BurnTracker::Firing firing;
  };
  std::vector<Alert> alerts(const sla::SlaId& id, std::int64_t now_ms) const;

  // Drops observations older than `before` (nothing an open period still needs).
  void prune(std::int64_t before_ms);

 private:
  struct TaskObs {
    TaskId id{};
    std::string kernel;
    std::int64_t finished_ms = 0;
    std::int64_t latency_ms = 0;  // submit -> commit
    bool completed = false;
    bool on_time = false;
    std::vector<std::pair<PublicKey, bool>> workers;  // contributor, won
  };
  // Whether a task counts for `provider` and, if so, whether it is good for on-time completion.
  std::optional<bool> on_time_verdict(const TaskObs& t, const sla::SlaSpec& s) const;
  std::vector<sla::Interval> down_intervals(const sla::SlaSpec& s, std::int64_t begin,
                                            std::int64_t end) const;
  std::vector<sla::Interval> worker_down(const PublicKey& w, std::int64_t begin,
                                         std::int64_t end) const;
  void feed_task(const sla::SlaState& s, const TaskObs& t);
  sla::BurnTracker* tracker(const sla::SlaState& s, const PublicKey& subject);

  PublicKey pool_;
  std::int64_t started_ms_;
  std::int64_t vouch_ms_;
  std::map<PublicKey, std::vector<sla::Interval>> up_;
  std::deque<TaskObs> tasks_;
  // Burn-rate state, per SLA and subject.
  std::map<std::pair<sla::SlaId, PublicKey>, sla::BurnTracker> trackers_;
  std::map<sla::SlaId, std::int64_t> fed_slices_until_;  // availability: slices fed so far
};

}  // namespace gpoc::scheduler
