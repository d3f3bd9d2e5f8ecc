#include "gpoc/common/value.hpp"

#include <numeric>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc {
namespace {

using U128 = Amount128;

Amount percent_of(Amount amount, std::uint32_t percent) {
  return static_cast<Amount>(static_cast<U128>(amount) * percent / 100);
}

}  // namespace

const PublicKey& kitty_account() {
  static const PublicKey k = sha256(as_bytes(std::string_view("gpoc.kitty")));
  return k;
}

void encode_moves(ByteWriter& w, const std::vector<Move>& moves) {
  w.u32(static_cast<std::uint32_t>(moves.size()));
  for (const Move& m : moves) {
    w.raw(m.from);
    w.u8(static_cast<std::uint8_t>(m.from_pot));
    w.raw(m.to);
    w.u8(static_cast<std::uint8_t>(m.to_pot));
    w.u64(m.amount);
  }
}

bool decode_moves(ByteReader& r, std::vector<Move>& moves) {
  std::uint32_t n = 0;
  if (!r.u32(n) || n > 1'000'000) return false;
  moves.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    Move m;
    std::uint8_t fp = 0, tp = 0;
    if (!r.raw(m.from) || !r.u8(fp) || !r.raw(m.to) || !r.u8(tp) || !r.u64(m.amount)) return false;
    if (fp > 1 || tp > 1) return false;
    m.from_pot = static_cast<Pot>(fp);
    m.to_pot = static_cast<Pot>(tp);
    moves.push_back(m);
  }
  return true;
}

Result<Accounts> Accounts::restore(const std::vector<std::pair<PublicKey, Balance>>& balances) {
  Accounts a;
  U128 total = 0;
  for (const auto& [k, b] : balances) {
    total += static_cast<U128>(b.free) + b.locked;
    if (total > kSupplyMax) return data_loss("stored balances add up past 2^63 - 1 units");
    if (b != Balance{}) a.accounts_[k] = b;
  }
  a.minted_ = static_cast<Amount>(total);
  return a;
}

Balance Accounts::get(const PublicKey& account) const {
  auto it = accounts_.find(account);
  return it == accounts_.end() ? Balance{} : it->second;
}

Status Accounts::apply(const std::vector<Move>& moves) {
  // Check on a copy of the touched accounts, then commit: all or nothing.
  std::map<PublicKey, Balance> touched;
  Amount minted = minted_;
  auto slot = [&](const PublicKey& k, Pot p) -> Amount& {
    auto [it, fresh] = touched.try_emplace(k);
    if (fresh) it->second = get(k);
    return p == Pot::free ? it->second.free : it->second.locked;
  };
  for (const Move& m : moves) {
    if (m.to == kMintSource) return invalid_argument("a move cannot pay the mint source");
    if (m.from == kMintSource) {
      if (m.amount > kSupplyMax - minted)
        return resource_exhausted("mint would take the supply past 2^63 - 1 units");
      minted += m.amount;
    } else {
      Amount& src = slot(m.from, m.from_pot);
      if (src < m.amount) {
        return failed_precondition("account " + to_hex(m.from).substr(0, 16) + " has " +
                                   std::to_string(src) + " " +
                                   (m.from_pot == Pot::free ? "free" : "locked") +
                                   " units, needs " + std::to_string(m.amount));
      }
      src -= m.amount;
    }
    slot(m.to, m.to_pot) += m.amount;  // cannot overflow: the whole supply is below 2^63
  }
  for (auto& [k, b] : touched) {
    if (b == Balance{}) {
      accounts_.erase(k);
    } else {
      accounts_[k] = b;
    }
  }
  minted_ = minted;
  return ok_status();
}

Amount128 Accounts::total() const {
  U128 sum = 0;
  for (const auto& [k, b] : accounts_) sum += static_cast<U128>(b.free) + b.locked;
  return sum;
}

