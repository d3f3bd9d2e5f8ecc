#include "gpoc/sla/measure.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace gpoc::sla {
namespace {

__extension__ using u128 = unsigned __int128;  // GCC and Clang on 64-bit targets
__extension__ using i128 = __int128;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kThirtyDaysMs = 30 * kDayMs;
constexpr std::uint64_t kPpm = 1'000'000;

// Floor and ceiling division for a positive divisor (C++ rounds toward zero).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  assert(b > 0);
  std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  assert(b > 0);
  std::int64_t q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}

std::uint64_t saturate_u64(u128 v) {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  return v > kMax ? kMax : static_cast<std::uint64_t>(v);
}

// Local copies of spec.hpp's SLI classification, so measurement does not wait on spec.cpp; they
// must agree with is_ratio, is_latency and latency_quantile_per_mille there.
bool sli_is_ratio(Sli s) { return s == Sli::availability || s == Sli::on_time; }
std::optional<std::uint32_t> sli_quantile_per_mille(Sli s) {
  switch (s) {
    case Sli::latency_p50: return 500;
    case Sli::latency_p95: return 950;
    case Sli::latency_p99: return 990;
    case Sli::availability:
    case Sli::on_time: return std::nullopt;
  }
  return std::nullopt;
}

// Half-open ranges of slice indices, [first, last).
struct IndexRange {
  std::int64_t first;
  std::int64_t last;
};

// Slices wholly inside merged (disjoint, non-touching) intervals: two such intervals never cover
// one slice together, so each slice counted here is covered by a single interval.
std::vector<IndexRange> covered_slices(const std::vector<Interval>& merged, std::int64_t begin,
                                       std::int64_t slice_ms) {
  std::vector<IndexRange> out;
  for (const Interval& iv : merged) {
    std::int64_t first = ceil_div(iv.begin_ms - begin, slice_ms);
    std::int64_t last = floor_div(iv.end_ms - begin, slice_ms);
    if (last > first) out.push_back({first, last});
  }
  return out;
}

