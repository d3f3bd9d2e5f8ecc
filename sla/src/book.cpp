#include "gpoc/sla/book.hpp"

#include <algorithm>
#include <utility>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc::sla {
namespace {

using U128 = Amount128;

constexpr std::uint32_t kSpecBytesMax = 1u << 16;  // a valid spec is under 20 KiB
constexpr std::uint16_t kStatementBytesMax = 256;  // a stake statement is about 110 bytes

std::string short_hex(const Digest32& id) { return to_hex(id).substr(0, 16); }
std::string sla_name(const SlaId& id) { return "SLA " + short_hex(id); }

// A body that is malformed, unsigned or impossible cannot be right in a ledger entry: data_loss.
// prepare_*() hands the same errors to its caller as they are (bad input, bad signature).
Status as_entry_error(const Status& s) {
  if (s.code() == ErrorCode::invalid_argument || s.code() == ErrorCode::unauthenticated)
    return data_loss(s.message());
  return s;
}

bool read_i64(ByteReader& r, std::int64_t& v) {
  std::uint64_t u = 0;
  if (!r.u64(u)) return false;
  v = static_cast<std::int64_t>(u);
  return true;
}

// What prepare_*() and apply() both need to see of the book.
struct View {
  const PublicKey& pool;
  const std::map<SlaId, SlaState>& slas;
  const std::set<Digest32>& statements;
};

const PoolState& side_of(const SlaState& sla, PoolSide side) {
  return side == PoolSide::provider ? sla.provider : sla.user;
}
PoolState& side_of(SlaState& sla, PoolSide side) {
  return side == PoolSide::provider ? sla.provider : sla.user;
}
PublicKey account_of(const SlaId& id, PoolSide side) {
  return side == PoolSide::provider ? provider_pool_account(id) : user_pool_account(id);
}

Result<SlaSpec> check_create(const View& v, ByteView spec_bytes, const Signature& sig) {
  auto spec = decode_spec(spec_bytes);
  if (!spec.ok()) return spec.status();
  if (spec->pool_id != v.pool) return invalid_argument("sla.create: the terms name another pool");
  if (!verify_signature(v.pool, spec_bytes, sig))
    return unauthenticated("sla.create: the pool's signature over the terms does not verify");
  const SlaId id = sla_id_of(spec_bytes);
  if (v.slas.contains(id)) return failed_precondition("sla.create: " + sla_name(id) + " exists");
  return spec;
}

struct Order {
  StakeStatement statement;
  StakeRecord record;
};

// (U + a) * L <= P: the provider pool backs every user unit L times over.
bool within_leverage(Amount provider, Amount user, Amount added, std::uint32_t leverage) {
  return (static_cast<U128>(user) + added) * leverage <= provider;
}

Status plan_deposit(const SlaState& sla, const StakeStatement& st, StakeRecord& rec) {
  if (sla.finished())
    return failed_precondition("sla.stake: " + sla_name(sla.id) + " has settled every period");
  const PoolState& pool = side_of(sla, st.side);
  if (st.side == PoolSide::user &&
      !within_leverage(sla.provider.value, sla.user.value, st.amount, sla.spec.leverage)) {
    return failed_precondition(
        "sla.stake: (user pool " + std::to_string(sla.user.value) + " + " +
        std::to_string(st.amount) + ") x leverage " + std::to_string(sla.spec.leverage) +
        " would exceed the provider pool " + std::to_string(sla.provider.value));
  }
  if (st.amount > kSupplyMax - pool.value)
    return failed_precondition("sla.stake: the pool would exceed the supply limit");
  rec.shares = shares_for_stake(st.amount, pool.value, pool.supply);
  if (rec.shares == 0)
    return failed_precondition("sla.stake: the amount is worth less than one pool share");
  if (rec.shares > kSupplyMax - pool.supply)
    return failed_precondition("sla.stake: the pool's share supply would overflow");
  // Lock-up (DSLA v2): a stake made while period p is next stays until p has settled.
  rec.locked_until = sla.next_period;
  rec.moves = {Move{st.staker, Pot::free, account_of(sla.id, st.side), Pot::free, st.amount}};
  return ok_status();
}

Status plan_withdrawal(const SlaState& sla, const StakeStatement& st, StakeRecord& rec) {
  const PoolState& pool = side_of(sla, st.side);
  const std::string where = "sla.withdraw: " + short_hex(st.staker) + " in the " +
                            std::string(side_name(st.side)) + " pool of " + sla_name(sla.id);
  auto h = pool.holders.find(st.staker);
  if (h == pool.holders.end()) return failed_precondition(where + ": holds no shares");
  if (!sla.finished() && sla.next_period <= h->second.locked_until) {
    return failed_precondition(where + ": locked until period " +
                               std::to_string(h->second.locked_until) + " has settled");
  }
  const Amount held = value_of_shares(h->second.shares, pool.value, pool.supply);
  if (st.amount > held) {
    return failed_precondition(where + ": holds " + std::to_string(held) + " units, asks " +
                               std::to_string(st.amount));
  }
  if (st.side == PoolSide::provider && !sla.finished() &&
      static_cast<U128>(sla.provider.value - st.amount) <
          static_cast<U128>(sla.user.value) * sla.spec.leverage) {
    return failed_precondition(where + ": the provider pool must keep " +
                               std::to_string(sla.spec.leverage) + " x the user pool");
  }
  auto burned = shares_for_withdrawal(st.amount, pool.value, pool.supply);
  if (!burned.ok()) return burned.status().with_context(where);
  if (*burned > h->second.shares) return failed_precondition(where + ": not enough shares");
  rec.shares = *burned;
  rec.locked_until = 0;
  const Fees fees = withdrawal_fees(sla.spec, st.amount);
  const PublicKey from = account_of(sla.id, st.side);
  const Amount net = st.amount - fees.owner - fees.protocol;
  rec.moves.clear();
  if (net > 0) rec.moves.push_back({from, Pot::free, st.staker, Pot::free, net});
  if (fees.owner > 0)
    rec.moves.push_back({from, Pot::free, sla.spec.pool_id, Pot::free, fees.owner});
  if (fees.protocol > 0)
    rec.moves.push_back({from, Pot::free, kitty_account(), Pot::free, fees.protocol});
  return ok_status();
}

// Checks a signed order against the book and works out its shares, lock-up and moves.
Result<Order> plan_order(const View& v, ByteView statement, const Signature& sig) {
  auto st = decode_stake(statement);
  if (!st.ok()) return st.status();
  if (st->pool_id != v.pool) return invalid_argument("sla order: the statement names another pool");
  if (!verify_signature(st->staker, statement, sig))
    return unauthenticated("sla order: the staker's signature does not verify");
  if (v.statements.contains(sha256(statement)))
    return failed_precondition("sla order: this signed statement was applied already");
  auto it = v.slas.find(st->sla_id);
  if (it == v.slas.end()) return failed_precondition("sla order: no " + sla_name(st->sla_id));
  Order o{*st, StakeRecord{Bytes(statement.begin(), statement.end()), sig, 0, 0, {}}};
  GPOC_RETURN_IF_ERROR(o.statement.withdraw ? plan_withdrawal(it->second, o.statement, o.record)
                                            : plan_deposit(it->second, o.statement, o.record));
  return o;
}

Status check_measurement(const SlaSpec& spec, std::optional<std::int64_t> sli, std::uint64_t good,
                         std::uint64_t total) {
  if (good > total) return invalid_argument("sla.settle: more good events than events");
  if (!sli) return ok_status();
  if (is_ratio(spec.sli) && (*sli < 0 || *sli > kRatioScale))
    return invalid_argument("sla.settle: a ratio SLI lies in 0..100000");
  if (is_latency(spec.sli) && *sli < 0)
    return invalid_argument("sla.settle: a latency SLI is not negative");
  return ok_status();
}

Result<SettleRecord> plan_settle(const View& v, const SlaId& id, std::uint32_t period,
                                 std::optional<std::int64_t> sli, std::uint64_t good,
                                 std::uint64_t total, const Digest32& evidence) {
  auto it = v.slas.find(id);
  if (it == v.slas.end()) return failed_precondition("sla.settle: no " + sla_name(id));
  const SlaState& sla = it->second;
  if (period < sla.next_period) {
    return failed_precondition("sla.settle: period " + std::to_string(period) + " of " +
                               sla_name(id) + " is settled already");
  }
  if (sla.finished())
    return failed_precondition("sla.settle: " + sla_name(id) + " has settled every period");
  if (period != sla.next_period) {
    return failed_precondition("sla.settle: period " + std::to_string(period) + " of " +
                               sla_name(id) + " comes after period " +
                               std::to_string(sla.next_period));
  }
  GPOC_RETURN_IF_ERROR(check_measurement(sla.spec, sli, good, total));
  const Payout pay = settle_period(sla.spec, sla.provider.value, sla.user.value, sli);
  SettleRecord r;
  r.sla_id = id;
  r.period = period;
  r.outcome = pay.outcome;
  r.sli = sli.value_or(0);
  r.good = good;
  r.total = total;
  r.evidence = evidence;
  r.rate_bp = pay.rate_bp;
  r.provider_before = r.provider_after = sla.provider.value;
  r.user_before = r.user_after = sla.user.value;
  if (pay.amount > 0) {
    const PublicKey prov = provider_pool_account(id), user = user_pool_account(id);
    if (pay.to_users) {
      r.provider_after -= pay.amount;
      r.user_after += pay.amount;
      r.moves.push_back({prov, Pot::free, user, Pot::free, pay.amount});
    } else {
      r.user_after -= pay.amount;
      r.provider_after += pay.amount;
      r.moves.push_back({user, Pot::free, prov, Pot::free, pay.amount});
    }
  }
  return r;
}

// Names the first field of a settle body that differs from the recomputed one.
Status compare_settle(const SettleRecord& got, const SettleRecord& want) {
  const std::string at = "sla.settle: period " + std::to_string(got.period) + ": ";
  if (got.outcome != want.outcome)
    return data_loss(at + "outcome " + std::string(outcome_name(got.outcome)) +
                     " does not follow from the SLI (" + std::string(outcome_name(want.outcome)) +
                     ")");
  if (got.rate_bp != want.rate_bp)
    return data_loss(at + "rate " + std::to_string(got.rate_bp) + " bp, the terms give " +
                     std::to_string(want.rate_bp));
  if (got.provider_before != want.provider_before || got.user_before != want.user_before)
    return data_loss(at + "the pools before do not match the book");
  if (static_cast<U128>(got.provider_after) + got.user_after !=
      static_cast<U128>(got.provider_before) + got.user_before)
    return data_loss(at + "the pools after do not add up to the pools before");
  if (got.provider_after != want.provider_after || got.user_after != want.user_after)
    return data_loss(at + "the pools after differ from the recomputed payout");
  if (got.moves != want.moves) return data_loss(at + "the moves differ from the payout");
  if (!(got == want)) return data_loss(at + "the body differs from the recomputed settlement");
  return ok_status();
}

void commit_order(SlaState& sla, const StakeStatement& st, const StakeRecord& rec) {
  PoolState& pool = side_of(sla, st.side);
  if (!st.withdraw) {
    pool.value += st.amount;
    pool.supply += rec.shares;
    Holding& h = pool.holders[st.staker];
    h.shares += rec.shares;
    h.locked_until = rec.locked_until;  // next_period never goes back: the latest is the latest
    return;
  }
  pool.value -= st.amount;
  pool.supply -= rec.shares;
  auto h = pool.holders.find(st.staker);
  h->second.shares -= rec.shares;
  if (h->second.shares == 0) pool.holders.erase(h);
}

// A pool that settlement emptied (the tiered mode can pay all of it) has shares worth nothing;
// they are cancelled so that the next stake buys at 1:1 instead of sharing with them.
void void_if_drained(PoolState& pool) {
  if (pool.value != 0) return;
  pool.supply = 0;
  pool.holders.clear();
}

}  // namespace