Bytes encode_mint(const MintStatement& m) {
  ByteWriter w(kMintTag.size() + 32 + 32 + 16 + 2 + m.memo.size());
  w.raw(kMintTag);
  w.raw(m.pool_id);
  w.raw(m.account);
  w.u64(m.amount);
  w.u64(m.nonce);
  std::string_view memo = std::string_view(m.memo).substr(0, 256);
  w.u16(static_cast<std::uint16_t>(memo.size()));
  w.raw(memo);
  return std::move(w).take();
}

Result<MintStatement> decode_mint(ByteView bytes) {
  ByteReader r(bytes);
  MintStatement m;
  std::uint16_t len = 0;
  if (!r.expect(kMintTag) || !r.raw(m.pool_id) || !r.raw(m.account) || !r.u64(m.amount) ||
      !r.u64(m.nonce) || !r.u16(len) || len > 256 || !r.string(len, m.memo) || !r.at_end()) {
    return invalid_argument("mint statement: malformed (expected gpoc.mint.v1)");
  }
  if (m.account == kMintSource) return invalid_argument("mint statement: all-zero account");
  if (m.amount == 0) return invalid_argument("mint statement: zero amount");
  if (m.amount > kSupplyMax) return invalid_argument("mint statement: amount above 2^63 - 1");
  return m;
}

Status Policy::validate() const {
  if (category_time_ms.empty()) return invalid_argument("policy: at least one category is needed");
  if (category_price.size() != category_time_ms.size())
    return invalid_argument("policy: one price per category is needed");
  for (std::int64_t t : category_time_ms)
    if (t <= 0) return invalid_argument("policy: category times must be positive milliseconds");
  for (Amount p : category_price)
    if (p > kSupplyMax) return invalid_argument("policy: a price exceeds the supply limit");
  if (worker_stake_ratio > 1000) return invalid_argument("policy: worker stake ratio above 1000%");
  if (scheduler_reward_ratio > 100)
    return invalid_argument("policy: scheduler reward ratio above 100%");
  if (scheduler_stake_ratio > 1000)
    return invalid_argument("policy: scheduler stake ratio above 1000%");
  if (kitty_ratio > 100) return invalid_argument("policy: kitty ratio above 100%");
  return ok_status();
}

Amount Policy::worker_stake(std::uint32_t category) const {
  return percent_of(price(category), worker_stake_ratio);
}

Amount Policy::scheduler_stake(std::uint32_t category) const {
  return percent_of(price(category), scheduler_stake_ratio);
}

Bytes encode_policy(const Policy& p) {
  ByteWriter w(64);
  w.raw(kPolicyTag);
  w.u32(static_cast<std::uint32_t>(p.category_time_ms.size()));
  for (std::size_t i = 0; i < p.category_time_ms.size(); ++i) {
    w.u64(static_cast<std::uint64_t>(p.category_time_ms[i]));
    w.u64(i < p.category_price.size() ? p.category_price[i] : 0);
  }
  w.u32(p.worker_stake_ratio);
  w.u32(p.scheduler_reward_ratio);
  w.u32(p.scheduler_stake_ratio);
  w.u32(p.kitty_ratio);
  w.u64(p.kitty_min);
  return std::move(w).take();
}

Result<Policy> decode_policy(ByteView bytes) {
  ByteReader r(bytes);
  Policy p;
  std::uint32_t n = 0;
  if (!r.expect(kPolicyTag) || !r.u32(n) || n == 0 || n > 256)
    return invalid_argument("policy: bad header");
  p.category_time_ms.assign(n, 0);
  p.category_price.assign(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t t = 0;
    if (!r.u64(t) || !r.u64(p.category_price[i])) return invalid_argument("policy: truncated");
    p.category_time_ms[i] = static_cast<std::int64_t>(t);
  }
  if (!r.u32(p.worker_stake_ratio) || !r.u32(p.scheduler_reward_ratio) ||
      !r.u32(p.scheduler_stake_ratio) || !r.u32(p.kitty_ratio) || !r.u64(p.kitty_min) ||
      !r.at_end()) {
    return invalid_argument("policy: truncated or trailing bytes");
  }
  GPOC_RETURN_IF_ERROR(p.validate());
  return p;
}

