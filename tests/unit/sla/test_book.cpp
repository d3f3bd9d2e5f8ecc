#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gpoc/common/sha256.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/sla/book.hpp"

namespace gpoc::sla {
namespace {

constexpr std::int64_t kStart = 1'704'067'200'000;  // 2024-01-01T00:00Z, a Monday

SecretKey key_from(std::uint8_t tag) {
  crypto_init();
  Bytes seed(32, tag);
  return SecretKey::from_seed(seed);
}

// One pool, its book, and the engine's accounts as the move sink.
class BookTest : public ::testing::Test {
 protected:
  BookTest() : pool_key(key_from(1)), book(pool_key.public_key()) {
    for (std::uint8_t i = 0; i < 6; ++i)
      stakers.push_back(key_from(static_cast<std::uint8_t>(10 + i)));
  }

  SlaSpec spec(std::uint32_t periods = 3) const {
    SlaSpec s;
    s.pool_id = pool_key.public_key();
    s.provider = pool_key.public_key();
    s.name = "dsla golden";
    s.sli = Sli::availability;
    s.op = SloOp::gt;
    s.target = 50'000;
    s.period_type = PeriodType::daily;
    s.start_ms = kStart;
    s.periods = periods;
    s.leverage = 1;
    return s;
  }

  MoveSink sink() {
    return [this](const std::vector<Move>& m) { return accounts.apply(m); };
  }

  void fund(const PublicKey& who, Amount amount) {
    ASSERT_TRUE(accounts.apply(Move{kMintSource, Pot::free, who, Pot::free, amount}).ok());
  }

  SlaId create(const SlaSpec& s) {
    const Bytes b = encode_spec(s);
    auto body = book.prepare_create(b, pool_key.sign(b));
    EXPECT_TRUE(body.ok()) << body.status().to_string();
    if (!body.ok()) return {};
    EXPECT_TRUE(book.apply(kCreateKind, *body, ++seq, sink()).ok());
    return sla_id_of(b);
  }

  struct Signed {
    Bytes statement;
    Signature signature;
  };
  Signed order(const SecretKey& who, const SlaId& id, PoolSide side, Amount amount,
               bool withdraw = false) {
    StakeStatement st;
    st.withdraw = withdraw;
    st.pool_id = pool_key.public_key();
    st.sla_id = id;
    st.staker = who.public_key();
    st.side = side;
    st.amount = amount;
    st.nonce = ++nonce;
    Bytes b = encode_stake(st);
    return {b, who.sign(b)};
  }