// Slices touched by merged intervals, merged into disjoint ranges (two intervals may touch one
// slice).
std::vector<IndexRange> touched_slices(const std::vector<Interval>& merged, std::int64_t begin,
                                       std::int64_t slice_ms) {
  std::vector<IndexRange> out;
  for (const Interval& iv : merged) {
    IndexRange r{floor_div(iv.begin_ms - begin, slice_ms), ceil_div(iv.end_ms - begin, slice_ms)};
    if (!out.empty() && r.first <= out.back().last) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::int64_t total_length(const std::vector<IndexRange>& v) {
  std::int64_t n = 0;
  for (const IndexRange& r : v) n += r.last - r.first;
  return n;
}

// Size of the intersection of two sorted lists of disjoint ranges.
std::int64_t overlap_length(const std::vector<IndexRange>& a, const std::vector<IndexRange>& b) {
  std::int64_t n = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    std::int64_t lo = std::max(a[i].first, b[j].first);
    std::int64_t hi = std::min(a[i].last, b[j].last);
    if (hi > lo) n += hi - lo;
    if (a[i].last < b[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
  return n;
}

void write_i64(ByteWriter& w, std::int64_t v) { w.u64(static_cast<std::uint64_t>(v)); }

enum class Section : std::uint8_t { intervals = 1, task = 2, histogram = 3, counts = 4 };

// The workbook's 30-day windows, in the order of burn_alerts().
struct BaseAlert {
  std::string_view name;
  AlertSeverity severity;
  std::uint32_t factor_x10;
  std::int64_t long_ms;
  std::int64_t short_ms;
};
constexpr std::array<BaseAlert, 4> kBaseAlerts{{
    {"fast-page", AlertSeverity::page, 144, 1 * kHourMs, 5 * kMinuteMs},
    {"slow-page", AlertSeverity::page, 60, 6 * kHourMs, 30 * kMinuteMs},
    {"fast-ticket", AlertSeverity::ticket, 30, 1 * kDayMs, 2 * kHourMs},
    {"slow-ticket", AlertSeverity::ticket, 10, 3 * kDayMs, 6 * kHourMs},
}};

std::int64_t scale_window(std::int64_t base_ms, std::int64_t period_ms) {
  i128 scaled = static_cast<i128>(base_ms) * period_ms / kThirtyDaysMs;
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  return scaled > kMax ? kMax : static_cast<std::int64_t>(scaled);
}

// The tracker's bucket width: about a sixtieth of the shortest window, so window edges are exact
// to well within it and the bucket count is bounded by the period, not the traffic. It is taken as
// a divisor of the slice where one is near enough, so that events at slice starts land on bucket
// starts and window edges stay exact for them.
std::int64_t bucket_resolution(std::int64_t slice_ms, std::int64_t shortest_window_ms) {
  const std::int64_t cap = std::max<std::int64_t>(1, shortest_window_ms / 60);
  if (slice_ms <= cap) return slice_ms;
  std::int64_t best = 1;
  for (std::int64_t d = 1; d * d <= slice_ms; ++d) {
    if (slice_ms % d != 0) continue;
    if (d <= cap) best = std::max(best, d);
    if (slice_ms / d <= cap) best = std::max(best, slice_ms / d);
  }
  return best * 2 >= cap ? best : cap;  // a slice with few divisors: keep the bound instead
}

}  // namespace

// ---- intervals ---------------------------------------------------------------------------------

std::vector<Interval> clip_and_merge(std::vector<Interval> in, std::int64_t begin,
                                     std::int64_t end) {
  std::vector<Interval> out;
  if (end <= begin) return out;
  std::sort(in.begin(), in.end(),
            [](const Interval& a, const Interval& b) { return a.begin_ms < b.begin_ms; });
  for (Interval iv : in) {
    iv.begin_ms = std::max(iv.begin_ms, begin);
    iv.end_ms = std::min(iv.end_ms, end);
    if (iv.end_ms <= iv.begin_ms) continue;
    if (!out.empty() && iv.begin_ms <= out.back().end_ms) {
      out.back().end_ms = std::max(out.back().end_ms, iv.end_ms);
    } else {
      out.push_back(iv);
    }
  }
  return out;
}

std::vector<Interval> below_quorum(const std::vector<std::vector<Interval>>& up,
                                   std::uint32_t min_up, std::int64_t begin, std::int64_t end) {
  std::vector<Interval> out;
  if (end <= begin || min_up == 0) return out;
  // +1 where a worker comes up, -1 where it goes down; a worker's own intervals are merged first
  // so that it is never counted twice.
  std::vector<std::pair<std::int64_t, std::int64_t>> edges;
  for (const auto& worker : up) {
    for (const Interval& iv : clip_and_merge(worker, begin, end)) {
      edges.emplace_back(iv.begin_ms, +1);
      edges.emplace_back(iv.end_ms, -1);
    }
  }
  std::sort(edges.begin(), edges.end());
  auto emit = [&out, min_up](std::int64_t from, std::int64_t to, std::int64_t count) {
    if (to <= from || count >= static_cast<std::int64_t>(min_up)) return;
    if (!out.empty() && out.back().end_ms == from) {
      out.back().end_ms = to;
    } else {
      out.push_back({from, to});
    }
  };
  std::int64_t count = 0;
  std::int64_t at = begin;
  for (std::size_t i = 0; i < edges.size();) {
    std::int64_t t = edges[i].first;
    emit(at, t, count);
    // Every edge at t applies before the next segment; a hand-over (one worker down, another up
    // at t) leaves no zero-length gap, since emit skips empty segments.
    for (; i < edges.size() && edges[i].first == t; ++i) count += edges[i].second;
    at = t;
  }
  emit(at, end, count);
  return out;
}

// ---- time slices -------------------------------------------------------------------------------

SliceCount count_slices(std::int64_t begin, std::int64_t end, std::int64_t slice_ms,
                        const std::vector<Interval>& down, const std::vector<Interval>& maintenance,
                        const std::vector<Interval>& unobserved) {
  assert(slice_ms > 0);
  SliceCount c;
  if (end <= begin) return c;
  const std::int64_t slices = (end - begin) / slice_ms;
  const std::int64_t span_end = begin + slices * slice_ms;  // the partial last slice is dropped

  std::vector<IndexRange> bad =
      covered_slices(clip_and_merge(down, begin, span_end), begin, slice_ms);
  std::vector<Interval> exclusions = maintenance;
  exclusions.insert(exclusions.end(), unobserved.begin(), unobserved.end());
  std::vector<IndexRange> excluded =
      touched_slices(clip_and_merge(std::move(exclusions), begin, span_end), begin, slice_ms);

  // Exclusion wins over bad: a declared maintenance window is not an outage.
  const std::int64_t n_excluded = total_length(excluded);
  const std::int64_t n_bad = total_length(bad) - overlap_length(bad, excluded);
  c.excluded = static_cast<std::uint64_t>(n_excluded);
  c.bad = static_cast<std::uint64_t>(n_bad);
  c.good = static_cast<std::uint64_t>(slices - n_excluded - n_bad);
  return c;
}

std::optional<std::int64_t> ratio_sli(std::uint64_t good, std::uint64_t total) {
  assert(good <= total);
  if (total == 0) return std::nullopt;
  return static_cast<std::int64_t>(static_cast<u128>(good) * kRatioScale / total);
}

// ---- latency histogram -------------------------------------------------------------------------

LatencyHistogram::LatencyHistogram(std::vector<std::int64_t> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  assert(!bounds_.empty() && bounds_.front() > 0 && "histogram bounds must be positive");
  counts_.assign(bounds_.size() + 1, 0);
}

std::vector<std::int64_t> LatencyHistogram::default_bounds(std::int64_t target_ms) {
  assert(target_ms > 0);
  std::vector<std::int64_t> b{1,   2,    5,    10,   20,    50,    100,  200,
                              500, 1000, 2000, 5000, 10000, 20000, 60000};
  b.push_back(target_ms);
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return b;
}

void LatencyHistogram::add(std::int64_t ms) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), ms);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  if (total_ == 0 || ms > max_) max_ = ms;
  ++total_;
}

