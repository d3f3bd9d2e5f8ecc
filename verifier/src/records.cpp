#include "gpoc/verifier/records.hpp"

#include <algorithm>
#include <bit>

#include "gpoc/common/hex.hpp"

namespace gpoc::verifier {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::winner: return "winner";
    case Outcome::wrong_vote: return "wrong_vote";
    case Outcome::unrevealed: return "unrevealed";
    case Outcome::bad_reveal: return "bad_reveal";
    case Outcome::pending: return "pending";
    case Outcome::failed_certificate: return "failed_certificate";
  }
  return "unknown";
}

std::uint32_t trust_bits(std::uint64_t trust) {
  return trust <= 1 ? 0 : static_cast<std::uint32_t>(std::bit_width(trust - 1));
}

// v3 only when there is something v2 cannot say: a certificate, or a vote judged by one.
static bool needs_v3(const TaskRecord& r) {
  return r.certificate.has_value() ||
         std::any_of(r.contributions.begin(), r.contributions.end(),
                     [](const auto& c) { return c.outcome == Outcome::failed_certificate; });
}

static void write_certificate(ByteWriter& w, const std::optional<CertificateRecord>& c) {
  w.u8(c ? 1 : 0);
  if (!c) return;
  std::string_view method = std::string_view(c->method).substr(0, 0xff);
  w.u8(static_cast<std::uint8_t>(method.size()));
  w.raw(method);
  w.u32(c->rounds);
  w.u32(c->bound_bits);
  w.raw(c->seed);
  w.u8(c->decisive ? 1 : 0);
}

static bool read_certificate(ByteReader& rd, std::optional<CertificateRecord>& out) {
  std::uint8_t present = 0, len = 0, decisive = 0;
  if (!rd.u8(present) || present > 1) return false;
  if (present == 0) return true;
  CertificateRecord c;
  if (!rd.u8(len) || !rd.string(len, c.method) || !rd.u32(c.rounds) || !rd.u32(c.bound_bits) ||
      !rd.raw(c.seed) || !rd.u8(decisive) || decisive > 1) {
    return false;
  }
  c.decisive = decisive == 1;
  out = std::move(c);
  return true;
}

Bytes encode_task_record(const TaskRecord& r) {
  ByteWriter w(256 + r.spec.size() + r.contributions.size() * 300);
  const bool v3 = needs_v3(r);
  w.raw(v3 ? kRecordTag : kRecordTagV2);
  w.u8(r.completed ? 1 : 0);
  w.raw(r.task_id);
  w.u32(static_cast<std::uint32_t>(r.spec.size()));
  w.raw(r.spec);
  w.raw(r.requester_signature);
  w.raw(r.digest);
  w.u64(r.output_bytes);
  std::string_view reason = std::string_view(r.reason).substr(0, 0xffff);
  w.u16(static_cast<std::uint16_t>(reason.size()));
  w.raw(reason);
  w.u64(static_cast<std::uint64_t>(r.submitted_ms));
  w.u64(static_cast<std::uint64_t>(r.consensus_ms));
  w.u64(static_cast<std::uint64_t>(r.finished_ms));
  w.u16(static_cast<std::uint16_t>(r.contributions.size()));
  for (const ContributionRecord& c : r.contributions) {
    w.raw(c.worker);
    w.u16(static_cast<std::uint16_t>(c.statement.size()));
    w.raw(c.statement);
    w.raw(c.signature);
    w.u64(c.weight);
    w.u64(c.score_before);
    w.u64(c.score_after);
    w.u8(static_cast<std::uint8_t>(c.outcome));
  }
  w.u64(r.price);
  w.u64(r.scheduler_stake);
  w.u64(r.worker_stake);
  encode_moves(w, r.moves);
  if (v3) write_certificate(w, r.certificate);
  return std::move(w).take();
}