PublicKey provider_pool_account(const SlaId& id) {
  return sha256_concat({as_bytes(std::string_view("gpoc.sla.provider")), ByteView(id)});
}

PublicKey user_pool_account(const SlaId& id) {
  return sha256_concat({as_bytes(std::string_view("gpoc.sla.user")), ByteView(id)});
}

std::string_view side_name(PoolSide s) {
  switch (s) {
    case PoolSide::provider: return "provider";
    case PoolSide::user: return "user";
  }
  return "unknown";
}

// Layout: tag (gpoc.sla.stake.v1 or gpoc.sla.withdraw.v1), pool_id[32], sla_id[32], staker[32],
// u8 side, u64 amount, u64 nonce.
Bytes encode_stake(const StakeStatement& s) {
  const std::string_view tag = s.withdraw ? kWithdrawTag : kStakeTag;
  ByteWriter w(tag.size() + 3 * 32 + 1 + 16);
  w.raw(tag);
  w.raw(s.pool_id);
  w.raw(s.sla_id);
  w.raw(s.staker);
  w.u8(static_cast<std::uint8_t>(s.side));
  w.u64(s.amount);
  w.u64(s.nonce);
  return std::move(w).take();
}

Result<StakeStatement> decode_stake(ByteView bytes) {
  StakeStatement s;
  ByteReader r(bytes);
  if (r.expect(kWithdrawTag)) {
    s.withdraw = true;
  } else {
    r = ByteReader(bytes);
    if (!r.expect(kStakeTag)) return invalid_argument("stake statement: missing tag");
  }
  std::uint8_t side = 0;
  if (!r.raw(s.pool_id) || !r.raw(s.sla_id) || !r.raw(s.staker) || !r.u8(side) ||
      !r.u64(s.amount) || !r.u64(s.nonce)) {
    return invalid_argument("stake statement: truncated");
  }
  if (!r.at_end()) return invalid_argument("stake statement: trailing bytes");
  if (side != static_cast<std::uint8_t>(PoolSide::provider) &&
      side != static_cast<std::uint8_t>(PoolSide::user))
    return invalid_argument("stake statement: unknown pool side");
  s.side = static_cast<PoolSide>(side);
  if (s.amount == 0) return invalid_argument("stake statement: zero amount");
  if (s.amount > kSupplyMax) return invalid_argument("stake statement: amount above 2^63 - 1");
  return s;
}