std::uint64_t LatencyHistogram::at_most(std::int64_t bound) const {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), bound);
  assert(it != bounds_.end() && *it == bound && "at_most takes one of the histogram's bounds");
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= static_cast<std::size_t>(it - bounds_.begin()); ++i) {
    n += counts_[i];
  }
  return n;
}

std::optional<std::int64_t> LatencyHistogram::quantile(std::uint32_t per_mille) const {
  assert(per_mille >= 1 && per_mille <= 999);
  if (total_ == 0) return std::nullopt;
  u128 rank = (static_cast<u128>(per_mille) * total_ + 999) / 1000;
  if (rank == 0) rank = 1;
  u128 seen = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return bounds_[i];
  }
  return max_;
}

// ---- evidence ----------------------------------------------------------------------------------

Evidence::Evidence(const SlaId& id, std::uint32_t period) {
  w_.raw(kEvidenceTag);
  w_.raw(id);
  w_.u32(period);
}

void Evidence::intervals(std::string_view label, const std::vector<Interval>& v) {
  assert(label.size() <= 255 && "the evidence layout stores the label length in one byte");
  assert(v.size() <= std::numeric_limits<std::uint32_t>::max());
  w_.u8(static_cast<std::uint8_t>(Section::intervals));
  w_.u8(static_cast<std::uint8_t>(label.size()));
  w_.raw(label);
  w_.u32(static_cast<std::uint32_t>(v.size()));
  for (const Interval& iv : v) {
    write_i64(w_, iv.begin_ms);
    write_i64(w_, iv.end_ms);
  }
}