static bool read_contribution(ByteReader& rd, ContributionRecord& c, bool v3) {
  std::uint16_t len = 0;
  ByteView stmt;
  std::uint8_t outcome = 0;
  if (!rd.raw(c.worker) || !rd.u16(len) || !rd.raw(len, stmt) || !rd.raw(c.signature) ||
      !rd.u64(c.weight) || !rd.u64(c.score_before) || !rd.u64(c.score_after) || !rd.u8(outcome)) {
    return false;
  }
  if (outcome < 1 || outcome > (v3 ? 6 : 5)) return false;
  c.statement.assign(stmt.begin(), stmt.end());
  c.outcome = static_cast<Outcome>(outcome);
  return true;
}

Result<TaskRecord> decode_task_record(ByteView bytes) {
  ByteReader rd(bytes);
  TaskRecord r;
  std::uint8_t completed = 0;
  std::uint32_t spec_len = 0;
  std::uint16_t reason_len = 0, n = 0;
  std::uint64_t sub = 0, cons = 0, fin = 0;
  ByteView spec;
  static_assert(kRecordTag.size() == kRecordTagV2.size());
  ByteView tag;
  if (!rd.raw(kRecordTag.size(), tag) ||
      (as_chars(tag) != kRecordTag && as_chars(tag) != kRecordTagV2)) {
    return data_loss("task record: missing tag gpoc.record.v2 or v3");
  }
  const bool v3 = as_chars(tag) == kRecordTag;
  if (!rd.u8(completed) || completed > 1 || !rd.raw(r.task_id) || !rd.u32(spec_len) ||
      !rd.raw(spec_len, spec) || !rd.raw(r.requester_signature) || !rd.raw(r.digest) ||
      !rd.u64(r.output_bytes) || !rd.u16(reason_len) || !rd.string(reason_len, r.reason) ||
      !rd.u64(sub) || !rd.u64(cons) || !rd.u64(fin) || !rd.u16(n)) {
    return data_loss("task record: truncated or malformed header");
  }
  r.completed = completed == 1;
  r.spec.assign(spec.begin(), spec.end());
  r.submitted_ms = static_cast<std::int64_t>(sub);
  r.consensus_ms = static_cast<std::int64_t>(cons);
  r.finished_ms = static_cast<std::int64_t>(fin);
  for (std::uint16_t i = 0; i < n; ++i) {
    ContributionRecord c;
    if (!read_contribution(rd, c, v3))
      return data_loss("task record: contribution " + std::to_string(i) + " malformed");
    r.contributions.push_back(std::move(c));
  }
  if (!rd.u64(r.price) || !rd.u64(r.scheduler_stake) || !rd.u64(r.worker_stake) ||
      !decode_moves(rd, r.moves)) {
    return data_loss("task record: truncated or malformed settlement");
  }
  if (v3 && !read_certificate(rd, r.certificate))
    return data_loss("task record: truncated or malformed certificate");
  if (!rd.at_end()) return data_loss("task record: trailing bytes");
  return r;
}

Status audit_task_record(const TaskRecord& r, const PublicKey& pool_id) {
  if (task_id_of(r.spec) != r.task_id)
    return data_loss("task id is not the hash of the stored spec");
  GPOC_ASSIGN_OR_RETURN(TaskSpec spec, decode_task_spec(r.spec));
  if (!verify_signature(spec.requester_key, r.spec, r.requester_signature)) {
    return unauthenticated("requester signature does not verify");
  }
  std::size_t winners = 0;
  for (std::size_t i = 0; i < r.contributions.size(); ++i) {
    const ContributionRecord& c = r.contributions[i];
    std::string where =
        "contribution " + std::to_string(i) + " (" + to_hex(c.worker).substr(0, 16) + ")";
    GPOC_ASSIGN_OR_RETURN(ContributionStatement st, decode_contribution(c.statement));
    if (st.worker_key != c.worker || st.task_id != r.task_id || st.pool_id != pool_id) {
      return data_loss(where + ": statement names another worker, task or pool");
    }
    if (!verify_signature(c.worker, c.statement, c.signature))
      return unauthenticated(where + ": signature does not verify");
    if (c.outcome == Outcome::winner) {
      ++winners;
      if (!r.completed || st.result_hash != result_hash(r.task_id, r.digest) ||
          st.result_seal != result_seal(c.worker, r.task_id, r.digest)) {
        return data_loss(where + ": winner's vote or seal does not match the committed digest");
      }
    }
  }
  if (r.completed && winners == 0) return data_loss("completed task has no winning contribution");
  if (const auto& c = r.certificate) {
    if (!r.completed) return data_loss("a failed task carries a certificate");
    if (c->method.empty() || c->rounds < 1 || c->rounds > 64)
      return data_loss("certificate has no method or its rounds are outside 1..64");
    if (c->decisive && spec.min_replicas > 1)
      return data_loss("a certificate decided a task whose requester asked for a quorum");
    if (c->decisive && c->bound_bits < trust_bits(spec.trust)) {
      return data_loss("certificate bound 2^-" + std::to_string(c->bound_bits) +
                       " is too weak to decide a task at trust " + std::to_string(spec.trust));
    }
  }
  return ok_status();
}

