#include "sla_monitor.hpp"

#include <algorithm>

#include "gpoc/common/hex.hpp"

namespace gpoc::scheduler {

// Events the fast-burn alert's long window must hold before it pauses a worker.
constexpr std::uint64_t kPauseMinEvents = 10;

void SlaMonitor::seen(const PublicKey& worker, std::int64_t now_ms) {
  std::vector<sla::Interval>& v = up_[worker];
  const std::int64_t until = now_ms + vouch_ms_;
  if (!v.empty() && now_ms <= v.back().end_ms) {
    v.back().end_ms = std::max(v.back().end_ms, until);
  } else {
    v.push_back({now_ms, until});
  }
}

void SlaMonitor::task_finished(const verifier::TaskRecord& r, const std::string& kernel,
                               std::int64_t deadline_ms, const sla::Book& book) {
  TaskObs t;
  t.id = r.task_id;
  t.kernel = kernel;
  t.finished_ms = r.finished_ms;
  t.latency_ms = r.finished_ms - r.submitted_ms;
  t.completed = r.completed;
  t.on_time = r.completed && r.finished_ms <= deadline_ms;
  for (const verifier::ContributionRecord& c : r.contributions)
    t.workers.emplace_back(c.worker, c.outcome == verifier::Outcome::winner);
  bool wanted = false;  // kept only while an SLA measures tasks
  for (const auto& [id, s] : book.all()) {
    if (s.finished()) continue;
    feed_task(s, t);
    wanted = wanted || s.spec.sli != sla::Sli::availability;
  }
  if (wanted) tasks_.push_back(std::move(t));
}

// For a pool SLA every task counts; for a worker's SLA, the tasks it contributed to, good only when
// it voted with the consensus of a task committed in time.
std::optional<bool> SlaMonitor::on_time_verdict(const TaskObs& t, const sla::SlaSpec& s) const {
  if (s.provider == pool_) return t.on_time;
  for (const auto& [w, won] : t.workers) {
    if (w == s.provider) return t.on_time && won;
  }
  return std::nullopt;
}

std::vector<sla::Interval> SlaMonitor::worker_down(const PublicKey& w, std::int64_t begin,
                                                   std::int64_t end) const {
  auto it = up_.find(w);
  std::vector<std::vector<sla::Interval>> up;
  up.push_back(it == up_.end() ? std::vector<sla::Interval>{} : it->second);
  return sla::below_quorum(up, 1, begin, end);
}

std::vector<sla::Interval> SlaMonitor::down_intervals(const sla::SlaSpec& s, std::int64_t begin,
                                                      std::int64_t end) const {
  if (s.provider != pool_) return worker_down(s.provider, begin, end);
  std::vector<std::vector<sla::Interval>> up;
  for (const auto& [w, v] : up_) up.push_back(v);
  return sla::below_quorum(up, s.min_workers, begin, end);
}

SlaMeasurement SlaMonitor::measure(const sla::SlaState& st, std::uint32_t period,
                                   std::int64_t begin, std::int64_t end,
                                   std::int64_t now_ms) const {
  const sla::SlaSpec& s = st.spec;
  end = std::min(end, now_ms);
  sla::Evidence ev(st.id, period);
  SlaMeasurement m;
  if (end <= begin) {
    ev.counts(0, 0);
    m.evidence = ev.hash();
    return m;
  }
  if (s.sli == sla::Sli::availability) {
    std::vector<sla::Interval> down =
        sla::clip_and_merge(down_intervals(s, begin, end), begin, end);
    std::vector<sla::Interval> maintenance;
    for (const sla::Window& w : s.maintenance) maintenance.push_back({w.begin_ms, w.end_ms});
    std::vector<sla::Interval> unobserved;
    if (begin < started_ms_) unobserved.push_back({begin, std::min(started_ms_, end)});
    sla::SliceCount c = sla::count_slices(begin, end, s.slice_ms, down, maintenance, unobserved);
    ev.intervals("down", down);
    ev.intervals("maintenance", sla::clip_and_merge(maintenance, begin, end));
    ev.intervals("unobserved", unobserved);
    m.good = c.good;
    m.total = c.good + c.bad;
  } else if (s.sli == sla::Sli::on_time) {
    for (const TaskObs& t : tasks_) {
      if (t.finished_ms < begin || t.finished_ms >= end) continue;
      std::optional<bool> v = on_time_verdict(t, s);
      if (!v) continue;
      ev.task(t.id, *v);
      m.good += *v ? 1 : 0;
      ++m.total;
    }
  } else {
    sla::LatencyHistogram h(sla::LatencyHistogram::default_bounds(s.target));
    for (const TaskObs& t : tasks_) {
      if (t.finished_ms < begin || t.finished_ms >= end || !t.completed || t.kernel != s.kernel)
        continue;
      if (s.provider != pool_ && !std::any_of(t.workers.begin(), t.workers.end(), [&](auto& w) {
            return w.first == s.provider && w.second;
          }))
        continue;
      h.add(t.latency_ms);
    }
    ev.histogram(h);
    m.total = h.total();
    m.good = h.total() == 0 ? 0 : h.at_most(s.target);
    if (h.total() > 0) m.sli = h.quantile(sla::latency_quantile_per_mille(s.sli));
  }
  if (sla::is_ratio(s.sli)) m.sli = sla::ratio_sli(m.good, m.total);
  ev.counts(m.good, m.total);
  m.evidence = ev.hash();
  return m;
}

sla::BurnTracker* SlaMonitor::tracker(const sla::SlaState& s, const PublicKey& subject) {
  auto budget = sla::budget_ppm(s.spec);
  if (!budget) return nullptr;
  auto key = std::make_pair(s.id, subject);
  auto it = trackers_.find(key);
  if (it == trackers_.end()) {
    const sla::PeriodBounds p0 = sla::period_bounds(s.spec, 0);
    it = trackers_.emplace(key, sla::BurnTracker(*budget, p0.end_ms - p0.begin_ms, s.spec.slice_ms))
             .first;
  }
  return &it->second;
}

void SlaMonitor::feed_task(const sla::SlaState& s, const TaskObs& t) {
  if (!sla::period_at(s.spec, t.finished_ms)) return;
  if (s.spec.sli == sla::Sli::on_time) {
    if (s.spec.provider == pool_) {
      if (auto* tr = tracker(s, pool_))
        tr->add(t.finished_ms, t.on_time ? 1 : 0, t.on_time ? 0 : 1);
    }
    // Every contributor answers for its own vote, whoever the SLA's provider is.
    for (const auto& [w, won] : t.workers) {
      if (s.spec.provider != pool_ && w != s.spec.provider) continue;
      const bool good = t.on_time && won;
      if (auto* tr = tracker(s, w)) tr->add(t.finished_ms, good ? 1 : 0, good ? 0 : 1);
    }
  } else if (sla::is_latency(s.spec.sli) && t.completed && t.kernel == s.spec.kernel) {
    const bool good = t.latency_ms <= s.spec.target;
    if (auto* tr = tracker(s, s.spec.provider)) tr->add(t.finished_ms, good ? 1 : 0, good ? 0 : 1);
  }
}

std::map<PublicKey, std::string> SlaMonitor::update_burn(const sla::Book& book,
                                                         std::int64_t now_ms) {
  std::map<PublicKey, std::string> fast;
  for (const auto& [id, s] : book.all()) {
    if (s.finished() || !sla::budget_ppm(s.spec)) continue;
    auto within = sla::period_at(s.spec, now_ms);
    if (!within) continue;
    if (s.spec.sli == sla::Sli::availability) {
      // Whole slices that ended since the last call, one event per worker (and for the pool).
      const sla::PeriodBounds pb = sla::period_bounds(s.spec, *within);
      std::int64_t& fed = fed_slices_until_[id];
      fed = std::max(fed, std::max(pb.begin_ms, started_ms_));
      fed = pb.begin_ms +
            (fed - pb.begin_ms + s.spec.slice_ms - 1) / s.spec.slice_ms * s.spec.slice_ms;
      for (; fed + s.spec.slice_ms <= now_ms; fed += s.spec.slice_ms) {
        const std::int64_t a = fed, b = fed + s.spec.slice_ms;
        std::vector<sla::Interval> maintenance;
        for (const sla::Window& w : s.spec.maintenance)
          maintenance.push_back({w.begin_ms, w.end_ms});
        auto feed = [&](const PublicKey& subject, const std::vector<sla::Interval>& down) {
          sla::SliceCount c = sla::count_slices(a, b, s.spec.slice_ms, down, maintenance, {});
          if (c.good + c.bad == 0) return;
          if (auto* tr = tracker(s, subject)) tr->add(b, c.good, c.bad);
        };
        if (s.spec.provider == pool_) {
          feed(pool_, down_intervals(s.spec, a, b));
          for (const auto& [w, v] : up_) feed(w, worker_down(w, a, b));
        } else {
          feed(s.spec.provider, worker_down(s.spec.provider, a, b));
        }
      }
    }
    for (auto it = trackers_.lower_bound({id, PublicKey{}});
         it != trackers_.end() && it->first.first == id; ++it) {
      const PublicKey& subject = it->first.second;
      if (subject == pool_ || fast.count(subject) != 0) continue;
      // A few bad events in a quiet stretch burn fast too: drain only with enough volume.
      const std::int64_t long_ms = it->second.alerts()[0].long_ms;
      if (it->second.fast_burn(now_ms) &&
          it->second.events(now_ms - long_ms, now_ms) >= kPauseMinEvents) {
        fast[subject] = "SLA " + to_hex(id).substr(0, 16) +
                        (s.spec.name.empty() ? "" : " (" + s.spec.name + ")") + ": " +
                        std::string(sla::sli_name(s.spec.sli)) +
                        " error budget burning over 14.4x in both the long and the short window";
      }
    }
  }
  return fast;
}

std::vector<SlaMonitor::Alert> SlaMonitor::alerts(const sla::SlaId& id, std::int64_t now_ms) const {
  std::vector<Alert> out;
  for (auto it = trackers_.lower_bound({id, PublicKey{}});
       it != trackers_.end() && it->first.first == id; ++it) {
    for (const auto& f : it->second.firing(now_ms)) out.push_back({it->first.second, f});
  }
  return out;
}

void SlaMonitor::prune(std::int64_t before_ms) {
  for (auto& [w, v] : up_) {
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const sla::Interval& i) { return i.end_ms < before_ms; }),
            v.end());
  }
  while (!tasks_.empty() && tasks_.front().finished_ms < before_ms) tasks_.pop_front();
}

}  // namespace gpoc::scheduler