std::uint64_t floor_log2(std::uint64_t w) {
  std::uint64_t l = 0;
  while (w > 1) {
    w >>= 1;
    ++l;
  }
  return l;
}

RewardSplit split_reward(Amount total, std::uint32_t scheduler_ratio,
                         const std::vector<std::uint64_t>& shares) {
  RewardSplit out;
  U128 share_sum = 0;
  for (std::uint64_t s : shares) share_sum += s;
  const Amount workers_total =
      percent_of(total, 100 - std::min<std::uint32_t>(scheduler_ratio, 100));
  Amount paid = 0;
  for (std::uint64_t s : shares) {
    Amount r =
        share_sum == 0 ? 0 : static_cast<Amount>(static_cast<U128>(workers_total) * s / share_sum);
    out.workers.push_back(r);
    paid += r;
  }
  out.scheduler = total - paid;
  return out;
}

Amount kitty_share(Amount kitty, const Policy& p) {
  return std::min(std::max(percent_of(kitty, p.kitty_ratio), p.kitty_min), kitty);
}

std::vector<Move> escrow_moves(const Escrow& e) {
  std::vector<Move> out;
  if (e.price > 0) out.push_back({e.requester, Pot::free, e.task, Pot::locked, e.price});
  if (e.scheduler_stake > 0)
    out.push_back({e.pool, Pot::free, e.pool, Pot::locked, e.scheduler_stake});
  return out;
}

std::vector<Move> success_moves(const Escrow& e, const std::vector<StakeResult>& results,
                                const Policy& p, Amount kitty_balance) {
  std::vector<Move> out;
  Amount total = e.price;
  for (const StakeResult& r : results) {
    if (r.winner || !r.slashed || e.worker_stake == 0) continue;
    out.push_back({r.worker, Pot::free, e.task, Pot::locked, e.worker_stake});
    total += e.worker_stake;
  }
  std::vector<std::uint64_t> shares;
  std::vector<PublicKey> winners;
  for (const StakeResult& r : results) {
    if (!r.winner) continue;
    winners.push_back(r.worker);
    shares.push_back(floor_log2(r.weight));
  }
  RewardSplit split = split_reward(total, p.scheduler_reward_ratio, shares);
  if (winners.empty()) split.scheduler = total;  // cannot happen on success; keeps value whole
  for (std::size_t i = 0; i < winners.size(); ++i) {
    if (split.workers[i] > 0)
      out.push_back({e.task, Pot::locked, winners[i], Pot::free, split.workers[i]});
  }
  if (split.scheduler > 0) out.push_back({e.task, Pot::locked, e.pool, Pot::free, split.scheduler});
  if (e.scheduler_stake > 0)
    out.push_back({e.pool, Pot::locked, e.pool, Pot::free, e.scheduler_stake});
  if (Amount k = kitty_share(kitty_balance, p); k > 0)
    out.push_back({kitty_account(), Pot::free, e.pool, Pot::free, k});
  return out;
}

std::vector<Move> failure_moves(const Escrow& e, const std::vector<StakeResult>& results) {
  std::vector<Move> out;
  if (e.price > 0) out.push_back({e.task, Pot::locked, e.requester, Pot::free, e.price});
  if (e.scheduler_stake > 0)
    out.push_back({e.pool, Pot::locked, kitty_account(), Pot::free, e.scheduler_stake});
  for (const StakeResult& r : results) {
    if (r.slashed && e.worker_stake > 0)
      out.push_back({r.worker, Pot::free, kitty_account(), Pot::free, e.worker_stake});
  }
  return out;
}

}  // namespace gpoc
