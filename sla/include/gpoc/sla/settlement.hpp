// Period settlement in integer basis points, after DSLA v2 (reference: sla-anchors §1.6):
//   dev = |SLI - SLO| * 20000 / (SLI + SLO), or the severity ladder's penalty; capped at 2500;
//         2500 for == and != objectives.
//   respected: R = P * dev / (L * 10000); if R > U * 2500 / 10000 then R = U * dev / 10000.
//              R moves users -> providers.
//   breached:  C = U * L * dev / 10000;   if C > P * 2500 / 10000 then C = P * dev / 10000.
//              C moves providers -> users.
// Every division floors, which rounds toward the payer. Amounts are exact in 128 bits. The
// tiered mode pays the users credit_bp of U * L on a breach (at most P) and the providers
// premium_bp of U on a respected period. Either way P + U is unchanged.
#pragma once

#include <cstdint>

#include "gpoc/common/value.hpp"
#include "gpoc/sla/spec.hpp"

namespace gpoc::sla {

inline constexpr std::uint32_t kBasisPoints = 10'000;
inline constexpr std::uint32_t kDeviationCapBp = 2'500;
inline constexpr std::uint32_t kPoolCapBp = 2'500;

enum class PeriodOutcome : std::uint8_t {
  respected = 1,      // SLI <op> SLO held: premium to the providers
  not_respected = 2,  // breached: compensation to the users
  no_data = 3,        // nothing was measured (no slices observed, no tasks): nothing moves
};
std::string_view outcome_name(PeriodOutcome o);  // "respected", "breached", "no_data"

// The deviation in basis points for a measured SLI (deviation mode), ladder and caps applied.
std::uint32_t deviation_bp(const SlaSpec& s, std::int64_t sli);
// Tiered mode: the credit for a breached period's SLI (0 when no tier matches).
std::uint32_t credit_bp(const SlaSpec& s, std::int64_t sli);

struct Payout {
  PeriodOutcome outcome = PeriodOutcome::no_data;
  std::uint32_t rate_bp = 0;  // the deviation (deviation mode) or credit/premium (tiered mode)
  Amount amount = 0;          // moved between the pools
  bool to_users = false;      // true: providers -> users (compensation); false: users -> providers
  bool operator==(const Payout&) const = default;
};
// What one period moves, given the pools before it. No data: nothing.
Payout settle_period(const SlaSpec& s, Amount provider_pool, Amount user_pool,
                     std::optional<std::int64_t> sli);

// ---- pool shares (DSLA dTokens)
// ------------------------------------------------------------------- Staking `amount` into a pool
// holding `pool` units against `supply` shares mints amount * supply / pool shares (1:1 when the
// pool or the supply is empty), floored.
Amount shares_for_stake(Amount amount, Amount pool, Amount supply);
// Withdrawing `amount` units burns ceil(amount * supply / pool) shares (rounding toward the
// holders who stay). Fails when pool or supply is zero.
Result<Amount> shares_for_withdrawal(Amount amount, Amount pool, Amount supply);
// The units `shares` are worth: shares * pool / supply, floored.
Amount value_of_shares(Amount shares, Amount pool, Amount supply);
// The withdrawal fees on `amount`: floor(amount * bp / 10000) each.
struct Fees {
  Amount owner = 0;
  Amount protocol = 0;
  bool operator==(const Fees&) const = default;
};
Fees withdrawal_fees(const SlaSpec& s, Amount amount);

}  // namespace gpoc::sla
