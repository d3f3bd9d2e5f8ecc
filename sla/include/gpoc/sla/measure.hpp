// Measuring SLIs from what the scheduler observed itself (never from the provider's reports), and
// the error budget with multiwindow burn-rate alerts. Pure functions over observations; the
// scheduler's monitor feeds them. Times are Unix milliseconds; intervals are [begin, end).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/sla/spec.hpp"

namespace gpoc::sla {

struct Interval {
  std::int64_t begin_ms = 0;
  std::int64_t end_ms = 0;  // an outage still open is passed with end_ms = the time of measurement
  bool operator==(const Interval&) const = default;
};

// Sorts, clips to [begin, end) and merges overlapping or touching intervals; drops empty ones.
std::vector<Interval> clip_and_merge(std::vector<Interval> in, std::int64_t begin,
                                     std::int64_t end);

// Where fewer than `min_up` of the given workers were up, within [begin, end). `up[w]` lists the
// intervals worker w was up (any order, may overlap). Workers never seen contribute nothing.
std::vector<Interval> below_quorum(const std::vector<std::vector<Interval>>& up,
                                   std::uint32_t min_up, std::int64_t begin, std::int64_t end);

// ---- availability: time slices ----------------------------------------------------------------
struct SliceCount {
  std::uint64_t good = 0;
  std::uint64_t bad = 0;       // down for the whole slice
  std::uint64_t excluded = 0;  // overlapping declared maintenance, or not observed at all
  bool operator==(const SliceCount&) const = default;
};
// Slices of `slice_ms` from `begin` up to `end` (a partial last slice is dropped). A slice is bad
// when `down` covers all of it, excluded when it overlaps `maintenance` or `unobserved` (e.g. the
// scheduler itself was not running), good otherwise. Inputs need not be merged or clipped.
SliceCount count_slices(std::int64_t begin, std::int64_t end, std::int64_t slice_ms,
                        const std::vector<Interval>& down, const std::vector<Interval>& maintenance,
                        const std::vector<Interval>& unobserved);
// good * kRatioScale / total, floored (128-bit intermediate); nullopt when total is 0. good must
// not exceed total.
std::optional<std::int64_t> ratio_sli(std::uint64_t good, std::uint64_t total);

// ---- latency: histogram with buckets at the thresholds ----------------------------------------
// Bucket i counts values <= bounds[i] (and > bounds[i-1]); one more bucket counts the rest. The SLO
// target is always one of the bounds, so "p99 <= target" is decided exactly by the counts.
class LatencyHistogram {
 public:
  // bounds: positive, at least one; the constructor sorts them and drops duplicates.
  // default_bounds(target) gives 1, 2, 5, 10, ... 60 000 ms plus the target (positive). A negative
  // value (a clock step) counts in the first bucket.
  explicit LatencyHistogram(std::vector<std::int64_t> bounds);
  static std::vector<std::int64_t> default_bounds(std::int64_t target_ms);
  void add(std::int64_t ms);
  std::uint64_t total() const { return total_; }
  std::uint64_t at_most(std::int64_t bound) const;  // bound must be one of the bounds
  // The q-quantile (q in per-mille, 1..999) reported as the upper bound of the bucket holding
  // the ceil(q * total / 1000)-th smallest value; the largest value seen when that is past the
  // last bound. nullopt when empty.
  std::optional<std::int64_t> quantile(std::uint32_t per_mille) const;
  const std::vector<std::int64_t>& bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // bounds.size() + 1
  std::int64_t max_seen() const { return max_; }

 private:
  std::vector<std::int64_t> bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::int64_t max_ = 0;
};

// ---- evidence ----------------------------------------------------------------------------------
// The canonical bytes a period's SLI was computed from, hashed into the ledger's settle entry:
// availability: the merged down intervals, the excluded intervals and the slice counts; on-time:
// each task id with its verdict; latency: the bucket bounds and counts. Anyone holding the same
// observations recomputes the same hash.
//
// Layout (little-endian, packed; docs/PROTOCOL.md "SLA evidence"):
//   "gpoc.sla.evidence.v1" (20 bytes, no length)  sla_id (32)  period u32
//   then one section per call, in call order, each opening with its type byte:
//   0x01 intervals  label_len u8, label bytes, count u32, count x (begin_ms i64, end_ms i64)
//   0x02 task       task_id (32), good u8 (0 or 1)
//   0x03 histogram  n u32 (bounds), n x bound i64, (n + 1) x count u64, max_seen i64
//   0x04 counts     good u64, total u64
// An i64 is written as its two's-complement u64. Intervals are written as given: pass them merged
// (clip_and_merge) so equal observations give equal bytes.
inline constexpr std::string_view kEvidenceTag = "gpoc.sla.evidence.v1";
class Evidence {
 public:
  explicit Evidence(const SlaId& id, std::uint32_t period);
  void intervals(std::string_view label, const std::vector<Interval>& v);  // label <= 255 bytes
  void task(const Digest32& task_id, bool good);
  void histogram(const LatencyHistogram& h);
  void counts(std::uint64_t good, std::uint64_t total);
  const Bytes& bytes() const { return w_.bytes(); }
  Digest32 hash() const { return sha256(w_.bytes()); }

