// Dispatch, deadlines and liveness: the half of the engine driven by time.
#include <algorithm>
#include <limits>

#include "engine_internal.hpp"

namespace gpoc::verifier {

static std::string kernel_key(const TaskSpec& s) {
  return s.kernel_id + "@" + std::to_string(s.kernel_version);
}

// iexec-core's rule: add a replica only while consensus is not predicted even if every pending
// replica agreed with the best group; and, with a quorum, while the best group plus the pending
// replicas stay below it.
bool Engine::needs_more(const Task& t, std::int64_t now_ms) const {
  if (t.phase != TaskPhase::pending && t.phase != TaskPhase::running) return false;
  if (now_ms >= t.contribution_deadline_ms) return false;
  if (t.certify_alone) {  // the certificate, not more votes, will decide: one replica at a time
    return std::none_of(t.replicas.begin(), t.replicas.end(),
                        [](const Replica& r) { return r.phase == ReplicaPhase::assigned; });
  }
  Weight pending = 1;
  std::size_t pending_count = 0;
  for (const Replica& r : t.replicas) {
    if (r.phase != ReplicaPhase::assigned) continue;
    pending = sat_mul(pending, Weight{worker_weight(score(r.worker))});
    ++pending_count;
  }
  auto best = t.tally.best();
  std::uint64_t best_members = best ? t.tally.members(*best) : 0;
  if (best_members + pending_count < t.in.spec.min_replicas) return true;
  return needs_more_replicas(t.tally, pending, pending_count, t.in.spec.trust);
}

Engine::Worker* Engine::pick_worker(const Task& t) {
  const std::string kernel = kernel_key(t.in.spec);
  Worker* chosen = nullptr;
  for (auto& [key, w] : workers_) {
    if (!w.alive || w.running >= w.slots || w.kernels.count(kernel) == 0) continue;
    if (paused_.count(key) != 0) continue;
    if (t.in.class_bound && !t.exec_class.empty() && w.exec_class != t.exec_class) continue;
    // One replica per worker and per operator, ever: a released replica still counts, so a
    // worker (or a sibling of one operator) that lost or failed it does not get a second go.
    bool participated = std::any_of(t.replicas.begin(), t.replicas.end(), [&](const Replica& r) {
      return r.worker == key || r.operator_key == w.operator_key;
    });
    if (participated) continue;
    if (available(key) < t.escrow.worker_stake) continue;  // cannot stake: no assignment
    if (chosen == nullptr || w.running < chosen->running ||
        (w.running == chosen->running && w.assigned_total < chosen->assigned_total)) {
      chosen = &w;
    }
  }
  return chosen;
}

bool Engine::dispatch_one(Task& t, std::int64_t now_ms) {
  Worker* w = pick_worker(t);
  if (w == nullptr) return false;
  Replica r;
  r.worker = w->key;
  r.operator_key = w->operator_key;
  r.assigned_ms = now_ms;
  if (t.escrow.worker_stake > 0) {
    reserved_[w->key] += t.escrow.worker_stake;
    r.stake_held = true;
  }
  t.replicas.push_back(std::move(r));
  if (t.in.class_bound && t.exec_class.empty()) t.exec_class = w->exec_class;
  ++w->running;
  ++w->assigned_total;
  if (t.phase == TaskPhase::pending) t.phase = TaskPhase::running;
  actions_.push_back(AssignAction{w->key, t.in.task_id, t.contribution_deadline_ms});
  return true;
}

void Engine::dispatch(std::int64_t now_ms) {
  std::uint64_t free_slots = 0;
  for (const auto& [k, w] : workers_) {
    if (w.alive && w.running < w.slots && paused_.count(k) == 0) free_slots += w.slots - w.running;
  }
  for (const auto& [order, id] : dispatch_queue_) {
    if (free_slots == 0) break;
    Task& t = *tasks_.at(id);
    while (free_slots > 0 && needs_more(t, now_ms) && dispatch_one(t, now_ms)) --free_slots;
  }
}

// A replica silent for one category time stops counting: it is released and replaced.
void Engine::expire_replicas(Task& t, std::int64_t now_ms) {
  std::int64_t T = category_time(t);
  for (Replica& r : t.replicas) {
    if (r.phase == ReplicaPhase::assigned && now_ms - r.assigned_ms >= T) {
      release_replica(t, r, ReplicaPhase::lost,
                      "silent past its timeout (" + std::to_string(T) + " ms)");
      actions_.push_back(AbortAction{r.worker, t.in.task_id, "replica timed out"});
    }
  }
}

void Engine::check_deadlines(Task& t, std::int64_t now_ms) {
  if (now_ms >= t.final_deadline_ms) {
    std::string why;
    if (t.phase == TaskPhase::revealing || t.phase == TaskPhase::uploading) {
      why = "final deadline passed before the result was revealed and uploaded";
    } else {
      auto best = t.tally.best();
      std::uint64_t votes = 0;
      for (const Replica& r : t.replicas) votes += r.voted() ? 1 : 0;
      why = "no consensus by the final deadline: " + std::to_string(votes) + " votes in " +
            std::to_string(t.tally.group_count()) + " result groups";
      if (best) {
        why += ", best credibility " + std::to_string(weight_to_u64(t.tally.group(*best))) + "/" +
               std::to_string(weight_to_u64(t.tally.total())) + " at trust " +
               std::to_string(t.in.spec.trust);
      }
    }
    if (!t.in.note.empty()) why += " (" + t.in.note + ")";
    finish(t, false, why, now_ms);
    return;
  }
  if (t.phase == TaskPhase::running || t.phase == TaskPhase::pending) {
    expire_replicas(t, now_ms);
    return;
  }
  bool any_revealed = std::any_of(t.replicas.begin(), t.replicas.end(), [](const Replica& r) {
    return r.phase == ReplicaPhase::revealed;
  });
  if (now_ms >= t.reveal_deadline_ms && !any_revealed) {
    reopen(t, now_ms);
    return;
  }
  // A certified task's candidate is its only winner: if its output is not in by the reveal
  // deadline (the worker crashed, or withholds it), nobody else can upload, so it is treated as
  // unrevealed and the task is replicated, instead of waiting for the final deadline.
  if (t.certify_alone && !t.uploaded && now_ms >= t.reveal_deadline_ms) {
    t.certify_alone = false;
    for (Replica& r : t.replicas) {
      if (!t.is_winner(r) || r.phase == ReplicaPhase::rejected) continue;
      r.phase = ReplicaPhase::rejected;
      r.outcome = Outcome::unrevealed;
      r.note = "did not upload its output before the reveal deadline";
    }
    withdraw_consensus(t);
    return;
  }
  // A reveal request may not have arrived (a worker reconnecting): winners still silent are
  // asked again once per category time, until the reveal deadline.
  if (now_ms < t.reveal_deadline_ms && now_ms - t.reveal_asked_ms >= category_time(t)) {
    t.reveal_asked_ms = now_ms;
    for (const Replica& r : t.replicas) {
      if (t.is_winner(r) && r.phase == ReplicaPhase::contributed) {
        actions_.push_back(
            RevealRequestAction{r.worker, t.in.task_id, !t.uploaded && t.uploader == r.worker});
      }
    }
  }
  // The uploader has had the reveal window to send the output: ask another revealed winner.
  if (any_revealed && !t.uploaded && now_ms - t.upload_requested_ms >= 2 * category_time(t)) {
    request_upload(t, now_ms);
  }
  try_finalize(t, now_ms);
}

std::int64_t Engine::tick(std::int64_t now_ms) {
  std::int64_t lost_after = config_.heartbeat_interval_ms * config_.heartbeat_liveness;
  for (auto& [key, w] : workers_) {
    if (w.alive && now_ms - w.last_seen_ms > lost_after) {
      worker_lost(key, now_ms, "worker stopped heartbeating");
    }
  }
  std::vector<TaskId> ids;
  ids.reserve(tasks_.size());
  for (const auto& [id, t] : tasks_) ids.push_back(id);
  for (const TaskId& id : ids) {
    if (Task* t = find_task(id)) check_deadlines(*t, now_ms);
  }
  dispatch(now_ms);
  return now_ms + std::min<std::int64_t>(25, config_.heartbeat_interval_ms);
}

std::vector<Action> Engine::take_actions() {
  std::vector<Action> out(std::make_move_iterator(actions_.begin()),
                          std::make_move_iterator(actions_.end()));
  actions_.clear();
  return out;
}

std::optional<TaskView> Engine::task_view(const TaskId& id) const {
  const Task* t = find_task(id);
  if (t == nullptr) return std::nullopt;
  TaskView v;
  v.task_id = id;
  v.phase = t->phase;
  v.kernel = kernel_key(t->in.spec);
  v.trust = t->in.spec.trust;
  v.consensus_hash = t->consensus_hash;
  v.digest = t->digest;
  v.output_bytes = t->output_bytes;
  v.submitted_ms = t->in.submitted_ms;
  v.consensus_ms = t->consensus_ms;
  v.final_deadline_ms = t->final_deadline_ms;
  v.reason = t->in.note;
  v.certifiable = t->in.certifiable;
  v.certificate = t->certificate;
  if (auto best = t->tally.best()) {
    v.credibility_num = weight_to_u64(t->tally.group(*best));
    v.credibility_den = weight_to_u64(t->tally.total());
  }
  for (const Replica& r : t->replicas) {
    bool winner = t->is_winner(r) && r.phase != ReplicaPhase::rejected;  // a copied vote is no win
    v.replicas.push_back(ReplicaView{r.worker, r.phase, r.contribution.result_hash, r.weight,
                                     winner, r.note, r.assigned_ms, r.contributed_ms});
  }
  return v;
}

std::vector<WorkerView> Engine::workers() const {
  std::vector<WorkerView> out;
  for (const auto& [k, w] : workers_) {
    auto p = paused_.find(k);
    out.push_back(WorkerView{k, w.operator_key, w.exec_class, score(k), w.alive, w.running, w.slots,
                             w.last_seen_ms, p != paused_.end(),
                             p != paused_.end() ? p->second : std::string()});
  }
  return out;
}

}  // namespace gpoc::verifier
