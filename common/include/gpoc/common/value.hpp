// Token accounts and the moves between them. Every change of value in the ledger is a list of
// moves: from one account's free or locked balance to another's. A move conserves value by
// construction; only a mint (from kMintSource) creates it. Amounts are integers ("units"), and the
// total supply stays below 2^63 so that SQLite can store every balance as an INTEGER.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc {

using Amount = std::uint64_t;
__extension__ using Amount128 = unsigned __int128;
inline constexpr Amount kSupplyMax = (Amount{1} << 63) - 1;

// The source of every mint: all zero bytes, a key nobody holds.
inline constexpr PublicKey kMintSource{};
// The pool's reward kitty: SHA-256("gpoc.kitty"), an account without a private key.
const PublicKey& kitty_account();

enum class Pot : std::uint8_t { free = 0, locked = 1 };

struct Move {
  PublicKey from{};
  Pot from_pot = Pot::free;
  PublicKey to{};
  Pot to_pot = Pot::free;
  Amount amount = 0;
  bool operator==(const Move&) const = default;
};

// Appends / reads a move list: u32 count, then 32+1+32+1+8 bytes each.
void encode_moves(ByteWriter& w, const std::vector<Move>& moves);
bool decode_moves(ByteReader& r, std::vector<Move>& moves);

struct Balance {
  Amount free = 0;
  Amount locked = 0;
  bool operator==(const Balance&) const = default;
};

// Balances in memory. apply() checks every move first and changes nothing when one fails, so a
// batch of moves is all or nothing.
class Accounts {
 public:
  // Loads balances as a ledger holds them; every unit in them counts as minted. Fails when
  // they add up past the supply limit.
  static Result<Accounts> restore(const std::vector<std::pair<PublicKey, Balance>>& balances);
  Balance get(const PublicKey& account) const;
  Status apply(const std::vector<Move>& moves);
  Status apply(const Move& m) { return apply(std::vector<Move>{m}); }
  const std::map<PublicKey, Balance>& all() const { return accounts_; }
  Amount minted() const { return minted_; }
  // free + locked over every account, in 128 bits so an overflow cannot hide a bad sum.
  Amount128 total() const;

 private:
  std::map<PublicKey, Balance> accounts_;
  Amount minted_ = 0;
};

// ---- mints ----------------------------------------------------------------------------------
// The operator's order to create value, signed with the pool's key.
inline constexpr std::string_view kMintTag = "gpoc.mint.v1";
struct MintStatement {
  PublicKey pool_id{};
  PublicKey account{};
  Amount amount = 0;
  std::uint64_t nonce = 0;  // makes each order unique; a replay of the same bytes mints once
  std::string memo;         // up to 256 bytes, e.g. "initial stake"
  bool operator==(const MintStatement&) const = default;
};
Bytes encode_mint(const MintStatement& m);
Result<MintStatement> decode_mint(ByteView bytes);

// ---- pool policy ------------------------------------------------------------------------------
// What the pool charges and asks for, recorded in the ledger ("pool.policy") whenever it changes.
struct Policy {
  std::vector<std::int64_t> category_time_ms = {10'000, 60'000, 600'000, 3'600'000};
  // Price per task per category. All zero by default: a free pool, with no escrow and no stakes.
  std::vector<Amount> category_price = {0, 0, 0, 0};
  std::uint32_t worker_stake_ratio = 30;      // % of the task price each contribution locks
  std::uint32_t scheduler_reward_ratio = 10;  // % of the reward the scheduler keeps
  std::uint32_t scheduler_stake_ratio = 30;   // % of the task price the scheduler locks
  std::uint32_t kitty_ratio = 10;             // % of the kitty paid out with each success
  Amount kitty_min = 1'000'000;               // ... but at least this much (or all of it)
  bool operator==(const Policy&) const = default;

  Status validate() const;
  Amount price(std::uint32_t category) const { return category_price.at(category); }
  Amount worker_stake(std::uint32_t category) const;
  Amount scheduler_stake(std::uint32_t category) const;
};
inline constexpr std::string_view kPolicyTag = "gpoc.policy.v1";
Bytes encode_policy(const Policy& p);
Result<Policy> decode_policy(ByteView bytes);

// ---- settlement (iExec PoCo's distributeRewards / failedWork, in integers) ----------------------
// floor(log2(w)) for w >= 1; a contribution's share of the reward.
std::uint64_t floor_log2(std::uint64_t w);

struct RewardSplit {
  std::vector<Amount> workers;  // in the order of the shares given
  Amount scheduler = 0;         // its ratio plus every unit of rounding dust
};
// workers_total = total * (100 - ratio) / 100, split in proportion to `shares`; the rest to the
// scheduler. Exact in 128-bit arithmetic.
RewardSplit split_reward(Amount total, std::uint32_t scheduler_ratio,
                         const std::vector<std::uint64_t>& shares);
// The kitty's payout on a success: min(max(kitty * ratio / 100, kitty_min), kitty).
Amount kitty_share(Amount kitty, const Policy& p);

// A task's money while it runs: the requester's payment sits locked in the task's own account
// (its id), next to the scheduler's stake locked in the pool's account.
struct Escrow {
  TaskId task{};
  PublicKey requester{};
  PublicKey pool{};
  Amount price = 0;
  Amount scheduler_stake = 0;
  Amount worker_stake = 0;
};
std::vector<Move> escrow_moves(const Escrow& e);

// How one contribution ended, as settlement sees it.
struct StakeResult {
  PublicKey worker{};
  bool winner = false;   // voted with the consensus and revealed it
  bool slashed = false;  // loses its stake (a wrong vote, or rejected for not revealing)
  std::uint64_t weight = 0;
};
// Success: losers' stakes join the price; winners share (100 - ratio)% by floor(log2(weight)); the
// scheduler takes the rest, gets its stake back and the kitty's share.
std::vector<Move> success_moves(const Escrow& e, const std::vector<StakeResult>& results,
                                const Policy& p, Amount kitty_balance);
// Failure: the requester is refunded, the scheduler's stake goes to the kitty, and so do the
// stakes of contributions already rejected; the others keep theirs.
std::vector<Move> failure_moves(const Escrow& e, const std::vector<StakeResult>& results);

}  // namespace gpoc
