// The SLA book: every SLA's frozen terms, its two pools with their share holders, and its settled
// periods, rebuilt from the ledger's "sla.*" entries. The scheduler and `gpoc ledger verify` run
// the same code: the scheduler builds an entry body with prepare_*(), then both apply it with
// apply(), which re-checks every rule (signatures, staking limits, lock-ups, the settlement
// formula) and yields the value moves. A body that breaks a rule is refused and changes nothing.
//
// Accounts: each SLA's provider pool and user pool are ledger accounts without private keys,
// provider_pool_account(id) and user_pool_account(id). A stake moves the staker's free units into
// a pool account; a withdrawal moves them back less the fees (owner fee to the pool's account,
// protocol fee to the kitty); a settlement moves units between the two pool accounts only, so
// P + U is conserved by construction and apply() checks it. A pool that a settlement empties
// (possible in tiered mode only) has its shares cancelled, so the next stake starts at 1:1.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/sla/settlement.hpp"
#include "gpoc/sla/spec.hpp"

namespace gpoc::sla {

inline constexpr std::string_view kCreateKind = "sla.create";
inline constexpr std::string_view kStakeKind = "sla.stake";
inline constexpr std::string_view kWithdrawKind = "sla.withdraw";
inline constexpr std::string_view kSettleKind = "sla.settle";
inline bool is_sla_kind(std::string_view kind) { return kind.substr(0, 4) == "sla."; }

PublicKey provider_pool_account(const SlaId& id);  // SHA-256("gpoc.sla.provider" || id)
PublicKey user_pool_account(const SlaId& id);      // SHA-256("gpoc.sla.user" || id)

enum class PoolSide : std::uint8_t { provider = 1, user = 2 };
std::string_view side_name(PoolSide s);  // "provider", "user"

// A staker's signed order to stake into or withdraw from one pool of one SLA.
inline constexpr std::string_view kStakeTag = "gpoc.sla.stake.v1";
inline constexpr std::string_view kWithdrawTag = "gpoc.sla.withdraw.v1";
struct StakeStatement {
  bool withdraw = false;  // selects the tag
  PublicKey pool_id{};
  SlaId sla_id{};
  PublicKey staker{};
  PoolSide side = PoolSide::provider;
  Amount amount = 0;  // units staked, or units withdrawn before fees
  std::uint64_t nonce = 0;
  bool operator==(const StakeStatement&) const = default;
};
Bytes encode_stake(const StakeStatement& s);
Result<StakeStatement> decode_stake(ByteView bytes);

// ---- entry bodies (docs/PROTOCOL.md "SLA entries") ----------------------------------------------
// Each body starts with its own tag; "sla.stake" and "sla.withdraw" share one layout.
inline constexpr std::string_view kCreateRecordTag = "gpoc.sla.create.v1";
inline constexpr std::string_view kStakeRecordTag = "gpoc.sla.order.v1";
inline constexpr std::string_view kSettleRecordTag = "gpoc.sla.settle.v1";
struct CreateRecord {  // "sla.create": the terms as the pool signed them
  Bytes spec;          // encode_spec bytes
  Signature signature{};
  bool operator==(const CreateRecord&) const = default;
};
struct StakeRecord {  // "sla.stake" and "sla.withdraw"
  Bytes statement;    // encode_stake bytes, as signed by the staker
  Signature signature{};
  Amount shares = 0;               // minted or burned
  std::uint32_t locked_until = 0;  // stake: withdrawable once this period is settled
  std::vector<Move> moves;
  bool operator==(const StakeRecord&) const = default;
};
struct SettleRecord {  // "sla.settle": one period, measured by the scheduler
  SlaId sla_id{};
  std::uint32_t period = 0;
  PeriodOutcome outcome = PeriodOutcome::no_data;
  std::int64_t sli = 0;       // the measured value (0 for no data)
  std::uint64_t good = 0;     // slices or tasks that met the SLO's event rule
  std::uint64_t total = 0;    // slices or tasks observed
  Digest32 evidence{};        // SHA-256 of the measurement's evidence bytes (sli::Evidence)
  std::uint32_t rate_bp = 0;  // deviation, credit or premium
  Amount provider_before = 0, user_before = 0;
  Amount provider_after = 0, user_after = 0;
  std::vector<Move> moves;
  bool operator==(const SettleRecord&) const = default;
};
Bytes encode_create_record(const CreateRecord& r);
Result<CreateRecord> decode_create_record(ByteView b);
Bytes encode_stake_record(const StakeRecord& r);
Result<StakeRecord> decode_stake_record(ByteView b);
Bytes encode_settle_record(const SettleRecord& r);
Result<SettleRecord> decode_settle_record(ByteView b);
// The moves an "sla.*" entry body carries, without checking it against a book (account histories;
// verifier::entry_moves does not know these kinds). A create moves nothing.
Result<std::vector<Move>> record_moves(std::string_view kind, ByteView body);

// ---- state
// ----------------------------------------------------------------------------------------
struct Holding {
  Amount shares = 0;
  std::uint32_t locked_until = 0;  // its latest stake's lock-up: next_period must pass this
  bool operator==(const Holding&) const = default;
};
struct PoolState {
  Amount value = 0;   // units in the pool account
  Amount supply = 0;  // shares outstanding
  std::map<PublicKey, Holding> holders;
  bool operator==(const PoolState&) const = default;
};
struct SlaState {
  SlaId id{};
  SlaSpec spec;
  std::uint64_t created_seq = 0;  // ledger entry that created it (informational)
  PoolState provider, user;
  std::uint32_t next_period = 0;  // periods settle strictly in order
  std::vector<SettleRecord> settled;
  bool finished() const { return next_period >= spec.periods; }
  bool operator==(const SlaState&) const = default;
};

// Applies a batch of moves to the books (e.g. the engine's accounts or a replay's); fails, with
// nothing changed, when a balance would go negative.
using MoveSink = std::function<Status(const std::vector<Move>&)>;

class Book {
 public:
  explicit Book(PublicKey pool_id) : pool_(pool_id) {}

  // Build entry bodies (nothing changes until apply()).
  Result<Bytes> prepare_create(ByteView spec_bytes, const Signature& pool_signature) const;
  Result<Bytes> prepare_stake(ByteView statement, const Signature& signature) const;
  // Settles period `period` (it must be the next one) with the measured SLI, or no data.
  Result<Bytes> prepare_settle(const SlaId& id, std::uint32_t period,
                               std::optional<std::int64_t> sli, std::uint64_t good,
                               std::uint64_t total, const Digest32& evidence) const;

  // Checks an "sla.*" entry against the rules and the current state, hands its moves to `sink`,
  // and applies it. Errors are data_loss for a body that cannot be right (bad signature, wrong
  // moves) and failed_precondition for a rule the current state forbids (limit, lock-up, unknown
  // SLA, an order or a period applied already); the sink's own error passes through. prepare_*()
  // reports the same rules, with invalid_argument / unauthenticated for bad input.
  Status apply(std::string_view kind, ByteView body, std::uint64_t seq, const MoveSink& sink);

  const SlaState* find(const SlaId& id) const;
  const std::map<SlaId, SlaState>& all() const { return slas_; }
  // The staker's withdrawable units in one pool now (0 when locked up or not a holder).
  Amount withdrawable(const SlaId& id, PoolSide side, const PublicKey& staker) const;

 private:
  PublicKey pool_;
  std::map<SlaId, SlaState> slas_;
  // SHA-256 of every stake and withdrawal statement applied: a signed order takes effect once.
  std::set<Digest32> statements_;
};

}  // namespace gpoc::sla