// Layout: tag, u32 spec length, spec, signature[64].
Bytes encode_create_record(const CreateRecord& r) {
  ByteWriter w(kCreateRecordTag.size() + 4 + r.spec.size() + 64);
  w.raw(kCreateRecordTag);
  w.u32(static_cast<std::uint32_t>(r.spec.size()));
  w.raw(r.spec);
  w.raw(r.signature);
  return std::move(w).take();
}

Result<CreateRecord> decode_create_record(ByteView b) {
  ByteReader r(b);
  CreateRecord c;
  std::uint32_t len = 0;
  ByteView spec;
  if (!r.expect(kCreateRecordTag) || !r.u32(len) || len > kSpecBytesMax || !r.raw(len, spec) ||
      !r.raw(c.signature) || !r.at_end()) {
    return data_loss("sla.create record: malformed (expected gpoc.sla.create.v1)");
  }
  c.spec.assign(spec.begin(), spec.end());
  return c;
}

// Layout: tag, u16 statement length, statement, signature[64], u64 shares, u32 locked_until,
// moves.
Bytes encode_stake_record(const StakeRecord& r) {
  ByteWriter w(kStakeRecordTag.size() + 2 + r.statement.size() + 64 + 12 + 4 + r.moves.size() * 74);
  w.raw(kStakeRecordTag);
  w.u16(static_cast<std::uint16_t>(std::min<std::size_t>(r.statement.size(), 0xffff)));
  w.raw(ByteView(r.statement).first(std::min<std::size_t>(r.statement.size(), 0xffff)));
  w.raw(r.signature);
  w.u64(r.shares);
  w.u32(r.locked_until);
  encode_moves(w, r.moves);
  return std::move(w).take();
}

