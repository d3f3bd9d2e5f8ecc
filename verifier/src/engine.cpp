#include "engine_internal.hpp"

#include <algorithm>
#include <cassert>

#include "gpoc/common/hex.hpp"

namespace gpoc::verifier {

std::string_view task_phase_name(TaskPhase p) {
  switch (p) {
    case TaskPhase::pending: return "PENDING";
    case TaskPhase::running: return "RUNNING";
    case TaskPhase::revealing: return "REVEALING";
    case TaskPhase::uploading: return "UPLOADING";
    case TaskPhase::completed: return "COMPLETED";
    case TaskPhase::failed: return "FAILED";
  }
  return "UNKNOWN";
}

std::string_view replica_phase_name(ReplicaPhase p) {
  switch (p) {
    case ReplicaPhase::assigned: return "assigned";
    case ReplicaPhase::contributed: return "contributed";
    case ReplicaPhase::revealed: return "revealed";
    case ReplicaPhase::failed: return "failed";
    case ReplicaPhase::lost: return "lost";
    case ReplicaPhase::rejected: return "rejected";
  }
  return "unknown";
}

Engine::Engine(PoolConfig config) : config_(std::move(config)) {
  assert(config_.policy.validate().ok());
}
Engine::~Engine() = default;

Engine::Task* Engine::find_task(const TaskId& id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second.get();
}
const Engine::Task* Engine::find_task(const TaskId& id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second.get();
}

Engine::Worker& Engine::worker_entry(const PublicKey& key) {
  auto [it, inserted] = workers_.try_emplace(key);
  if (inserted) it->second.key = key;
  return it->second;
}

std::int64_t Engine::category_time(const Task& t) const {
  return config_.policy.category_time_ms[t.in.spec.category];
}

std::uint64_t Engine::score(const PublicKey& worker) const {
  auto it = scores_.find(worker);
  return it == scores_.end() ? 0 : it->second;
}

// ---- workers ----------------------------------------------------------------------------------

void Engine::set_score(const PublicKey& worker, std::uint64_t s) { scores_[worker] = s; }

void Engine::worker_registered(const PublicKey& key, const PublicKey& operator_key,
                               std::string exec_class, std::uint32_t slots,
                               std::set<std::string> kernels, std::int64_t now_ms) {
  // A worker that registers again has restarted or reconnected: work it had not yet voted on is
  // gone from its side, so those replicas are replaced.
  if (workers_.count(key) != 0) worker_lost(key, now_ms, "worker re-registered");
  Worker& w = worker_entry(key);
  w.operator_key = operator_key;
  w.exec_class = std::move(exec_class);
  w.slots = std::clamp<std::uint32_t>(slots, 1, config_.worker_slots_max);
  w.kernels = std::move(kernels);
  w.alive = true;
  w.running = 0;
  w.last_seen_ms = now_ms;
}

void Engine::worker_seen(const PublicKey& key, std::int64_t now_ms) {
  auto it = workers_.find(key);
  if (it != workers_.end() && it->second.alive) it->second.last_seen_ms = now_ms;
}

bool Engine::worker_known(const PublicKey& key) const {
  auto it = workers_.find(key);
  return it != workers_.end() && it->second.alive;
}

void Engine::worker_lost(const PublicKey& key, std::int64_t /*now_ms*/, std::string_view why) {
  auto it = workers_.find(key);
  if (it == workers_.end()) return;
  it->second.alive = false;
  for (auto& [id, t] : tasks_) {
    Replica* r = t->replica_of(key);
    if (r != nullptr && r->phase == ReplicaPhase::assigned) {
      release_replica(*t, *r, ReplicaPhase::lost, std::string(why));
    }
  }
  it->second.running = 0;
}

void Engine::release_replica(Task& t, Replica& r, ReplicaPhase to, std::string note) {
  if (r.phase == ReplicaPhase::assigned) {
    auto it = workers_.find(r.worker);
    if (it != workers_.end() && it->second.running > 0) --it->second.running;
    if (to != ReplicaPhase::contributed) unreserve(r, t);  // no vote, no stake at risk
  }
  r.phase = to;
  if (!note.empty()) r.note = std::move(note);
}

// ---- tasks ------------------------------------------------------------------------------------

Status Engine::mint(const PublicKey& to, Amount amount) {
  if (to == kMintSource) return invalid_argument("cannot mint to the all-zero account");
  return accounts_.apply(Move{kMintSource, Pot::free, to, Pot::free, amount});
}

Status Engine::transfer(const std::vector<Move>& moves) {
  std::map<PublicKey, Amount> out;
  for (const Move& m : moves) {
    if (m.from == kMintSource) return invalid_argument("a transfer cannot mint");
    if (m.from_pot != Pot::free) return invalid_argument("a transfer moves free units only");
    out[m.from] += m.amount;
  }
  for (const auto& [account, amount] : out) {
    if (available(account) < amount) {
      return failed_precondition("account " + to_hex(account).substr(0, 16) + " has " +
                                 std::to_string(available(account)) + " units available, " +
                                 std::to_string(amount) + " needed");
    }
  }
  return accounts_.apply(moves);
}

void Engine::set_paused(const PublicKey& worker, bool paused, std::string reason) {
  if (paused) {
    paused_[worker] = std::move(reason);
  } else {
    paused_.erase(worker);
  }
}

Amount Engine::available(const PublicKey& account) const {
  const Amount free = accounts_.get(account).free;
  auto it = reserved_.find(account);
  const Amount held = it == reserved_.end() ? 0 : it->second;
  return free > held ? free - held : 0;
}

void Engine::unreserve(Replica& r, const Task& t) {
  if (!r.stake_held) return;
  r.stake_held = false;
  auto it = reserved_.find(r.worker);
  if (it == reserved_.end()) return;
  it->second -= std::min(it->second, t.escrow.worker_stake);
  if (it->second == 0) reserved_.erase(it);
}

Result<std::vector<Move>> Engine::add_task(NewTask in, std::int64_t /*now_ms*/) {
  if (tasks_.count(in.task_id) != 0)
    return Status(ErrorCode::already_exists, "task already active");
  if (tasks_.size() >= config_.active_tasks_max) {
    return resource_exhausted("the pool has " + std::to_string(tasks_.size()) +
                              " active tasks, its limit");
  }
  const Policy& pol = config_.policy;
  if (in.spec.category >= pol.category_time_ms.size()) {
    return invalid_argument("unknown category " + std::to_string(in.spec.category) +
                            "; this pool has " + std::to_string(pol.category_time_ms.size()));
  }
  std::vector<Move> moves;
  Escrow e;
  if (in.escrow) {
    e = *in.escrow;
  } else {
    e.task = in.task_id;
    e.requester = in.spec.requester_key;
    e.pool = config_.pool_id;
    e.price = pol.price(in.spec.category);
    e.scheduler_stake = pol.scheduler_stake(in.spec.category);
    e.worker_stake = pol.worker_stake(in.spec.category);
    moves = escrow_moves(e);
    if (available(e.requester) < e.price) {
      return failed_precondition("insufficient balance: the task costs " + std::to_string(e.price) +
                                 " units and the requester has " +
                                 std::to_string(available(e.requester)) + " free");
    }
    if (available(e.pool) < e.scheduler_stake) {
      return unavailable("the pool cannot stake " + std::to_string(e.scheduler_stake) +
                         " units for this task right now (it has " +
                         std::to_string(available(e.pool)) + " free); try later");
    }
    GPOC_RETURN_IF_ERROR(accounts_.apply(moves));
  }
  auto t = std::make_unique<Task>();
  t->in = std::move(in);
  t->escrow = e;
  t->order = next_order_++;
  t->certify_alone = t->in.certifiable && t->in.spec.min_replicas <= 1;
  std::int64_t T = category_time(*t);
  t->contribution_deadline_ms = t->in.submitted_ms + 7 * T;
  t->final_deadline_ms = t->in.submitted_ms + 10 * T;
  dispatch_queue_.emplace(t->order, t->in.task_id);
  tasks_.emplace(t->in.task_id, std::move(t));
  return moves;
}

bool Engine::has_task(const TaskId& id) const { return tasks_.count(id) != 0; }

const Bytes* Engine::task_spec_bytes(const TaskId& id) const {
  const Task* t = find_task(id);
  return t == nullptr ? nullptr : &t->in.spec_bytes;
}
std::size_t Engine::active_tasks() const { return tasks_.size(); }

std::optional<PublicKey> Engine::uploader(const TaskId& id) const {
  const Task* t = find_task(id);
  if (t == nullptr || t->uploaded) return std::nullopt;
  return t->uploader;
}

bool Engine::digest_revealed(const TaskId& id) const {
  const Task* t = find_task(id);
  return t != nullptr && t->digest.has_value();
}

}  // namespace gpoc::verifier
