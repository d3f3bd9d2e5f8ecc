// Certificates on the scheduler's side: which tasks get one, and running it on an uploaded output
// with randomness drawn after the output was fixed (docs/VERIFICATION.md, "Certificates").
#include <spdlog/spdlog.h>

#include <cmath>

#include "gpoc/common/hex.hpp"
#include "gpoc/kernels/certificate.hpp"
#include "impl.hpp"

namespace gpoc::scheduler {

bool certifiable(const TaskSpec& spec) {
  const kernels::KernelInfo* info = kernels::find_kernel(spec.kernel_id, spec.kernel_version);
  // An `arch` kernel's certificate shows "close to the true result", never "the bytes the
  // replicas would agree on", so only `exact` kernels count a certificate toward trust.
  return info != nullptr && info->determinism == kernels::Determinism::exact &&
         kernels::has_certificate(spec.kernel_id, spec.kernel_version);
}

// Whole bits of certainty in a pass: floor(-log2 ε), rounded down so the bound still holds.
static std::uint32_t verdict_bits(const kernels::CertificateVerdict& v) {
  const double bits = std::floor(-v.log2_false_accept);
  if (!v.passed || !(bits > 0)) return 0;
  return bits >= 4096 ? 4096 : static_cast<std::uint32_t>(bits);
}

// One round first; when that is not enough for the trust, as many rounds as it takes (at most
// the check's 64). Round r's randomness depends only on the seed and r, so the second run repeats
// the first round and adds the others.
static Result<kernels::CertificateVerdict> run_check(const TaskSpec& spec, ByteView input,
                                                     ByteView output, std::uint64_t trust,
                                                     const kernels::CertificateSeed& seed) {
  const std::uint32_t need = verifier::trust_bits(trust);
  GPOC_ASSIGN_OR_RETURN(auto v, kernels::check_certificate(spec.kernel_id, spec.kernel_version,
                                                           spec.params, input, output, 1, seed));
  if (!v.passed || verdict_bits(v) >= need || !(v.log2_false_accept < 0)) return v;
  auto rounds = static_cast<std::uint32_t>(
      std::min(64.0, std::ceil(static_cast<double>(need) / -v.log2_false_accept)));
  for (; rounds <= 64; ++rounds) {  // one more when rounding left it a bit short
    GPOC_ASSIGN_OR_RETURN(v, kernels::check_certificate(spec.kernel_id, spec.kernel_version,
                                                        spec.params, input, output, rounds, seed));
    if (!v.passed || verdict_bits(v) >= need) break;
  }
  return v;
}

void Scheduler::Impl::certify(const verifier::CertifyAction& c) {
  verifier::CertificateReport rep;
  rep.task_id = c.task_id;
  rep.digest = c.digest;
  auto in = inputs.find(c.task_id);
  auto out = outputs.find(c.task_id);
  const Bytes* spec_bytes = engine->task_spec_bytes(c.task_id);
  auto spec = spec_bytes != nullptr ? decode_task_spec(*spec_bytes)
                                    : Result<TaskSpec>(not_found("task is not active"));
  if (in == inputs.end() || out == outputs.end() || !spec.ok()) {
    rep.reason = "the scheduler does not hold the task's input, output or spec";
  } else {
    random_fill(rep.seed.data(), rep.seed.size());  // now: after the output was fixed
    auto v = run_check(*spec, in->second, out->second, c.trust, rep.seed);
    if (!v.ok()) {
      rep.reason = v.status().message();
    } else {
      rep.ran = true;
      rep.passed = v->passed;
      rep.method = v->method;
      rep.rounds = v->rounds;
      rep.bound_bits = verdict_bits(*v);
      rep.reason = v->reason;
    }
  }
  const std::string id = to_hex(c.task_id).substr(0, 16);
  if (rep.ran && rep.passed) {
    ++stats.certified;
    spdlog::debug("task {}: certificate {} passed ({} round(s), bound 2^-{})", id, rep.method,
                  rep.rounds, rep.bound_bits);
  } else if (rep.ran) {
    ++stats.certificate_failures;
    spdlog::warn("task {}: uploaded output fails its certificate ({}): {}", id, rep.method,
                 rep.reason);
    outputs.erase(c.task_id);  // a wrong output is never committed
  } else {
    spdlog::warn("task {}: certificate could not run, the votes decide: {}", id, rep.reason);
  }
  if (Status s = engine->on_certificate(rep, now()); !s.ok())
    spdlog::warn("task {}: certificate verdict refused: {}", id, s.to_string());
}

}  // namespace gpoc::scheduler
