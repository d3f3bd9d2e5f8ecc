// Which kernels have a certificate, argument checks, and the random stream the checks draw from.
#include <cstring>
#include <string>

#include "certificates.hpp"

namespace gpoc::kernels {
namespace detail {

CertificateStream::CertificateStream(const CertificateSeed& seed, std::string_view kernel_id,
                                     std::uint32_t round) {
  std::uint8_t round_le[4];
  for (int i = 0; i < 4; ++i) round_le[i] = static_cast<std::uint8_t>(round >> (8 * i));
  key_ = sha256_concat({as_bytes("gpoc.certificate.v1"), as_bytes(kernel_id), ByteView(round_le, 4),
                        ByteView(seed)});
}

void CertificateStream::refill() {
  std::uint8_t counter_le[8];
  for (int i = 0; i < 8; ++i) counter_le[i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
  ++counter_;
  block_ = sha256_concat({ByteView(key_), ByteView(counter_le, 8)});
  used_ = 0;
}

std::uint64_t CertificateStream::next_u64() {
  if (used_ + 8 > block_.size()) refill();
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= std::uint64_t{block_[used_ + static_cast<std::size_t>(i)]} << (8 * i);
  used_ += 8;
  return v;
}

bool CertificateStream::next_bit() {
  if (bits_left_ == 0) {
    bits_ = next_u64();
    bits_left_ = 64;
  }
  const bool bit = (bits_ & 1) != 0;
  bits_ >>= 1;
  --bits_left_;
  return bit;
}

std::uint64_t CertificateStream::below(std::uint64_t bound) {
  // Largest multiple of bound that fits: values at or above it are redrawn.
  const std::uint64_t limit = bound * (UINT64_MAX / bound);
  for (;;) {
    const std::uint64_t v = next_u64();
    if (v < limit) return v % bound;
  }
}

}  // namespace detail

bool has_certificate(std::string_view id, std::uint32_t version) {
  const KernelInfo* info = find_kernel(id, version);
  return info != nullptr && !info->certificate.empty();
}

Result<CertificateVerdict> check_certificate(std::string_view id, std::uint32_t version,
                                             const Params& params, ByteView input, ByteView output,
                                             std::uint32_t rounds, const CertificateSeed& seed) {
  if (rounds < 1 || rounds > 64) {
    return invalid_argument("certificate rounds must be in [1, 64], got " + std::to_string(rounds));
  }
  GPOC_ASSIGN_OR_RETURN(detail::Task task, detail::check_task(id, version, params, input.size()));
  switch (task.kind) {
    case detail::KernelKind::sort_u32:
      return detail::check_sort_certificate(task, input, output, rounds, seed);
    case detail::KernelKind::sort_u64:
      return detail::check_sort_u64_certificate(task, input, output, rounds, seed);
    case detail::KernelKind::sort_kv_u64:
      return detail::check_sort_kv_u64_certificate(task, input, output, rounds, seed);
    case detail::KernelKind::gemm_i8:
      return detail::check_gemm_i8_certificate(task, input, output, rounds, seed);
    case detail::KernelKind::gemm_f32:
      return detail::check_gemm_f32_certificate(task, input, output, rounds, seed);
    case detail::KernelKind::sha256:
    case detail::KernelKind::histogram_u32:
    case detail::KernelKind::mc_option: break;
  }
  // The catalog's `certificate` sentence and this switch must agree (test_certificate.cpp).
  return failed_precondition(task.info->id + " v" + std::to_string(version) +
                             " has no certificate check");
}

}  // namespace gpoc::kernels