 private:
  ByteWriter w_;
};

// ---- error budget and burn-rate alerts (Google SRE workbook, sloth) ----------------------------
// Budget = 1 - target over the period. Burn rate over a window = bad fraction in the window /
// (1 - target). Four alerts; the windows are those of a 30-day SLO (1h/5m, 6h/30m, 1d/2h, 3d/6h)
// scaled to the SLA's period length (floored to the millisecond), never shorter than one slice,
// and the long window never shorter than the short one. The factors do not scale: a factor is
// budget share x period / long window, and both scale together.
enum class AlertSeverity : std::uint8_t { page = 1, ticket = 2 };
struct BurnAlert {
  std::string_view name;  // "fast-page", "slow-page", "fast-ticket", "slow-ticket"
  AlertSeverity severity = AlertSeverity::page;
  std::uint32_t factor_x10 = 0;  // 144, 60, 30, 10
  std::int64_t long_ms = 0;
  std::int64_t short_ms = 0;
};
std::array<BurnAlert, 4> burn_alerts(std::int64_t period_ms, std::int64_t slice_ms);

// Events of one SLI for one provider, as (time, good, bad) counts: one per slice for availability,
// one per task for on-time completion and latency.
//
// Memory is bounded: events are summed into buckets of resolution_ms() (about the shortest window
// / 60, at least 1 ms, a divisor of the slice where one is close), each bucket timed at its start
// (a multiple of resolution_ms() since the epoch). Window edges are therefore exact to within one
// bucket, and exact for events at slice starts when the period starts on a multiple of the slice.
// Buckets are kept for the longer of the period and the longest alert window, so budget_left_ppm
// can answer for the whole period: at most keep_ms() / resolution_ms() + 1 buckets (about 520 000
// for a 30-day period, 43 200 when events come once a 1-minute slice).
class BurnTracker {
 public:
  // budget_ppm: the error budget in parts per million (1 - target), 1..1 000 000.
  BurnTracker(std::uint32_t budget_ppm, std::int64_t period_ms, std::int64_t slice_ms);
  // Events may arrive out of order; one older than the kept span (behind the latest event seen by
  // keep_ms() or more) is dropped.
  void add(std::int64_t at_ms, std::uint64_t good, std::uint64_t bad);
  struct Firing {
    std::string_view name;
    AlertSeverity severity;
    // burn rates x1000 over the long and short windows
    std::uint64_t long_burn_x1000 = 0, short_burn_x1000 = 0;
  };
  // Alerts whose long AND short windows, (now - window, now], both hold events and both burn
  // faster than the factor (strictly; compared exactly, not through the rounded x1000 figures).
  std::vector<Firing> firing(std::int64_t now_ms) const;
  bool fast_burn(std::int64_t now_ms) const;  // the 14.4x page alert fires
  // Budget left in the window [begin, now]: (budget * total - bad) / (budget * total) in ppm of
  // the budget, floored, may be negative when it is overspent; nullopt with no events. Only the
  // kept span is counted (begin earlier than that counts from the oldest bucket kept).
  std::optional<std::int64_t> budget_left_ppm(std::int64_t begin_ms, std::int64_t now_ms) const;
  const std::array<BurnAlert, 4>& alerts() const { return alerts_; }
  // Events (good + bad) in (since, now]: a minimum-volume guard for acting on an alert.
  std::uint64_t events(std::int64_t since_ms, std::int64_t now_ms) const;
  std::int64_t keep_ms() const { return keep_ms_; }
  std::int64_t resolution_ms() const { return resolution_ms_; }
  std::size_t buckets() const { return events_.size(); }

 private:
  struct Event {
    std::int64_t at_ms;
    std::uint64_t good, bad;
  };
  std::uint32_t budget_ppm_;
  std::array<BurnAlert, 4> alerts_;
  std::int64_t keep_ms_;
  std::int64_t resolution_ms_;
  std::int64_t latest_ms_ = 0;
  std::deque<Event> events_;  // sorted by at_ms, one per bucket
};

// The error budget of an SLA in ppm of the SLI's scale: 1 - target for ratio SLIs with >= or >
// objectives (target 99900 -> 1000 ppm), 1 - quantile for latency SLIs with <= or < objectives
// (p99 -> 10000 ppm); nullopt for objectives without a budget (==, !=, ratio <= ...) and for a
// zero budget (a 100% target), where no burn rate can be computed.
std::optional<std::uint32_t> budget_ppm(const SlaSpec& s);

}  // namespace gpoc::sla
