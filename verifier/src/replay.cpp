#include "gpoc/verifier/replay.hpp"

#include "gpoc/common/hex.hpp"

namespace gpoc::verifier {

Status Replay::apply(std::string_view kind, ByteView body) {
  if (kind == kPolicyKind) {
    GPOC_ASSIGN_OR_RETURN(Policy p, decode_policy(body));
    policy_ = std::move(p);
    return ok_status();
  }
  if (kind == kMintKind) {
    GPOC_ASSIGN_OR_RETURN(MintRecord rec, decode_mint_record(body));
    auto m = decode_mint(rec.statement);
    if (!m.ok()) return data_loss(m.status().message());
    if (m->pool_id != pool_ || !verify_signature(pool_, rec.statement, rec.signature))
      return data_loss("mint is not signed by the pool's key");
    return accounts_.apply(Move{kMintSource, Pot::free, m->account, Pot::free, m->amount});
  }
  if (kind == kAcceptKind) {
    GPOC_ASSIGN_OR_RETURN(AcceptRecord a, decode_accept_record(body));
    if (!policy_) return data_loss("task accepted before any pool policy was recorded");
    if (open_.count(a.task_id) != 0) return data_loss("task accepted twice");
    if (a.category >= policy_->category_price.size())
      return data_loss("escrow names category " + std::to_string(a.category) + ", not in policy");
    if (a.price != policy_->price(a.category) ||
        a.scheduler_stake != policy_->scheduler_stake(a.category) ||
        a.worker_stake != policy_->worker_stake(a.category)) {
      return data_loss("escrow amounts differ from the pool policy in force");
    }
    if (a.moves != escrow_moves(a.escrow(pool_)))
      return data_loss("escrow moves are not the ones its amounts give");
    if (Status s = accounts_.apply(a.moves); !s.ok()) return data_loss("escrow: " + s.message());
    open_.emplace(a.task_id, std::move(a));
    return ok_status();
  }
  if (kind == kCommitKind || kind == kFailKind) {
    GPOC_ASSIGN_OR_RETURN(TaskRecord r, decode_task_record(body));
    if (r.completed != (kind == kCommitKind))
      return data_loss("entry kind disagrees with its record");
    return apply_record(r);
  }
  return ok_status();
}

Status Replay::transfer(const std::vector<Move>& moves) {
  for (const Move& m : moves) {
    if (m.from == kMintSource) return data_loss("an SLA entry cannot mint");
  }
  if (Status s = accounts_.apply(moves); !s.ok()) return data_loss(s.message());
  return ok_status();
}

Status Replay::apply_record(const TaskRecord& r) {
  auto it = open_.find(r.task_id);
  if (it == open_.end()) return data_loss("task settled without an escrow (or settled twice)");
  const AcceptRecord& a = it->second;
  if (r.price != a.price || r.scheduler_stake != a.scheduler_stake ||
      r.worker_stake != a.worker_stake) {
    return data_loss("record's amounts differ from its escrow");
  }
  std::vector<StakeResult> stakes;
  for (const ContributionRecord& c : r.contributions) {
    stakes.push_back(StakeResult{c.worker, c.outcome == Outcome::winner,
                                 c.outcome != Outcome::winner && c.outcome != Outcome::pending,
                                 c.weight});
  }
  const Escrow e = a.escrow(pool_);
  const std::vector<Move> expect =
      r.completed ? success_moves(e, stakes, *policy_, accounts_.get(kitty_account()).free)
                  : failure_moves(e, stakes);
  if (r.moves != expect) {
    return data_loss("settlement of task " + to_hex(r.task_id).substr(0, 16) +
                     " is not what the PoCo rules give for its votes");
  }
  if (Status s = accounts_.apply(r.moves); !s.ok()) return data_loss("settlement: " + s.message());
  for (const ContributionRecord& c : r.contributions) scores_[c.worker] = c.score_after;
  (r.completed ? commits_ : failures_)++;
  open_.erase(it);
  return ok_status();
}

}  // namespace gpoc::verifier