void Evidence::task(const Digest32& task_id, bool good) {
  w_.u8(static_cast<std::uint8_t>(Section::task));
  w_.raw(task_id);
  w_.u8(good ? 1 : 0);
}

void Evidence::histogram(const LatencyHistogram& h) {
  w_.u8(static_cast<std::uint8_t>(Section::histogram));
  w_.u32(static_cast<std::uint32_t>(h.bounds().size()));
  for (std::int64_t b : h.bounds()) write_i64(w_, b);
  for (std::uint64_t c : h.counts()) w_.u64(c);
  write_i64(w_, h.max_seen());
}

void Evidence::counts(std::uint64_t good, std::uint64_t total) {
  w_.u8(static_cast<std::uint8_t>(Section::counts));
  w_.u64(good);
  w_.u64(total);
}

// ---- burn-rate alerts --------------------------------------------------------------------------

std::array<BurnAlert, 4> burn_alerts(std::int64_t period_ms, std::int64_t slice_ms) {
  assert(period_ms > 0 && slice_ms > 0);
  std::array<BurnAlert, 4> out{};
  for (std::size_t i = 0; i < kBaseAlerts.size(); ++i) {
    const BaseAlert& a = kBaseAlerts[i];
    std::int64_t short_ms = std::max(scale_window(a.short_ms, period_ms), slice_ms);
    std::int64_t long_ms = std::max(scale_window(a.long_ms, period_ms), short_ms);
    out[i] = BurnAlert{a.name, a.severity, a.factor_x10, long_ms, short_ms};
  }
  return out;
}

BurnTracker::BurnTracker(std::uint32_t budget_ppm, std::int64_t period_ms, std::int64_t slice_ms)
    : budget_ppm_(budget_ppm),
      alerts_(burn_alerts(period_ms, slice_ms)),
      keep_ms_(period_ms),
      resolution_ms_(1),
      latest_ms_(std::numeric_limits<std::int64_t>::min()) {
  assert(budget_ppm > 0 && budget_ppm <= kPpm);
  std::int64_t shortest = alerts_[0].short_ms;
  for (const BurnAlert& a : alerts_) {
    keep_ms_ = std::max(keep_ms_, a.long_ms);
    shortest = std::min(shortest, a.short_ms);
  }
  resolution_ms_ = bucket_resolution(slice_ms, shortest);
}

void BurnTracker::add(std::int64_t at_ms, std::uint64_t good, std::uint64_t bad) {
  if (good == 0 && bad == 0) return;
  const std::int64_t bucket = floor_div(at_ms, resolution_ms_) * resolution_ms_;
  if (latest_ms_ != std::numeric_limits<std::int64_t>::min() && bucket <= latest_ms_ - keep_ms_) {
    return;  // older than anything kept
  }
  auto it = std::lower_bound(events_.begin(), events_.end(), bucket,
                             [](const Event& e, std::int64_t t) { return e.at_ms < t; });
  if (it != events_.end() && it->at_ms == bucket) {
    it->good += good;
    it->bad += bad;
  } else {
    events_.insert(it, Event{bucket, good, bad});
  }
  latest_ms_ = std::max(latest_ms_, bucket);
  while (!events_.empty() && events_.front().at_ms <= latest_ms_ - keep_ms_) events_.pop_front();
}