Result<StakeRecord> decode_stake_record(ByteView b) {
  ByteReader r(b);
  StakeRecord s;
  std::uint16_t len = 0;
  ByteView st;
  if (!r.expect(kStakeRecordTag) || !r.u16(len) || len > kStatementBytesMax || !r.raw(len, st) ||
      !r.raw(s.signature) || !r.u64(s.shares) || !r.u32(s.locked_until) ||
      !decode_moves(r, s.moves) || !r.at_end()) {
    return data_loss("sla order record: malformed (expected gpoc.sla.order.v1)");
  }
  s.statement.assign(st.begin(), st.end());
  return s;
}

// Layout: tag, sla_id[32], u32 period, u8 outcome, i64 sli, u64 good, u64 total, evidence[32],
// u32 rate_bp, u64 provider_before, u64 user_before, u64 provider_after, u64 user_after, moves.
Bytes encode_settle_record(const SettleRecord& r) {
  ByteWriter w(kSettleRecordTag.size() + 160 + r.moves.size() * 74);
  w.raw(kSettleRecordTag);
  w.raw(r.sla_id);
  w.u32(r.period);
  w.u8(static_cast<std::uint8_t>(r.outcome));
  w.u64(static_cast<std::uint64_t>(r.sli));
  w.u64(r.good);
  w.u64(r.total);
  w.raw(r.evidence);
  w.u32(r.rate_bp);
  w.u64(r.provider_before);
  w.u64(r.user_before);
  w.u64(r.provider_after);
  w.u64(r.user_after);
  encode_moves(w, r.moves);
  return std::move(w).take();
}