  // Prepares and applies a stake or a withdrawal; returns the first error.
  // The DTK's golden pools: P = 385 500 from stakers[0], U = 180 000 from stakers[1].
  bool stake_golden_pools(const SlaId& id) {
    fund(stakers[0].public_key(), 385'500);
    fund(stakers[1].public_key(), 180'000);
    return place(stakers[0], id, PoolSide::provider, 385'500).ok() &&
           place(stakers[1], id, PoolSide::user, 180'000).ok();
  }

  Status place(const SecretKey& who, const SlaId& id, PoolSide side, Amount amount,
               bool withdraw = false, Bytes* body_out = nullptr) {
    Signed o = order(who, id, side, amount, withdraw);
    auto body = book.prepare_stake(o.statement, o.signature);
    if (!body.ok()) return body.status();
    if (body_out != nullptr) *body_out = *body;
    return book.apply(withdraw ? kWithdrawKind : kStakeKind, *body, ++seq, sink());
  }

  Result<SettleRecord> settle(const SlaId& id, std::optional<std::int64_t> sli) {
    const SlaState* st = book.find(id);
    if (st == nullptr) return failed_precondition("no such SLA");
    Digest32 evidence{};
    evidence.fill(0xee);
    auto body = book.prepare_settle(id, st->next_period, sli, 9, 10, evidence);
    if (!body.ok()) return body.status();
    GPOC_RETURN_IF_ERROR(book.apply(kSettleKind, *body, ++seq, sink()));
    return decode_settle_record(*body);
  }

  Amount balance(const PublicKey& k) const { return accounts.get(k).free; }

  SecretKey pool_key;
  Book book;
  Accounts accounts;
  std::vector<SecretKey> stakers;
  std::uint64_t seq = 0;
  std::uint64_t nonce = 0;
};

// ---- codecs
// --------------------------------------------------------------------------------------

TEST(SlaRecords, StatementsAndBodiesRoundTripAndRefuseTrailingBytes) {
  StakeStatement st;
  st.pool_id.fill(1);
  st.sla_id.fill(2);
  st.staker.fill(3);
  st.side = PoolSide::user;
  st.amount = 12'345;
  st.nonce = 99;
  for (bool w : {false, true}) {
    st.withdraw = w;
    const Bytes b = encode_stake(st);
    EXPECT_EQ(std::string(as_chars(ByteView(b).first((w ? kWithdrawTag : kStakeTag).size()))),
              w ? kWithdrawTag : kStakeTag);
    auto d = decode_stake(b);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(*d, st);
    Bytes t = b;
    t.push_back(0);
    EXPECT_FALSE(decode_stake(t).ok());
    for (std::size_t n = 0; n < b.size(); ++n)
      EXPECT_FALSE(decode_stake(ByteView(b).first(n)).ok());
  }
  st.withdraw = false;
  Bytes bad_side = encode_stake(st);
  const std::size_t side_at = kStakeTag.size() + 96;
  ASSERT_EQ(bad_side[side_at], 2);
  for (int v : {0, 3, 255}) {
    bad_side[side_at] = static_cast<std::uint8_t>(v);
    EXPECT_FALSE(decode_stake(bad_side).ok()) << int(v);
  }
  st.amount = 0;
  EXPECT_FALSE(decode_stake(encode_stake(st)).ok());

  CreateRecord c{Bytes{1, 2, 3}, Signature{}};
  c.signature.fill(7);
  EXPECT_EQ(*decode_create_record(encode_create_record(c)), c);
  StakeRecord s{encode_stake(StakeStatement{}), Signature{}, 77, 3, {}};
  s.moves.push_back({st.staker, Pot::free, st.pool_id, Pot::free, 5});
  EXPECT_EQ(*decode_stake_record(encode_stake_record(s)), s);
  SettleRecord r;
  r.sla_id.fill(4);
  r.period = 5;
  r.outcome = PeriodOutcome::not_respected;
  r.sli = -3;  // stored as two's complement; the book refuses it, the codec keeps it
  r.good = 1;
  r.total = 2;
  r.evidence.fill(9);
  r.rate_bp = 1'052;
  r.provider_before = 10;
  r.user_before = 20;
  r.provider_after = 8;
  r.user_after = 22;
  r.moves.push_back({st.staker, Pot::free, st.pool_id, Pot::free, 2});
  const Bytes rb = encode_settle_record(r);
  EXPECT_EQ(*decode_settle_record(rb), r);

  for (const Bytes& b : {encode_create_record(c), encode_stake_record(s), rb}) {
    Bytes t = b;
    t.push_back(0);
    EXPECT_FALSE(decode_create_record(t).ok());
    EXPECT_FALSE(decode_stake_record(t).ok());
    EXPECT_EQ(decode_settle_record(t).status().code(), ErrorCode::data_loss);
  }
  const std::size_t outcome_at = kSettleRecordTag.size() + 32 + 4;
  for (int v : {0, 4, 255}) {
    Bytes b = rb;
    b[outcome_at] = static_cast<std::uint8_t>(v);
    EXPECT_EQ(decode_settle_record(b).status().code(), ErrorCode::data_loss) << int(v);
  }
}

TEST(SlaRecords, RecordMovesReadsEveryKind) {
  StakeRecord s{encode_stake(StakeStatement{}), Signature{}, 1, 0, {}};
  s.moves.push_back({PublicKey{}, Pot::free, kitty_account(), Pot::free, 5});
  SettleRecord r;
  r.outcome = PeriodOutcome::respected;
  r.moves.push_back({kitty_account(), Pot::free, kitty_account(), Pot::free, 7});
  EXPECT_EQ(*record_moves(kStakeKind, encode_stake_record(s)), s.moves);
  EXPECT_EQ(*record_moves(kWithdrawKind, encode_stake_record(s)), s.moves);
  EXPECT_EQ(*record_moves(kSettleKind, encode_settle_record(r)), r.moves);
  EXPECT_TRUE(record_moves(kCreateKind, encode_create_record({Bytes{1}, Signature{}}))->empty());
  EXPECT_EQ(record_moves(kSettleKind, encode_stake_record(s)).status().code(),
            ErrorCode::data_loss);
  EXPECT_FALSE(record_moves("task.commit", {}).ok());
}

TEST(SlaRecords, PoolAccountsAreDistinctKeylessHashes) {
  SlaId a{}, b{};
  a.fill(1);
  b.fill(2);
  EXPECT_EQ(provider_pool_account(a),
            sha256_concat({as_bytes(std::string_view("gpoc.sla.provider")), ByteView(a)}));
  EXPECT_EQ(user_pool_account(a),
            sha256_concat({as_bytes(std::string_view("gpoc.sla.user")), ByteView(a)}));
  EXPECT_NE(provider_pool_account(a), user_pool_account(a));
  EXPECT_NE(provider_pool_account(a), provider_pool_account(b));
  EXPECT_EQ(side_name(PoolSide::provider), "provider");
  EXPECT_EQ(side_name(PoolSide::user), "user");
  EXPECT_TRUE(is_sla_kind(kSettleKind));
  EXPECT_FALSE(is_sla_kind("task.commit"));
}

// ---- the golden vectors through the book --------------------------------------------------------

struct Golden {
  std::int64_t sli;
  Amount provider_after, user_after;
};

TEST_F(BookTest, DslaV2GoldenVectorsWithSignedStakes) {
  for (Golden g : {Golden{45'000, 366'564, 198'936}, Golden{30'000, 340'500, 225'000},
                   Golden{60'000, 418'224, 147'276}, Golden{90'000, 430'500, 135'000}}) {
    SCOPED_TRACE("SLI " + std::to_string(g.sli));
    SlaSpec s = spec();
    s.nonce = static_cast<std::uint64_t>(g.sli);
    const SlaId id = create(s);
    ASSERT_TRUE(stake_golden_pools(id));
    auto r = settle(id, g.sli);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->provider_before, 385'500u);
    EXPECT_EQ(r->user_before, 180'000u);
    EXPECT_EQ(r->provider_after, g.provider_after);
    EXPECT_EQ(r->user_after, g.user_after);
    const SlaState* st = book.find(id);
    EXPECT_EQ(st->provider.value, g.provider_after);
    EXPECT_EQ(st->user.value, g.user_after);
    EXPECT_EQ(balance(provider_pool_account(id)), g.provider_after);
    EXPECT_EQ(balance(user_pool_account(id)), g.user_after);
    EXPECT_EQ(st->next_period, 1u);
    ASSERT_EQ(st->settled.size(), 1u);
    EXPECT_EQ(st->settled[0], *r);
  }
}

TEST_F(BookTest, SecondPeriodCompounds) {
  const SlaId id = create(spec());
  ASSERT_TRUE(stake_golden_pools(id));
  ASSERT_TRUE(settle(id, 45'000).ok());
  auto r = settle(id, 45'000);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Amount c = 198'936u * 1'052 / 10'000;
  EXPECT_EQ(r->rate_bp, 1'052u);
  EXPECT_EQ(r->user_after, 198'936u + c);
  EXPECT_EQ(r->user_after, 219'864u);
  EXPECT_EQ(r->provider_after, 366'564u - c);
}

// ---- create
// --------------------------------------------------------------------------------------

TEST_F(BookTest, CreateChecksTermsPoolSignatureAndNovelty) {
  SlaSpec s = spec();
  Bytes b = encode_spec(s);
  EXPECT_EQ(book.prepare_create(b, stakers[0].sign(b)).status().code(), ErrorCode::unauthenticated);
  SlaSpec other = s;
  other.pool_id = stakers[0].public_key();
  Bytes ob = encode_spec(other);
  EXPECT_EQ(book.prepare_create(ob, stakers[0].sign(ob)).status().code(),
            ErrorCode::invalid_argument);
  SlaSpec broken = s;
  broken.leverage = 0;
  Bytes bb = encode_spec(broken);
  EXPECT_EQ(book.prepare_create(bb, pool_key.sign(bb)).status().code(),
            ErrorCode::invalid_argument);

  // A body signed by someone else is data loss when it comes from the ledger.
  CreateRecord forged{b, stakers[0].sign(b)};
  EXPECT_EQ(book.apply(kCreateKind, encode_create_record(forged), 1, sink()).code(),
            ErrorCode::data_loss);
  EXPECT_TRUE(book.all().empty());

  const SlaId id = create(s);
  ASSERT_NE(book.find(id), nullptr);
  EXPECT_EQ(book.find(id)->spec, s);
  EXPECT_EQ(book.find(id)->created_seq, seq);
  EXPECT_EQ(book.prepare_create(b, pool_key.sign(b)).status().code(),
            ErrorCode::failed_precondition);
  CreateRecord again{b, pool_key.sign(b)};
  EXPECT_EQ(book.apply(kCreateKind, encode_create_record(again), 9, sink()).code(),
            ErrorCode::failed_precondition);
  EXPECT_EQ(book.apply("sla.bogus", encode_create_record(again), 9, sink()).code(),
            ErrorCode::invalid_argument);
}

// ---- stakes and withdrawals ---------------------------------------------------------------------

TEST_F(BookTest, UserStakesStayWithinLeverage) {
  SlaSpec s = spec();
  s.leverage = 4;
  const SlaId id = create(s);
  fund(stakers[0].public_key(), 1'000'000);
  fund(stakers[1].public_key(), 1'000'000);
  EXPECT_EQ(place(stakers[1], id, PoolSide::user, 1).code(), ErrorCode::failed_precondition);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 400'000).ok());
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 99'999).ok());
  EXPECT_EQ(place(stakers[1], id, PoolSide::user, 2).code(), ErrorCode::failed_precondition);
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 1).ok());  // (U + 1)·4 == P exactly
  EXPECT_EQ(book.find(id)->user.value, 100'000u);
  EXPECT_EQ(balance(stakers[1].public_key()), 900'000u);
  EXPECT_EQ(balance(user_pool_account(id)), 100'000u);
}

TEST_F(BookTest, StakeSharesMintAtTheSharePrice) {
  const SlaId id = create(spec());
  fund(stakers[0].public_key(), 1'000'000);
  fund(stakers[1].public_key(), 1'000'000);
  fund(stakers[2].public_key(), 1'000'000);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 300'000).ok());
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 100'000).ok());
  ASSERT_TRUE(settle(id, 90'000).ok());  // respected: 25 000 to the providers
  const SlaState* st = book.find(id);
  EXPECT_EQ(st->provider.value, 325'000u);
  EXPECT_EQ(st->provider.supply, 300'000u);
  ASSERT_TRUE(place(stakers[2], id, PoolSide::provider, 13'000).ok());
  EXPECT_EQ(st->provider.holders.at(stakers[2].public_key()).shares, 12'000u);  // 13000·300/325
  EXPECT_EQ(st->provider.supply, 312'000u);
}

TEST_F(BookTest, LockUpHoldsUntilTheStakesPeriodSettles) {
  const SlaId id = create(spec(3));
  fund(stakers[0].public_key(), 1'000'000);
  fund(stakers[1].public_key(), 1'000'000);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 500'000).ok());
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 100'000).ok());
  const PublicKey user = stakers[1].public_key();
  EXPECT_EQ(book.find(id)->user.holders.at(user).locked_until, 0u);
  EXPECT_EQ(book.withdrawable(id, PoolSide::user, user), 0u);
  Status locked = place(stakers[1], id, PoolSide::user, 1'000, true);
  EXPECT_EQ(locked.code(), ErrorCode::failed_precondition);
  EXPECT_NE(locked.message().find("locked until period 0"), std::string::npos) << locked.message();

  ASSERT_TRUE(settle(id, std::nullopt).ok());  // period 0, no data: nothing moves
  EXPECT_EQ(book.withdrawable(id, PoolSide::user, user), 100'000u);
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 1'000, true).ok());
  // A new stake during period 1 locks the whole holding until period 1 settles.
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 500).ok());
  EXPECT_EQ(book.find(id)->user.holders.at(user).locked_until, 1u);
  EXPECT_EQ(place(stakers[1], id, PoolSide::user, 1, true).code(), ErrorCode::failed_precondition);
  ASSERT_TRUE(settle(id, std::nullopt).ok());
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 1, true).ok());
}

TEST_F(BookTest, ProviderWithdrawalsKeepLeverageUntilTheEnd) {
  SlaSpec s = spec(1);
  s.leverage = 2;
  const SlaId id = create(s);
  fund(stakers[0].public_key(), 1'000'000);
  fund(stakers[1].public_key(), 1'000'000);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 300'000).ok());
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 100'000).ok());
  // Locked until period 0 settles, and then the SLA is finished: everything may leave.
  EXPECT_EQ(place(stakers[0], id, PoolSide::provider, 1, true).code(),
            ErrorCode::failed_precondition);
  ASSERT_TRUE(settle(id, 50'000).ok());  // breached at the SLO: dev 0, nothing moves
  EXPECT_TRUE(book.find(id)->finished());
  EXPECT_EQ(place(stakers[0], id, PoolSide::provider, 5).code(), ErrorCode::failed_precondition);
  EXPECT_EQ(book.withdrawable(id, PoolSide::provider, stakers[0].public_key()), 300'000u);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 300'000, true).ok());

  // Before the end, P - a >= U·L.
  SlaSpec s2 = spec(3);
  s2.leverage = 2;
  const SlaId id2 = create(s2);
  ASSERT_TRUE(place(stakers[0], id2, PoolSide::provider, 300'000).ok());
  ASSERT_TRUE(place(stakers[1], id2, PoolSide::user, 100'000).ok());
  ASSERT_TRUE(settle(id2, std::nullopt).ok());
  EXPECT_EQ(book.withdrawable(id2, PoolSide::provider, stakers[0].public_key()), 100'000u);
  EXPECT_EQ(place(stakers[0], id2, PoolSide::provider, 100'001, true).code(),
            ErrorCode::failed_precondition);
  ASSERT_TRUE(place(stakers[0], id2, PoolSide::provider, 100'000, true).ok());
  const SlaState* st = book.find(id2);
  EXPECT_EQ(st->provider.value, 2 * st->user.value);
}

TEST_F(BookTest, WithdrawalPaysFeesToThePoolAndTheKitty) {
  const SlaId id = create(spec(1));
  fund(stakers[0].public_key(), 100'000);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 100'000).ok());
  ASSERT_TRUE(settle(id, std::nullopt).ok());
  Bytes body;
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 10'000, true, &body).ok());
  EXPECT_EQ(balance(stakers[0].public_key()), 9'955u);
  EXPECT_EQ(balance(pool_key.public_key()), 30u);
  EXPECT_EQ(balance(kitty_account()), 15u);
  EXPECT_EQ(balance(provider_pool_account(id)), 90'000u);
  auto rec = decode_stake_record(body);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->shares, 10'000u);
  EXPECT_EQ(rec->moves.size(), 3u);
  EXPECT_EQ(book.find(id)->provider.holders.at(stakers[0].public_key()).shares, 90'000u);
  // More than the holding, or from a non-holder: refused.
  EXPECT_EQ(place(stakers[0], id, PoolSide::provider, 90'001, true).code(),
            ErrorCode::failed_precondition);
  EXPECT_EQ(place(stakers[1], id, PoolSide::provider, 1, true).code(),
            ErrorCode::failed_precondition);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 90'000, true).ok());
  EXPECT_TRUE(book.find(id)->provider.holders.empty());
  EXPECT_EQ(book.find(id)->provider.supply, 0u);
  EXPECT_EQ(accounts.total(), accounts.minted());
}

TEST_F(BookTest, ASignedStatementTakesEffectOnce) {
  const SlaId id = create(spec());
  fund(stakers[0].public_key(), 1'000'000);
  Signed o = order(stakers[0], id, PoolSide::provider, 1'000);
  auto body = book.prepare_stake(o.statement, o.signature);
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE(book.apply(kStakeKind, *body, 1, sink()).ok());
  const auto before = book.all();
  const Accounts acc_before = accounts;
  EXPECT_EQ(book.apply(kStakeKind, *body, 2, sink()).code(), ErrorCode::failed_precondition);
  EXPECT_EQ(book.prepare_stake(o.statement, o.signature).status().code(),
            ErrorCode::failed_precondition);
  EXPECT_EQ(book.all(), before);
  EXPECT_EQ(accounts.all(), acc_before.all());
}

TEST_F(BookTest, AFailedSinkChangesNothing) {
  const SlaId id = create(spec());
  fund(stakers[0].public_key(), 999);
  Signed o = order(stakers[0], id, PoolSide::provider, 1'000);
  auto body = book.prepare_stake(o.statement, o.signature);
  ASSERT_TRUE(body.ok());  // the book does not see balances; the sink does
  const auto before = book.all();
  EXPECT_EQ(book.apply(kStakeKind, *body, 1, sink()).code(), ErrorCode::failed_precondition);
  EXPECT_EQ(book.all(), before);
  // Not marked as applied either: once funded, the same signed order goes through.
  fund(stakers[0].public_key(), 1);
  ASSERT_TRUE(book.apply(kStakeKind, *body, 2, sink()).ok());
  EXPECT_EQ(book.find(id)->provider.value, 1'000u);
}

TEST_F(BookTest, ForgedStakeBodiesAreDataLoss) {
  const SlaId id = create(spec());
  fund(stakers[0].public_key(), 1'000'000);
  Signed o = order(stakers[0], id, PoolSide::provider, 1'000);
  auto body = book.prepare_stake(o.statement, o.signature);
  ASSERT_TRUE(body.ok());
  const StakeRecord good = *decode_stake_record(*body);
  std::vector<StakeRecord> forged(5, good);
  forged[0].shares += 1;
  forged[1].locked_until += 1;
  forged[2].moves[0].amount -= 1;
  forged[3].moves[0].to = stakers[1].public_key();
  forged[4].signature[0] ^= 1;
  const auto before = book.all();
  for (std::size_t i = 0; i < forged.size(); ++i) {
    EXPECT_EQ(book.apply(kStakeKind, encode_stake_record(forged[i]), 1, sink()).code(),
              ErrorCode::data_loss)
        << "forgery " << i;
  }
  EXPECT_EQ(book.apply(kWithdrawKind, *body, 1, sink()).code(), ErrorCode::data_loss);
  EXPECT_EQ(book.all(), before);
  EXPECT_EQ(balance(stakers[0].public_key()), 1'000'000u);
  // A statement for another pool.
  StakeStatement st = *decode_stake(o.statement);
  st.pool_id = stakers[3].public_key();
  st.nonce = 12'345;
  Bytes other = encode_stake(st);
  EXPECT_EQ(book.prepare_stake(other, stakers[0].sign(other)).status().code(),
            ErrorCode::invalid_argument);
  // An SLA nobody created.
  st.pool_id = pool_key.public_key();
  st.sla_id.fill(0x5a);
  Bytes nosla = encode_stake(st);
  EXPECT_EQ(book.prepare_stake(nosla, stakers[0].sign(nosla)).status().code(),
            ErrorCode::failed_precondition);
}

// ---- settlement ---------------------------------------------------------------------------------

TEST_F(BookTest, SettlementIsInOrderAndOnce) {
  const SlaId id = create(spec(2));
  ASSERT_TRUE(stake_golden_pools(id));
  Digest32 ev{};
  EXPECT_EQ(book.prepare_settle(id, 1, 45'000, 0, 0, ev).status().code(),
            ErrorCode::failed_precondition);
  auto body = book.prepare_settle(id, 0, 45'000, 45, 100, ev);
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE(book.apply(kSettleKind, *body, 1, sink()).ok());
  const auto before = book.all();
  const auto acc_before = accounts.all();
  const Status again = book.apply(kSettleKind, *body, 2, sink());
  EXPECT_EQ(again.code(), ErrorCode::failed_precondition);
  EXPECT_NE(again.message().find("period 0"), std::string::npos) << again.message();
  const auto prep = book.prepare_settle(id, 0, 45'000, 45, 100, ev);
  EXPECT_EQ(prep.status().code(), ErrorCode::failed_precondition);
  EXPECT_NE(prep.status().message().find("period 0"), std::string::npos);
  EXPECT_EQ(book.all(), before);
  EXPECT_EQ(accounts.all(), acc_before);

  ASSERT_TRUE(settle(id, 45'000).ok());
  EXPECT_TRUE(book.find(id)->finished());
  EXPECT_EQ(book.prepare_settle(id, 2, 45'000, 0, 0, ev).status().code(),
            ErrorCode::failed_precondition);
  // The measurement must make sense for the SLI.
  const SlaId id2 = create([&] {
    SlaSpec s = spec(2);
    s.nonce = 5;
    return s;
  }());
  EXPECT_EQ(book.prepare_settle(id2, 0, kRatioScale + 1, 0, 0, ev).status().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(book.prepare_settle(id2, 0, -1, 0, 0, ev).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(book.prepare_settle(id2, 0, 50'000, 11, 10, ev).status().code(),
            ErrorCode::invalid_argument);
}

TEST_F(BookTest, ForgedSettleBodiesAreDataLoss) {
  const SlaId id = create(spec(2));
  ASSERT_TRUE(stake_golden_pools(id));
  Digest32 ev{};
  auto body = book.prepare_settle(id, 0, 45'000, 45, 100, ev);
  ASSERT_TRUE(body.ok());
  const SettleRecord good = *decode_settle_record(*body);
  ASSERT_EQ(good.moves.size(), 1u);
  std::vector<SettleRecord> forged(9, good);
  forged[0].rate_bp += 1;
  forged[1].moves[0].amount += 1;  // amount changed, pools kept
  forged[2].provider_after -= 1;   // more to the users, conserved
  forged[2].user_after += 1;
  forged[3].user_after += 1;  // value from nowhere
  forged[4].outcome = PeriodOutcome::respected;
  forged[5].provider_before += 1;
  forged[6].moves[0].from = forged[6].moves[0].to;
  forged[7].outcome = PeriodOutcome::no_data;  // with SLI 45000 left in place
  forged[8].moves.clear();
  const auto before = book.all();
  for (std::size_t i = 0; i < forged.size(); ++i) {
    const Status s = book.apply(kSettleKind, encode_settle_record(forged[i]), 1, sink());
    EXPECT_EQ(s.code(), ErrorCode::data_loss) << "forgery " << i << ": " << s.to_string();
  }
  // A no-data body that still claims the payout.
  SettleRecord no_data = good;
  no_data.outcome = PeriodOutcome::no_data;
  no_data.sli = 0;
  EXPECT_EQ(book.apply(kSettleKind, encode_settle_record(no_data), 1, sink()).code(),
            ErrorCode::data_loss);
  EXPECT_EQ(book.all(), before);
  EXPECT_TRUE(book.apply(kSettleKind, *body, 1, sink()).ok());
}

TEST_F(BookTest, TieredPoolDrainedBySettlementRestartsAtOneToOne) {
  SlaSpec s = spec(3);
  s.op = SloOp::ge;
  s.target = 99'990;
  s.mode = PayoutMode::tiered;
  s.tiers = {{99'990, 1'000}, {99'000, 3'000}, {95'000, 10'000}};
  s.leverage = 2;
  const SlaId id = create(s);
  fund(stakers[0].public_key(), 1'000'000);
  fund(stakers[1].public_key(), 1'000'000);
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 100'000).ok());
  ASSERT_TRUE(place(stakers[1], id, PoolSide::user, 50'000).ok());
  auto r = settle(id, 90'000);  // 100% of U·L = 100 000: all of P
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->rate_bp, 10'000u);
  EXPECT_EQ(r->provider_after, 0u);
  EXPECT_EQ(r->user_after, 150'000u);
  const SlaState* st = book.find(id);
  EXPECT_EQ(st->provider.supply, 0u);
  EXPECT_TRUE(st->provider.holders.empty());
  ASSERT_TRUE(place(stakers[0], id, PoolSide::provider, 7'000).ok());
  EXPECT_EQ(st->provider.supply, 7'000u);
  EXPECT_EQ(book.withdrawable(id, PoolSide::user, stakers[1].public_key()), 150'000u);
}

// ---- properties over random histories -----------------------------------------------------------

// p1/s1 <= p2/s2 for share prices (value per share), exact.
bool price_le(Amount p1, Amount s1, Amount p2, Amount s2) {
  return static_cast<Amount128>(p1) * s2 <= static_cast<Amount128>(p2) * s1;
}

class BookProperty : public BookTest {
 protected:
  // What the histories exercised, so that a generator gone quiet shows as a failure.
  struct Tally {
    int stakes = 0, refused_stakes = 0, withdrawals = 0, locked_refusals = 0;
    int respected = 0, breached = 0, no_data = 0, moved_to_users = 0, moved_to_providers = 0;
  } tally;

  SlaSpec random_spec(std::mt19937_64& rng) {
    SlaSpec s = spec(10 + static_cast<std::uint32_t>(rng() % 30));
    s.leverage = 1 + static_cast<std::uint32_t>(rng() % 5);
    s.op = (rng() % 2 == 0) ? SloOp::ge : SloOp::gt;
    s.target = 90'000 + static_cast<std::int64_t>(rng() % 9'000);
    s.nonce = rng();
    switch (rng() % 3) {
      case 0: break;
      case 1: s.severity = {{80'000, 300}, {95'000, 1'200}}; break;
      case 2:
        s.mode = PayoutMode::tiered;
        s.tiers = {{s.target, 1'000}, {85'000, 3'000}, {70'000, 10'000}};
        s.premium_bp = static_cast<std::uint32_t>(rng() % 3'000);
        break;
    }
    s.owner_fee_bp = static_cast<std::uint32_t>(rng() % 200);
    s.protocol_fee_bp = static_cast<std::uint32_t>(rng() % 100);
    return s;
  }

  // Checks that the book and the accounts agree, and that no value was created or lost.
  void check_books(const SlaId& id) {
    const SlaState* st = book.find(id);
    ASSERT_EQ(balance(provider_pool_account(id)), st->provider.value);
    ASSERT_EQ(balance(user_pool_account(id)), st->user.value);
    ASSERT_EQ(accounts.total(), accounts.minted());
    for (const PoolState* p : {&st->provider, &st->user}) {
      Amount shares = 0;
      Amount128 worth = 0;
      for (const auto& [k, h] : p->holders) {
        ASSERT_GT(h.shares, 0u);
        shares += h.shares;
        worth += value_of_shares(h.shares, p->value, p->supply);
      }
      ASSERT_EQ(shares, p->supply);
      ASSERT_LE(worth, p->value);
    }
  }

  void run(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const SlaId id = create(random_spec(rng));
    const Amount128 funded = 6 * 2'000'000;
    for (const SecretKey& k : stakers) fund(k.public_key(), 2'000'000);
    ASSERT_EQ(accounts.minted(), funded);
    for (int step = 0; step < 400 && !book.find(id)->finished(); ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      const SlaState before = *book.find(id);
      const SlaSpec& s = before.spec;
      const std::uint64_t action = rng() % 20;
      const PoolSide side = (rng() % 2 == 0) ? PoolSide::provider : PoolSide::user;
      const SecretKey* who_p = &stakers[rng() % stakers.size()];
      if (action >= 9 && action < 17 && rng() % 4 != 0) {  // mostly withdraw as a holder
        const PoolState& pool = side == PoolSide::provider ? before.provider : before.user;
        for (const SecretKey& k : stakers)
          if (pool.holders.contains(k.public_key()) && rng() % 2 == 0) who_p = &k;
      }
      const SecretKey& who = *who_p;
      if (action < 9) {  // stake
        const Amount a = 1 + rng() % (side == PoolSide::provider ? 150'000 : 40'000);
        const Status r = place(who, id, side, a);
        const SlaState& after = *book.find(id);
        ++(r.ok() ? tally.stakes : tally.refused_stakes);
        if (r.ok()) {
          ASSERT_EQ(after.next_period, before.next_period);
          const PoolState& p0 = side == PoolSide::provider ? before.provider : before.user;
          const PoolState& p1 = side == PoolSide::provider ? after.provider : after.user;
          // Minting rounds toward the holders already in: the share price never drops.
          ASSERT_TRUE(p0.supply == 0 || price_le(p0.value, p0.supply, p1.value, p1.supply));
          ASSERT_EQ(p1.value, p0.value + a);
          if (side == PoolSide::user) {
            ASSERT_GE(static_cast<Amount128>(after.provider.value),
                      static_cast<Amount128>(after.user.value) * s.leverage);
          }
        } else {
          ASSERT_EQ(after, before) << r.to_string();
        }
      } else if (action < 17) {  // withdraw part or all of a holding, or too much
        const PoolState& pool = side == PoolSide::provider ? before.provider : before.user;
        auto h = pool.holders.find(who.public_key());
        const Amount held = h == pool.holders.end()
                                ? 0
                                : value_of_shares(h->second.shares, pool.value, pool.supply);
        Amount a = 1 + rng() % (held + 2);
        if (rng() % 4 == 0 && held > 0) a = held;
        const bool locked = h != pool.holders.end() && before.next_period <= h->second.locked_until;
        const Status r = place(who, id, side, a, true);
        const SlaState& after = *book.find(id);
        if (locked) ++tally.locked_refusals;
        if (r.ok()) {
          ++tally.withdrawals;
          ASSERT_FALSE(locked) << "a locked holding was withdrawn";
          ASSERT_LE(a, held);
          if (side == PoolSide::provider) {
            ASSERT_GE(static_cast<Amount128>(after.provider.value),
                      static_cast<Amount128>(after.user.value) * s.leverage);
          }
          const PoolState& pa = side == PoolSide::provider ? after.provider : after.user;
          // Burning rounds toward the holders who stay: the share price never drops.
          ASSERT_TRUE(pa.supply == 0 || price_le(pool.value, pool.supply, pa.value, pa.supply));
        } else {
          ASSERT_EQ(after, before) << r.to_string();
          if (h != pool.holders.end() && !locked && a <= held && side == PoolSide::user) {
            ADD_FAILURE() << "an unlocked user withdrawal within the holding was refused: "
                          << r.to_string();
          }
        }
      } else {  // settle the next period
        std::optional<std::int64_t> sli;
        switch (rng() % 8) {
          case 0: break;  // no data
          case 1:
          case 2:
          case 3: sli = 60'000 + static_cast<std::int64_t>(rng() % 40'001); break;
          default:
            sli =
                std::min(kRatioScale, s.target - 3'000 + static_cast<std::int64_t>(rng() % 6'001));
            break;
        }
        auto rec = settle(id, sli);
        ASSERT_TRUE(rec.ok()) << rec.status().to_string();
        const SlaState& after = *book.find(id);
        ASSERT_EQ(static_cast<Amount128>(rec->provider_after) + rec->user_after,
                  static_cast<Amount128>(before.provider.value) + before.user.value);
        ASSERT_EQ(after.next_period, before.next_period + 1);
        ++(rec->outcome == PeriodOutcome::respected       ? tally.respected
           : rec->outcome == PeriodOutcome::not_respected ? tally.breached
                                                          : tally.no_data);
        if (rec->user_after > rec->user_before) ++tally.moved_to_users;
        if (rec->provider_after > rec->provider_before) ++tally.moved_to_providers;
        for (const auto& [k, h] : before.provider.holders) {
          if (after.provider.supply == 0) break;
          const Amount v0 =
              value_of_shares(h.shares, before.provider.value, before.provider.supply);
          const Amount v1 = value_of_shares(h.shares, after.provider.value, after.provider.supply);
          switch (rec->outcome) {
            case PeriodOutcome::respected: ASSERT_GE(v1, v0); break;
            case PeriodOutcome::not_respected: ASSERT_LE(v1, v0); break;
            case PeriodOutcome::no_data: ASSERT_EQ(v1, v0); break;
          }
        }
        for (const auto& [k, h] : before.user.holders) {
          if (after.user.supply == 0) break;
          const Amount v0 = value_of_shares(h.shares, before.user.value, before.user.supply);
          const Amount v1 = value_of_shares(h.shares, after.user.value, after.user.supply);
          switch (rec->outcome) {
            case PeriodOutcome::respected: ASSERT_LE(v1, v0); break;
            case PeriodOutcome::not_respected: ASSERT_GE(v1, v0); break;
            case PeriodOutcome::no_data: ASSERT_EQ(v1, v0); break;
          }
        }
        // Settling the same period again is refused and changes nothing.
        const auto all_before = book.all();
        const auto acc_before = accounts.all();
        const Status again = book.apply(kSettleKind, encode_settle_record(*rec), ++seq, sink());
        ASSERT_EQ(again.code(), ErrorCode::failed_precondition) << again.to_string();
        ASSERT_EQ(book.all(), all_before);
        ASSERT_EQ(accounts.all(), acc_before);
      }
      check_books(id);
      if (HasFatalFailure()) return;
    }
    // Settle what is left, then everyone may leave with what they hold.
    while (!book.find(id)->finished()) ASSERT_TRUE(settle(id, 99'000).ok());
    for (const SecretKey& k : stakers) {
      for (PoolSide side : {PoolSide::provider, PoolSide::user}) {
        const Amount w = book.withdrawable(id, side, k.public_key());
        if (w > 0) {
          ASSERT_TRUE(place(k, id, side, w, true).ok());
        }
      }
    }
    check_books(id);
    ASSERT_EQ(accounts.total(), funded);
  }
};

TEST_F(BookProperty, RandomHistoriesKeepEveryInvariant) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    book = Book(pool_key.public_key());
    accounts = Accounts();
    run(seed);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(tally.stakes, 1'000);
  EXPECT_GT(tally.refused_stakes, 50);
  EXPECT_GT(tally.withdrawals, 200);
  EXPECT_GT(tally.locked_refusals, 50);
  EXPECT_GT(tally.respected, 50);
  EXPECT_GT(tally.breached, 50);
  EXPECT_GT(tally.no_data, 10);
  EXPECT_GT(tally.moved_to_users, 50);
  EXPECT_GT(tally.moved_to_providers, 50);
  std::printf("histories: %d stakes (%d refused), %d withdrawals (%d locked), settled %d/%d/%d\n",
              tally.stakes, tally.refused_stakes, tally.withdrawals, tally.locked_refusals,
              tally.respected, tally.breached, tally.no_data);
}

}  // namespace
}  // namespace gpoc::sla
