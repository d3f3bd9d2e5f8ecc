// The CPU backend: the same kernel bodies as the GPU, run in plain loops. Always built, so every
// machine can run (and every CI run checks) each kernel.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gemm.hpp"
#include "gpoc/common/merkle.hpp"
#include "host_loop.hpp"
#include "kernel_bodies.hpp"
#include "mc_option.hpp"
#include "sorts_host.hpp"
#include "task.hpp"

namespace gpoc::kernels {
namespace {

std::string_view host_arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

// The "model name" line of /proc/cpuinfo where there is one: for operators, not for consensus.
std::string host_cpu_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  for (int lines = 0; lines < 10000 && std::getline(cpuinfo, line); ++lines) {
    if (line.rfind("model name", 0) != 0) continue;
    std::size_t colon = line.find(':');
    if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
  }
  return "host CPU (" + std::string(host_arch()) + ")";
}

std::uint64_t host_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_bytes = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_bytes > 0 ? std::uint64_t(pages) * std::uint64_t(page_bytes) : 0;
}

std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// A sorted multiset has one byte representation, so std::sort here and CUB's radix sort on the
// GPU agree bit for bit without sharing a body.
void sort_u32_on_host(ByteView input, std::uint8_t* output) {
  std::vector<std::uint32_t> values(input.size() / 4);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = load_le32(input.data() + 4 * i);
  std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < values.size(); ++i) store_le32(output + 4 * i, values[i]);
}

void run_on_host(const detail::Task& task, ByteView input, std::uint8_t* output) {
  switch (task.kind) {
    case detail::KernelKind::sha256: {
      // OpenSSL (SHA-NI where the CPU has it) rather than the device body: SHA-256 has one
      // answer, and test_bodies.cpp holds the body the GPU runs to OpenSSL on every machine.
      const std::uint64_t record_bytes = task.param("record_bytes");
      for (std::uint64_t off = 0; off < input.size(); off += record_bytes) {
        const Digest32 d = sha256(input.subspan(off, record_bytes));
        std::copy(d.begin(), d.end(), output + off / record_bytes * detail::kSha256DigestBytes);
      }
      return;
    }
    case detail::KernelKind::sort_u32: sort_u32_on_host(input, output); return;
    case detail::KernelKind::sort_u64: detail::sort_u64_on_host(input, output); return;
    case detail::KernelKind::sort_kv_u64: detail::sort_kv_u64_on_host(input, output); return;
    case detail::KernelKind::histogram_u32:
      detail::histogram_u32_on_host(task, input, output);
      return;
    case detail::KernelKind::mc_option:
      detail::run_mc_option_on_host(input, task.param("paths"), task.param("seed"), output);
      return;
    case detail::KernelKind::gemm_i8:
      detail::gemm_i8_on_host(detail::gemm_shape(task), input, output);
      return;
    case detail::KernelKind::gemm_f32:
      detail::gemm_f32_on_host(detail::gemm_shape(task), input, output);
      return;
  }
}

class CpuBackend final : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }
  std::string execution_class() const override { return "cpu-" + std::string(host_arch()); }

  // Every kernel in the catalog runs on the CPU.
  bool supports(std::string_view id, std::uint32_t version) const override {
    return find_kernel(id, version) != nullptr;
  }

  DeviceDescription device() const override {
    return {.backend = "cpu",
            .name = host_cpu_name(),
            .memory_bytes = host_memory_bytes(),
            .compute_capability = "",
            .count = 1};
  }

  Result<KernelOutput> run(std::string_view id, std::uint32_t version, const Params& params,
                           ByteView input) override {
    GPOC_ASSIGN_OR_RETURN(detail::Task task, detail::check_task(id, version, params, input.size()));
    Bytes output;
    try {
      output.assign(task.output_bytes, detail::kPoisonByte);
    } catch (const std::bad_alloc&) {
      return resource_exhausted(task.info->id + ": cannot allocate " +
                                std::to_string(task.output_bytes) +
                                " bytes of host memory for the output");
    }
    run_on_host(task, input, output.data());
    const Digest32 digest = result_digest(output);
    return KernelOutput{std::move(output), digest};
  }

  Result<Digest32> digest(ByteView data) override { return result_digest(data); }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace gpoc::kernels
