// The kernel catalog and the backends that run it. This header compiles with g++ alone: the CUDA
// backend hides behind the Backend interface, so callers never see a CUDA type.
//
// Most built-in kernels are determinism class `exact`: their output bytes are identical on the CPU
// backend and on every GPU, so replicas on different hardware vote on one digest. A kernel of class
// `arch` (gemm_f32) is identical only within one execution class, which workers report.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc::kernels {

// exact: bitwise identical on every GPU model and on the CPU backend.
// arch: bitwise identical within one execution class (GPU architecture + toolkit + build).
enum class Determinism { exact, arch };
std::string_view determinism_name(Determinism d);  // "exact" / "arch"

// Task parameters as (name, decimal value) pairs. Callers keep them sorted by name (the canonical
// order of a task spec); the order does not change a result, and a name may appear only once.
using Params = std::vector<std::pair<std::string, std::string>>;

// One unsigned integer parameter; its value is a canonical decimal string (no sign, no leading
// zeros) in [min_value, max_value]. An optional parameter that is absent takes default_value.
struct ParamSpec {
  std::string name;
  std::string doc;
  bool required = false;
  std::string default_value;
  std::uint64_t min_value = 0;
  std::uint64_t max_value = 0;
};

struct KernelInfo {
  std::string id;
  std::uint32_t version = 0;
  Determinism determinism = Determinism::exact;
  std::string summary;
  std::string input_layout;   // the canonical byte layout the kernel reads
  std::string output_layout;  // the canonical byte layout it writes (what the digest covers)
  std::vector<ParamSpec> params;
  std::uint64_t input_bytes_max = 0;
  std::uint64_t output_bytes_max = 0;  // a task whose output would be larger is rejected
  // The certificate check (certificate.hpp) and its error bound in a sentence; empty when the
  // kernel has none.
  std::string certificate;
};

// Every built-in kernel, in a fixed order.
const std::vector<KernelInfo>& kernel_catalog();
// nullptr when no kernel has this id and version.
const KernelInfo* find_kernel(std::string_view id, std::uint32_t version);

// Checks a task before anything runs: kernel id and version, parameters (unknown or repeated
// names, non-numeric values, out of range, missing required) and the input size (a whole number
// of records, within input_bytes_max, output within output_bytes_max). Returns the exact output
// size in bytes, or an error whose message a user can act on, e.g.
// "sha256: input of 1001 bytes is not a multiple of record_bytes=64".
Result<std::uint64_t> validate_task(std::string_view id, std::uint32_t version,
                                    const Params& params, std::uint64_t input_bytes);

struct DeviceDescription {
  std::string backend;             // "cpu" or "cuda"
  std::string name;                // CPU model or GPU product name
  std::uint64_t memory_bytes = 0;  // host RAM for the CPU, global memory for a GPU
  std::string compute_capability;  // "9.0" for a GPU; empty for the CPU
  std::uint32_t count = 0;         // CUDA devices visible to the process; 1 for the CPU
};

struct KernelOutput {
  Bytes data;       // the output in its documented layout
  Digest32 digest;  // gpoc::result_digest(data), computed where the output lives
};

// Runs catalog kernels on one device. The CPU backend is stateless and safe to share between
// threads; the CUDA backend is too (each call uses its own stream), but once it has seen a sticky
// CUDA error it refuses all further work and the process should be restarted.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;  // "cpu" or "cuda"
  // "cpu-x86_64"; "cuda-sm90x132-cuda13.0-cublas13.1.0" (architecture, SM count, toolkit, and the
  // loaded cuBLAS when there is one): cuBLAS promises identical bits only on GPUs with the same
  // architecture and number of SMs, from the same cuBLAS build.
  virtual std::string execution_class() const = 0;
  virtual DeviceDescription device() const = 0;
  // True when this backend can run the catalog kernel (the CPU runs all of them; the CUDA backend
  // runs gemm_f32 only when cuBLAS could be loaded). A worker advertises only these kernels.
  virtual bool supports(std::string_view id, std::uint32_t version) const = 0;
  // Validates the task (validate_task), then runs it. The digest is computed where the output
  // lives: on the GPU for CUDA, with OpenSSL on the CPU. A kernel failure is an error Status,
  // never output.
  virtual Result<KernelOutput> run(std::string_view id, std::uint32_t version, const Params& params,
                                   ByteView input) = 0;
  // The result digest (gpoc::result_digest) of arbitrary bytes, computed on this backend.
  virtual Result<Digest32> digest(ByteView data) = 0;
};

std::unique_ptr<Backend> make_cpu_backend();
// True when this build contains the CUDA backend (nvcc was found and GPOC_CUDA was not OFF).
bool cuda_compiled();
// The CUDA backend on one device; an `unavailable` error saying why when the build has no CUDA
// backend, no device is present (no driver counts as none) or the build has no code for it.
Result<std::unique_ptr<Backend>> make_cuda_backend(int device_ordinal = 0);
// The best backend available: CUDA device 0 when compiled and present, unless force_cpu; the CPU
// otherwise. When reason is not null it receives what was chosen and why.
std::unique_ptr<Backend> make_backend(bool force_cpu, std::string* reason);

}  // namespace gpoc::kernels