Bytes encode_accept_record(const AcceptRecord& r) {
  ByteWriter w(160 + r.moves.size() * 74);
  w.raw(kAcceptTag);
  w.raw(r.task_id);
  w.raw(r.requester);
  w.u32(r.category);
  w.u64(r.price);
  w.u64(r.scheduler_stake);
  w.u64(r.worker_stake);
  encode_moves(w, r.moves);
  return std::move(w).take();
}

Result<AcceptRecord> decode_accept_record(ByteView bytes) {
  ByteReader rd(bytes);
  AcceptRecord r;
  if (!rd.expect(kAcceptTag) || !rd.raw(r.task_id) || !rd.raw(r.requester) || !rd.u32(r.category) ||
      !rd.u64(r.price) || !rd.u64(r.scheduler_stake) || !rd.u64(r.worker_stake) ||
      !decode_moves(rd, r.moves) || !rd.at_end()) {
    return data_loss("accept record: malformed (expected gpoc.accept.v1)");
  }
  return r;
}

Bytes encode_mint_record(const MintRecord& r) {
  ByteWriter w(2 + r.statement.size() + 64);
  w.u16(static_cast<std::uint16_t>(r.statement.size()));
  w.raw(r.statement);
  w.raw(r.signature);
  return std::move(w).take();
}

Result<MintRecord> decode_mint_record(ByteView bytes) {
  ByteReader rd(bytes);
  MintRecord r;
  std::uint16_t len = 0;
  ByteView stmt;
  if (!rd.u16(len) || !rd.raw(len, stmt) || !rd.raw(r.signature) || !rd.at_end())
    return data_loss("mint record: malformed");
  r.statement.assign(stmt.begin(), stmt.end());
  return r;
}

Result<std::vector<Move>> entry_moves(std::string_view kind, ByteView body) {
  if (kind == kCommitKind || kind == kFailKind) {
    GPOC_ASSIGN_OR_RETURN(TaskRecord r, decode_task_record(body));
    return r.moves;
  }
  if (kind == kAcceptKind) {
    GPOC_ASSIGN_OR_RETURN(AcceptRecord r, decode_accept_record(body));
    return r.moves;
  }
  if (kind == kMintKind) {
    GPOC_ASSIGN_OR_RETURN(MintRecord r, decode_mint_record(body));
    auto m = decode_mint(r.statement);
    if (!m.ok()) return data_loss("mint record: " + m.status().message());
    return std::vector<Move>{Move{kMintSource, Pot::free, m->account, Pot::free, m->amount}};
  }
  return std::vector<Move>{};
}

std::optional<TaskId> entry_task(std::string_view kind, ByteView body) {
  if (kind == kCommitKind || kind == kFailKind || kind == kAcceptKind) {
    // Both layouts put the task id right after the tag (and, for records, the completed flag).
    const std::size_t at = kind == kAcceptKind ? kAcceptTag.size() : kRecordTag.size() + 1;
    if (body.size() < at + 32) return std::nullopt;
    TaskId id{};
    std::copy(body.begin() + static_cast<std::ptrdiff_t>(at),
              body.begin() + static_cast<std::ptrdiff_t>(at + 32), id.begin());
    return id;
  }
  return std::nullopt;
}

}  // namespace gpoc::verifier