Result<SettleRecord> decode_settle_record(ByteView b) {
  ByteReader r(b);
  SettleRecord s;
  std::uint8_t outcome = 0;
  if (!r.expect(kSettleRecordTag) || !r.raw(s.sla_id) || !r.u32(s.period) || !r.u8(outcome) ||
      !read_i64(r, s.sli) || !r.u64(s.good) || !r.u64(s.total) || !r.raw(s.evidence) ||
      !r.u32(s.rate_bp) || !r.u64(s.provider_before) || !r.u64(s.user_before) ||
      !r.u64(s.provider_after) || !r.u64(s.user_after) || !decode_moves(r, s.moves) ||
      !r.at_end()) {
    return data_loss("sla.settle record: malformed (expected gpoc.sla.settle.v1)");
  }
  if (outcome < 1 || outcome > 3) return data_loss("sla.settle record: unknown outcome");
  s.outcome = static_cast<PeriodOutcome>(outcome);
  return s;
}

Result<std::vector<Move>> record_moves(std::string_view kind, ByteView body) {
  if (kind == kCreateKind) {
    GPOC_ASSIGN_OR_RETURN(CreateRecord r, decode_create_record(body));
    return std::vector<Move>{};
  }
  if (kind == kStakeKind || kind == kWithdrawKind) {
    GPOC_ASSIGN_OR_RETURN(StakeRecord r, decode_stake_record(body));
    return r.moves;
  }
  if (kind == kSettleKind) {
    GPOC_ASSIGN_OR_RETURN(SettleRecord r, decode_settle_record(body));
    return r.moves;
  }
  return invalid_argument("not an SLA entry kind: " + std::string(kind));
}

// ---- the book ----------------------------------------------------------------------------------

Result<Bytes> Book::prepare_create(ByteView spec_bytes, const Signature& pool_signature) const {
  auto spec = check_create(View{pool_, slas_, statements_}, spec_bytes, pool_signature);
  if (!spec.ok()) return spec.status();
  return encode_create_record({Bytes(spec_bytes.begin(), spec_bytes.end()), pool_signature});
}

Result<Bytes> Book::prepare_stake(ByteView statement, const Signature& signature) const {
  auto o = plan_order(View{pool_, slas_, statements_}, statement, signature);
  if (!o.ok()) return o.status();
  return encode_stake_record(o->record);
}

Result<Bytes> Book::prepare_settle(const SlaId& id, std::uint32_t period,
                                   std::optional<std::int64_t> sli, std::uint64_t good,
                                   std::uint64_t total, const Digest32& evidence) const {
  auto r = plan_settle(View{pool_, slas_, statements_}, id, period, sli, good, total, evidence);
  if (!r.ok()) return r.status();
  return encode_settle_record(*r);
}

