// Certificates: checks of a kernel's output that cost less than running the kernel again
// (Freivalds' test for matrix products, order plus a multiset fingerprint for sorts). The verifier
// runs one on a revealed result with randomness the worker could not know; docs/VERIFICATION.md
// says how a passed certificate counts toward a requester's trust.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {

// 32 bytes of randomness chosen by the checker after the output was fixed (e.g. fresh random
// bytes in the scheduler). A worker that could predict them could forge an output that passes.
using CertificateSeed = std::array<std::uint8_t, 32>;

struct CertificateVerdict {
  bool passed = false;
  std::string method;        // "freivalds", "sorted+fingerprint"
  std::uint32_t rounds = 0;  // independent repetitions run
  // log2 of an upper bound on the probability that a wrong output passes all rounds, e.g. -20
  // for 2^-20; 0 when the check proves nothing. For a floating-point kernel the bound covers
  // outputs that differ from the true product by more than the documented tolerance.
  double log2_false_accept = 0;
  std::string reason;  // why it failed; empty when it passed
};

// True when the kernel has a certificate check.
bool has_certificate(std::string_view id, std::uint32_t version);

// Checks output against input for one task. rounds must be in [1, 64]. An invalid task (the same
// rules as validate_task), a kernel without a certificate or a bad rounds value is an error, and
// so is an input the check cannot cover (gemm_f32 with inf, NaN or products near the float
// range: failed_precondition); an output that is wrong in any way (including the wrong size) is a
// verdict with passed = false.
Result<CertificateVerdict> check_certificate(std::string_view id, std::uint32_t version,
                                             const Params& params, ByteView input, ByteView output,
                                             std::uint32_t rounds, const CertificateSeed& seed);

}  // namespace gpoc::kernels
