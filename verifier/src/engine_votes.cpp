// Contributions, reveals, uploads and the end of a task: the commit-reveal half of the engine.
#include <algorithm>

#include "engine_internal.hpp"

namespace gpoc::verifier {

Status Engine::on_contribution(const PublicKey& sender, ByteView statement,
                               const Signature& signature, std::int64_t now_ms) {
  GPOC_ASSIGN_OR_RETURN(ContributionStatement c, decode_contribution(statement));
  if (c.worker_key != sender) return unauthenticated("contribution names another worker's key");
  if (c.pool_id != config_.pool_id) return unauthenticated("contribution is for another pool");
  if (!verify_signature(sender, statement, signature))
    return unauthenticated("contribution signature does not verify");
  Task* t = find_task(c.task_id);
  if (t == nullptr) return not_found("unknown or finished task " + to_hex(c.task_id));
  Replica* r = t->replica_of(sender);
  if (r == nullptr)
    return Status(ErrorCode::permission_denied, "this task was not assigned to you");
  if (r->voted()) {
    // A retry of the same vote is idempotent; a different vote for the same task is refused.
    if (r->statement.size() == statement.size() &&
        std::equal(r->statement.begin(), r->statement.end(), statement.begin())) {
      return ok_status();
    }
    return Status(ErrorCode::already_exists, "you already contributed to this task");
  }
  if (t->phase != TaskPhase::running && t->phase != TaskPhase::pending) {
    return failed_precondition(
        "consensus already reached; late contribution refused (no stake is taken)");
  }
  if (r->phase != ReplicaPhase::assigned) {
    return failed_precondition("your replica was " + std::string(replica_phase_name(r->phase)) +
                               ": " + r->note);
  }
  if (now_ms >= t->contribution_deadline_ms)
    return failed_precondition("contribution deadline passed");
  auto wit = workers_.find(sender);
  if (wit != workers_.end() && c.exec_class != wit->second.exec_class) {
    return invalid_argument("contribution execution class differs from the registered one");
  }
  release_replica(*t, *r, ReplicaPhase::contributed, "");
  r->has_vote = true;
  r->contributed_ms = now_ms;
  r->statement.assign(statement.begin(), statement.end());
  r->signature = signature;
  r->contribution = std::move(c);
  r->score_at_contribution = score(sender);
  r->weight = worker_weight(r->score_at_contribution);
  if (t->refuted.count(r->contribution.result_hash) != 0) {
    // Judged at once: its stake stays held until the task settles, and it never counts.
    r->phase = ReplicaPhase::rejected;
    r->outcome = Outcome::failed_certificate;
    r->note = "voted for a result that already failed its certificate";
    return ok_status();
  }
  t->tally.add(r->contribution.result_hash, r->weight);
  check_consensus(*t, now_ms);
  return ok_status();
}

void Engine::check_consensus(Task& t, std::int64_t now_ms) {
  auto best = t.tally.best();
  if (!best || t.tally.members(*best) < t.in.spec.min_replicas) return;
  // While certify_alone the first vote only names the candidate: its certificate will decide.
  if (!t.certify_alone &&
      !reaches_consensus(t.tally.group(*best), t.tally.others(*best), t.in.spec.trust)) {
    return;
  }
  t.phase = TaskPhase::revealing;
  t.consensus_hash = *best;
  t.consensus_ms = now_ms;
  // A certified candidate was asked for its output with its reveal and is the only one waited
  // for: one T for both, so a candidate that does not deliver stalls the task half as long.
  t.reveal_deadline_ms = now_ms + (t.certify_alone ? 1 : 2) * category_time(t);
  t.reveal_asked_ms = now_ms;
  dispatch_queue_.erase({t.order, t.in.task_id});
  abort_assigned(t, "consensus reached without this replica");
  // The earliest winner is asked to upload along with its reveal; another takes over if it fails.
  t.uploader.reset();
  for (const Replica& r : t.replicas) {
    if (!t.is_winner(r) || r.phase != ReplicaPhase::contributed) continue;
    bool upload = !t.uploader.has_value();
    if (upload) {
      t.uploader = r.worker;
      t.upload_tried.insert(r.worker);
      t.upload_requested_ms = now_ms;
    }
    actions_.push_back(RevealRequestAction{r.worker, t.in.task_id, upload});
  }
}

Status Engine::on_reveal(const PublicKey& sender, const TaskId& task_id, const Digest32& digest,
                         std::int64_t now_ms) {
  Task* t = find_task(task_id);
  if (t == nullptr) return not_found("unknown or finished task " + to_hex(task_id));
  Replica* r = t->replica_of(sender);
  if (r == nullptr || !r->voted())
    return Status(ErrorCode::permission_denied, "you have no vote on this task");
  if (r->phase == ReplicaPhase::revealed && t->digest == digest) return ok_status();  // retry
  if (t->phase != TaskPhase::revealing && t->phase != TaskPhase::uploading) {
    return failed_precondition("task is not collecting reveals");
  }
  if (!t->is_winner(*r) || r->phase != ReplicaPhase::contributed) {
    return failed_precondition("your vote is not the consensus or was already judged");
  }
  if (now_ms >= t->reveal_deadline_ms) return failed_precondition("reveal deadline passed");
  if (result_hash(task_id, digest) != r->contribution.result_hash ||
      result_seal(sender, task_id, digest) != r->contribution.result_seal) {
    r->phase = ReplicaPhase::rejected;
    r->outcome = Outcome::bad_reveal;
    r->note = "revealed digest does not match its vote and seal";
    if (t->uploader == sender) request_upload(*t, now_ms);
    return unauthenticated("revealed digest does not match the committed vote and seal");
  }
  r->phase = ReplicaPhase::revealed;
  t->digest = digest;
  if (t->phase == TaskPhase::revealing) t->phase = TaskPhase::uploading;
  if (!t->uploader && !t->uploaded) request_upload(*t, now_ms);
  try_finalize(*t, now_ms);
  return ok_status();
}

// Picks the next revealed winner that has not yet been asked to upload. When every one has been
// asked (an upload lost on the way, a winner that was briefly gone), they are asked again in
// turn: a winner whose output did not match is no longer `revealed` and is never asked again.
void Engine::request_upload(Task& t, std::int64_t now_ms) {
  t.uploader.reset();
  for (int round = 0; round < 2; ++round) {
    for (const Replica& r : t.replicas) {
      if (r.phase == ReplicaPhase::revealed && t.upload_tried.count(r.worker) == 0) {
        t.uploader = r.worker;
        t.upload_tried.insert(r.worker);
        t.upload_requested_ms = now_ms;
        actions_.push_back(UploadRequestAction{r.worker, t.in.task_id});
        return;
      }
    }
    for (const Replica& r : t.replicas) {
      if (r.phase == ReplicaPhase::revealed) t.upload_tried.erase(r.worker);
    }
  }
}

Status Engine::on_upload(const PublicKey& sender, const TaskId& task_id,
                         const Digest32& output_digest, std::uint64_t output_bytes,
                         std::int64_t now_ms) {
  Task* t = find_task(task_id);
  if (t == nullptr) return not_found("unknown or finished task " + to_hex(task_id));
  if (t->uploaded) return ok_status();
  if (t->uploader != sender)
    return Status(ErrorCode::permission_denied, "no upload was requested from you");
  if (!t->digest) return failed_precondition("upload before reveal");
  if (output_digest != *t->digest) {
    Replica* r = t->replica_of(sender);
    r->phase = ReplicaPhase::rejected;
    r->outcome = Outcome::bad_reveal;
    r->note = "uploaded output does not match the agreed digest";
    request_upload(*t, now_ms);
    return data_loss("uploaded output does not match the agreed digest");
  }
  t->uploaded = true;
  t->output_bytes = output_bytes;
  if (t->in.certifiable && !t->certificate) {
    t->certificate_pending = true;
    actions_.push_back(CertifyAction{task_id, *t->digest, t->in.spec.trust});
    return ok_status();
  }
  try_finalize(*t, now_ms);
  return ok_status();
}

bool Engine::votes_reach_consensus(const Task& t) const {
  if (!t.consensus_hash || t.tally.members(*t.consensus_hash) < t.in.spec.min_replicas)
    return false;
  return reaches_consensus(t.tally.group(*t.consensus_hash), t.tally.others(*t.consensus_hash),
                           t.in.spec.trust);
}

Status Engine::on_certificate(const CertificateReport& rep, std::int64_t now_ms) {
  Task* t = find_task(rep.task_id);
  if (t == nullptr) return not_found("unknown or finished task " + to_hex(rep.task_id));
  if (!t->certificate_pending || !t->digest || *t->digest != rep.digest)
    return failed_precondition("no certificate was asked for this output");
  t->certificate_pending = false;
  const bool by_votes = votes_reach_consensus(*t);
  if (rep.ran && rep.passed && (by_votes || rep.bound_bits >= trust_bits(t->in.spec.trust))) {
    t->certificate = CertificateRecord{rep.method, rep.rounds, rep.bound_bits, rep.seed, !by_votes};
    if (!by_votes) t->consensus_ms = now_ms;  // the result was a candidate until now
    try_finalize(*t, now_ms);
    return ok_status();
  }
  t->certify_alone = false;
  if (rep.ran && !rep.passed) {
    // Whoever voted for this output voted for a wrong result, whatever their weight.
    const Digest32 bad = *t->consensus_hash;
    t->refuted.insert(bad);
    for (Replica& r : t->replicas) {
      if (!r.voted() || r.phase == ReplicaPhase::rejected || r.contribution.result_hash != bad)
        continue;
      r.phase = ReplicaPhase::rejected;
      r.outcome = Outcome::failed_certificate;
      r.note = "its result failed the certificate: " + rep.reason;
    }
    withdraw_consensus(*t);
    check_consensus(*t, now_ms);  // the votes left may agree on their own
    return ok_status();
  }
  // The check could not run, or cannot be made strong enough: the votes decide, as they would
  // for a kernel without a certificate.
  t->in.certifiable = false;
  if (by_votes) {
    try_finalize(*t, now_ms);
  } else {
    withdraw_consensus(*t);
  }
  return ok_status();
}

// The candidate result is no longer agreed: back to collecting votes. Votes not rejected stay in
// the tally, and a winner that had revealed will be asked again if its result wins after all.
void Engine::withdraw_consensus(Task& t) {
  Tally kept;
  for (Replica& r : t.replicas) {
    if (!r.voted() || r.phase == ReplicaPhase::rejected) continue;
    if (r.phase == ReplicaPhase::revealed) r.phase = ReplicaPhase::contributed;
    kept.add(r.contribution.result_hash, r.weight);
  }
  t.upload_tried.clear();
  t.uploaded = false;
  t.output_bytes = 0;
  collect_again(t, std::move(kept));
}

// Back to collecting votes with `kept` as the tally: no consensus, no reveal window, queued for
// dispatch.
void Engine::collect_again(Task& t, Tally kept) {
  t.tally = std::move(kept);
  t.phase = TaskPhase::running;
  t.consensus_hash.reset();
  t.digest.reset();
  t.uploader.reset();
  t.reveal_deadline_ms = 0;
  dispatch_queue_.emplace(t.order, t.in.task_id);
}

Status Engine::on_task_failure(const PublicKey& sender, const TaskId& task_id,
                               std::string_view reason, std::int64_t /*now_ms*/) {
  Task* t = find_task(task_id);
  if (t == nullptr) return not_found("unknown or finished task " + to_hex(task_id));
  Replica* r = t->replica_of(sender);
  if (r == nullptr || r->phase != ReplicaPhase::assigned) return ok_status();
  release_replica(*t, *r, ReplicaPhase::failed, "kernel failed: " + std::string(reason));
  return ok_status();
}

void Engine::try_finalize(Task& t, std::int64_t now_ms) {
  if (t.phase != TaskPhase::uploading || !t.uploaded || !t.digest) return;
  if (t.in.certifiable && !t.certificate) return;  // the verdict is not in yet
  bool waiting = std::any_of(t.replicas.begin(), t.replicas.end(), [&](const Replica& r) {
    return t.is_winner(r) && r.phase == ReplicaPhase::contributed;
  });
  if (waiting && now_ms < t.reveal_deadline_ms) return;
  finish(t, true, "", now_ms);
}

// No winner revealed in time: their votes are rejected and dispatch starts again without them.
// A certified task's candidate that failed to deliver has cost one reveal window; the task is
// replicated from here on, so a run of such candidates cannot use up its contribution window.
void Engine::reopen(Task& t, std::int64_t now_ms) {
  t.certify_alone = false;
  Tally kept;
  for (Replica& r : t.replicas) {
    if (t.is_winner(r) && r.phase == ReplicaPhase::contributed) {
      r.phase = ReplicaPhase::rejected;
      r.outcome = Outcome::unrevealed;
      r.note = "did not reveal before the reveal deadline";
    } else if (r.voted() && r.phase != ReplicaPhase::rejected) {
      kept.add(r.contribution.result_hash, r.weight);
    }
  }
  (void)now_ms;
  collect_again(t, std::move(kept));
}

void Engine::abort_assigned(Task& t, const std::string& reason) {
  for (Replica& r : t.replicas) {
    if (r.phase == ReplicaPhase::assigned) {
      release_replica(t, r, ReplicaPhase::lost, reason);
      actions_.push_back(AbortAction{r.worker, t.in.task_id, reason});
    }
  }
}

// Judges every vote, updates scores and hands the record to the caller for the ledger.
void Engine::finish(Task& t, bool completed, std::string reason, std::int64_t now_ms) {
  abort_assigned(t, completed ? "task completed" : "task failed");
  std::size_t voters = std::count_if(t.replicas.begin(), t.replicas.end(),
                                     [](const Replica& r) { return r.voted(); });
  FinishAction out;
  TaskRecord& rec = out.record;
  rec.task_id = t.in.task_id;
  rec.completed = completed;
  rec.spec = t.in.spec_bytes;
  rec.requester_signature = t.in.requester_signature;
  rec.submitted_ms = t.in.submitted_ms;
  rec.consensus_ms = t.consensus_ms;
  rec.finished_ms = now_ms;
  if (completed) {
    rec.digest = *t.digest;
    rec.output_bytes = t.output_bytes;
    rec.certificate = t.certificate;
  } else {
    rec.reason = std::move(reason);
  }
  std::vector<StakeResult> stakes;
  for (Replica& r : t.replicas) {
    unreserve(r, t);  // the settlement below moves what was at stake
    if (!r.voted()) continue;
    std::uint64_t before = score(r.worker), after = before;
    if (completed) {
      if (r.outcome == Outcome::pending) {
        r.outcome = r.phase == ReplicaPhase::revealed ? Outcome::winner
                    : t.is_winner(r)                  ? Outcome::unrevealed
                                                      : Outcome::wrong_vote;
      }
      // A certified result is checked as a replicated one is: its winner gains too.
      after = r.outcome == Outcome::winner
                  ? score_after_win(before, voters > 1 || t.certificate.has_value())
                  : score_after_loss(before);
      if (r.outcome != Outcome::winner) r.phase = ReplicaPhase::rejected;
    } else if (r.outcome == Outcome::unrevealed || r.outcome == Outcome::bad_reveal ||
               r.outcome == Outcome::failed_certificate) {
      after = score_after_loss(before);  // judged before the task failed: slashed all the same
    }
    stakes.push_back(StakeResult{r.worker, r.outcome == Outcome::winner,
                                 r.outcome != Outcome::winner && r.outcome != Outcome::pending,
                                 r.weight});
    if (after != before) {
      scores_[r.worker] = after;
      out.scores.emplace_back(r.worker, after);
    }
    rec.contributions.push_back(
        ContributionRecord{r.worker, r.statement, r.signature, r.weight, before, after, r.outcome});
  }
  rec.price = t.escrow.price;
  rec.scheduler_stake = t.escrow.scheduler_stake;
  rec.worker_stake = t.escrow.worker_stake;
  rec.moves = completed ? success_moves(t.escrow, stakes, config_.policy,
                                        accounts_.get(kitty_account()).free)
                        : failure_moves(t.escrow, stakes);
  if (Status s = accounts_.apply(rec.moves); !s.ok()) {
    // Cannot happen while every stake was reserved; keep the books whole rather than half-move.
    rec.moves.clear();
    rec.reason +=
        (rec.reason.empty() ? "" : "; ") + std::string("settlement refused: ") + s.message();
  }
  t.phase = completed ? TaskPhase::completed : TaskPhase::failed;
  dispatch_queue_.erase({t.order, t.in.task_id});
  out.view = *task_view(t.in.task_id);
  out.view.finished_ms = now_ms;
  out.view.reason = rec.reason;
  actions_.push_back(std::move(out));
  tasks_.erase(t.in.task_id);  // `t` is gone after this line
}

}  // namespace gpoc::verifier