Status Book::apply(std::string_view kind, ByteView body, std::uint64_t seq, const MoveSink& sink) {
  const View view{pool_, slas_, statements_};
  if (kind == kCreateKind) {
    GPOC_ASSIGN_OR_RETURN(CreateRecord rec, decode_create_record(body));
    auto spec = check_create(view, rec.spec, rec.signature);
    if (!spec.ok()) return as_entry_error(spec.status());
    GPOC_RETURN_IF_ERROR(sink({}));
    const SlaId id = sla_id_of(rec.spec);
    SlaState st;
    st.id = id;
    st.spec = std::move(spec).value();
    st.created_seq = seq;
    slas_.emplace(id, std::move(st));
    return ok_status();
  }
  if (kind == kStakeKind || kind == kWithdrawKind) {
    GPOC_ASSIGN_OR_RETURN(StakeRecord rec, decode_stake_record(body));
    auto st = decode_stake(rec.statement);
    if (!st.ok()) return as_entry_error(st.status());
    if (st->withdraw != (kind == kWithdrawKind))
      return data_loss(std::string(kind) + ": the statement is of the other kind");
    auto want = plan_order(view, rec.statement, rec.signature);
    if (!want.ok()) return as_entry_error(want.status());
    if (rec.shares != want->record.shares) return data_loss(std::string(kind) + ": wrong shares");
    if (rec.locked_until != want->record.locked_until)
      return data_loss(std::string(kind) + ": wrong lock-up");
    if (rec.moves != want->record.moves) return data_loss(std::string(kind) + ": wrong moves");
    GPOC_RETURN_IF_ERROR(sink(rec.moves));
    commit_order(slas_.at(want->statement.sla_id), want->statement, rec);
    statements_.insert(sha256(rec.statement));
    return ok_status();
  }
  if (kind == kSettleKind) {
    GPOC_ASSIGN_OR_RETURN(SettleRecord rec, decode_settle_record(body));
    std::optional<std::int64_t> sli;
    if (rec.outcome != PeriodOutcome::no_data) {
      sli = rec.sli;
    } else if (rec.sli != 0) {
      return data_loss("sla.settle: a period without data records SLI 0");
    }
    auto want = plan_settle(view, rec.sla_id, rec.period, sli, rec.good, rec.total, rec.evidence);
    if (!want.ok()) return as_entry_error(want.status());
    GPOC_RETURN_IF_ERROR(compare_settle(rec, *want));
    GPOC_RETURN_IF_ERROR(sink(rec.moves));
    SlaState& sla = slas_.at(rec.sla_id);
    sla.provider.value = rec.provider_after;
    sla.user.value = rec.user_after;
    void_if_drained(sla.provider);
    void_if_drained(sla.user);
    ++sla.next_period;
    sla.settled.push_back(std::move(rec));
    return ok_status();
  }
  return invalid_argument("not an SLA entry kind: " + std::string(kind));
}

const SlaState* Book::find(const SlaId& id) const {
  auto it = slas_.find(id);
  return it == slas_.end() ? nullptr : &it->second;
}

Amount Book::withdrawable(const SlaId& id, PoolSide side, const PublicKey& staker) const {
  const SlaState* sla = find(id);
  if (sla == nullptr) return 0;
  const PoolState& pool = side_of(*sla, side);
  auto h = pool.holders.find(staker);
  if (h == pool.holders.end()) return 0;
  if (!sla->finished() && sla->next_period <= h->second.locked_until) return 0;
  Amount units = value_of_shares(h->second.shares, pool.value, pool.supply);
  if (side == PoolSide::provider && !sla->finished()) {
    const U128 keep = static_cast<U128>(sla->user.value) * sla->spec.leverage;
    const Amount spare = keep >= pool.value ? 0 : static_cast<Amount>(pool.value - keep);
    units = std::min(units, spare);
  }
  return units;
}

}  // namespace gpoc::sla