std::vector<BurnTracker::Firing> BurnTracker::firing(std::int64_t now_ms) const {
  // Sums over (now - window, now] for every long and short window, in one pass from the newest.
  struct Sum {
    std::int64_t window_ms;
    u128 good = 0;
    u128 bad = 0;
  };
  std::array<Sum, 8> sums{};
  std::int64_t longest = 0;
  for (std::size_t i = 0; i < alerts_.size(); ++i) {
    sums[2 * i].window_ms = alerts_[i].long_ms;
    sums[2 * i + 1].window_ms = alerts_[i].short_ms;
    longest = std::max(longest, alerts_[i].long_ms);
  }
  for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
    if (it->at_ms > now_ms) continue;
    if (it->at_ms <= now_ms - longest) break;
    for (Sum& s : sums) {
      if (it->at_ms > now_ms - s.window_ms) {
        s.good += it->good;
        s.bad += it->bad;
      }
    }
  }
  // burn = (bad / total) / (budget_ppm / 1e6); burn > factor_x10 / 10 compared exactly.
  auto burns_faster = [this](const Sum& s, std::uint32_t factor_x10) {
    u128 total = s.good + s.bad;
    return total > 0 && s.bad * kPpm * 10 > static_cast<u128>(factor_x10) * budget_ppm_ * total;
  };
  auto burn_x1000 = [this](const Sum& s) {
    u128 total = s.good + s.bad;
    return total == 0 ? 0 : saturate_u64(s.bad * kPpm * 1000 / (total * budget_ppm_));
  };
  std::vector<Firing> out;
  for (std::size_t i = 0; i < alerts_.size(); ++i) {
    const Sum& l = sums[2 * i];
    const Sum& s = sums[2 * i + 1];
    if (burns_faster(l, alerts_[i].factor_x10) && burns_faster(s, alerts_[i].factor_x10)) {
      out.push_back(Firing{alerts_[i].name, alerts_[i].severity, burn_x1000(l), burn_x1000(s)});
    }
  }
  return out;
}

bool BurnTracker::fast_burn(std::int64_t now_ms) const {
  for (const Firing& f : firing(now_ms)) {
    if (f.name == alerts_[0].name) return true;
  }
  return false;
}

std::optional<std::int64_t> BurnTracker::budget_left_ppm(std::int64_t begin_ms,
                                                         std::int64_t now_ms) const {
  u128 good = 0, bad = 0;
  for (const Event& e : events_) {
    if (e.at_ms < begin_ms) continue;
    if (e.at_ms > now_ms) break;
    good += e.good;
    bad += e.bad;
  }
  if (good + bad == 0) return std::nullopt;
  // Allowed bad events, x1e6: budget_ppm * total. Left, in ppm of it: (allowed - bad) / allowed.
  const i128 allowed = static_cast<i128>(static_cast<u128>(budget_ppm_) * (good + bad));
  const i128 spent = static_cast<i128>(bad * kPpm);
  const i128 num = (allowed - spent) * static_cast<i128>(kPpm);
  i128 q = num / allowed;
  if (num % allowed != 0 && num < 0) --q;  // floor: never report more budget than is left
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  return q < kMin ? kMin : static_cast<std::int64_t>(q);
}

std::uint64_t BurnTracker::events(std::int64_t since_ms, std::int64_t now_ms) const {
  std::uint64_t n = 0;
  for (const Event& e : events_) {
    if (e.at_ms <= since_ms) continue;
    if (e.at_ms > now_ms) break;
    n += e.good + e.bad;
  }
  return n;
}

// ---- budgets -----------------------------------------------------------------------------------

std::optional<std::uint32_t> budget_ppm(const SlaSpec& s) {
  if (sli_is_ratio(s.sli)) {
    if (s.op != SloOp::ge && s.op != SloOp::gt) return std::nullopt;
    if (s.target < 0 || s.target >= kRatioScale) return std::nullopt;
    // One unit of the ratio scale (1/100000) is 10 ppm.
    return static_cast<std::uint32_t>((kRatioScale - s.target) * 10);
  }
  std::optional<std::uint32_t> q = sli_quantile_per_mille(s.sli);
  if (!q || (s.op != SloOp::le && s.op != SloOp::lt)) return std::nullopt;
  return (1000 - *q) * 1000;
}

}  // namespace gpoc::sla
