// The built-in kernels and the checks every task passes before it runs.
#include <cassert>
#include <charconv>
#include <optional>
#include <string>

#include "gemm.hpp"
#include "gpoc/common/merkle.hpp"
#include "kernel_bodies.hpp"
#include "mc_option.hpp"
#include "sorts_catalog.hpp"
#include "task.hpp"

namespace gpoc::kernels {
namespace {

static_assert(detail::kMerkleLeafBytes == gpoc::kDigestLeafBytes,
              "the device digest must use the leaf size of gpoc::result_digest");

// Bounds the memory one task can claim on a worker (input, output and digest tree together);
// larger data sets are split across tasks.
constexpr std::uint64_t kTaskBytesMax = std::uint64_t{1} << 30;

KernelInfo sha256_info() {
  return {
      .id = "sha256",
      .version = 1,
      .determinism = Determinism::exact,
      .summary = "SHA-256 (FIPS 180-4) of each fixed-size record",
      .input_layout =
          "n records of record_bytes bytes each, packed back to back with no padding "
          "or length prefix; input size = n * record_bytes, n >= 0",
      .output_layout =
          "n SHA-256 digests of 32 bytes each (standard byte order), packed in "
          "record order: bytes [32i, 32i+32) are SHA-256(record i); size = 32 * n",
      .params = {{.name = "record_bytes",
                  .doc = "bytes per record",
                  .required = false,
                  .default_value = "64",
                  .min_value = 1,
                  .max_value = 1048576}},
      .input_bytes_max = kTaskBytesMax,
      .output_bytes_max = kTaskBytesMax,
      .certificate = {},
  };
}

KernelInfo sort_u32_info() {
  return {
      .id = "sort_u32",
      .version = 1,
      .determinism = Determinism::exact,
      .summary = "sort unsigned 32-bit integers ascending",
      .input_layout =
          "n unsigned 32-bit integers, little-endian, packed; input size = 4 * n, n >= 0",
      .output_layout =
          "the same n values (duplicates kept) in ascending numeric order, as "
          "little-endian unsigned 32-bit integers, packed; size = 4 * n",
      .params = {},
      .input_bytes_max = kTaskBytesMax,
      .output_bytes_max = kTaskBytesMax,
      .certificate =
          "the output is in ascending order, and prod(z - x) mod 2^61-1 at a random z is the "
          "same over input and output values (equal multisets); a wrong output passes one "
          "round with probability at most n/(2^61-1)",
  };
}

struct CatalogEntry {
  detail::KernelKind kind;
  KernelInfo info;
};

const std::vector<CatalogEntry>& catalog_entries() {
  static const std::vector<CatalogEntry> entries = {
      {detail::KernelKind::sha256, sha256_info()},
      {detail::KernelKind::sort_u32, sort_u32_info()},
      {detail::KernelKind::sort_u64, detail::sort_u64_info(kTaskBytesMax)},
      {detail::KernelKind::sort_kv_u64, detail::sort_kv_u64_info(kTaskBytesMax)},
      {detail::KernelKind::histogram_u32, detail::histogram_u32_info(kTaskBytesMax)},
      {detail::KernelKind::mc_option, detail::mc_option_info()},
      {detail::KernelKind::gemm_i8, detail::gemm_i8_info()},
      {detail::KernelKind::gemm_f32, detail::gemm_f32_info()},
  };
  return entries;
}

const CatalogEntry* find_entry(std::string_view id, std::uint32_t version) {
  for (const CatalogEntry& e : catalog_entries()) {
    if (e.info.id == id && e.info.version == version) return &e;
  }
  return nullptr;
}

// User-supplied names go into messages and logs: quoted, and cut short if they are long.
std::string quoted(std::string_view s) {
  constexpr std::size_t kShownMax = 64;
  if (s.size() > kShownMax) return "\"" + std::string(s.substr(0, kShownMax)) + "...\"";
  return "\"" + std::string(s) + "\"";
}

// "sha256 v1, sort_u32 v1", or only the versions of one id.
std::string list_kernels(std::string_view only_id = {}) {
  std::string out;
  for (const CatalogEntry& e : catalog_entries()) {
    if (!only_id.empty() && e.info.id != only_id) continue;
    if (!out.empty()) out += ", ";
    out += e.info.id + " v" + std::to_string(e.info.version);
  }
  return out;
}

Status unknown_kernel(std::string_view id, std::uint32_t version) {
  const std::string versions = list_kernels(id);
  if (versions.empty()) {
    return not_found("unknown kernel " + quoted(id) + " (known kernels: " + list_kernels() + ")");
  }
  return not_found("kernel " + quoted(id) + " has no version " + std::to_string(version) +
                   " (available: " + versions + ")");
}

// Only the canonical spelling is accepted (digits, no sign, no leading zeros) so that one value
// has one spelling in the task spec that replicas hash.
std::optional<std::uint64_t> parse_canonical_u64(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc() || end != text.data() + text.size()) return std::nullopt;  // overflow
  return value;
}

Result<std::uint64_t> parse_param(const KernelInfo& k, const ParamSpec& spec,
                                  std::string_view text) {
  const std::string what = k.id + ": parameter " + spec.name + "=" + quoted(text);
  std::optional<std::uint64_t> value = parse_canonical_u64(text);
  if (!value) {
    return invalid_argument(what +
                            " is not a decimal integer (digits only, no sign or leading zeros)");
  }
  if (*value < spec.min_value || *value > spec.max_value) {
    return invalid_argument(what + " is out of range [" + std::to_string(spec.min_value) + ", " +
                            std::to_string(spec.max_value) + "]");
  }
  return *value;
}

std::string param_names(const KernelInfo& k) {
  if (k.params.empty()) return "this kernel takes no parameters";
  std::string out = "parameters: ";
  for (std::size_t i = 0; i < k.params.size(); ++i) out += (i ? ", " : "") + k.params[i].name;
  return out;
}

// Fills values (in k.params order) from params, applying defaults.
Status bind_params(const KernelInfo& k, const Params& params, std::vector<std::uint64_t>& values) {
  std::vector<bool> seen(k.params.size(), false);
  values.assign(k.params.size(), 0);
  for (const auto& [name, text] : params) {
    std::size_t i = 0;
    while (i < k.params.size() && k.params[i].name != name) ++i;
    if (i == k.params.size()) {
      return invalid_argument(k.id + ": unknown parameter " + quoted(name) + " (" + param_names(k) +
                              ")");
    }
    if (seen[i]) return invalid_argument(k.id + ": parameter " + name + " is given more than once");
    seen[i] = true;
    GPOC_ASSIGN_OR_RETURN(values[i], parse_param(k, k.params[i], text));
  }
  for (std::size_t i = 0; i < k.params.size(); ++i) {
    if (seen[i]) continue;
    if (k.params[i].required) {
      return invalid_argument(k.id + ": missing required parameter " + k.params[i].name);
    }
    Result<std::uint64_t> fallback = parse_param(k, k.params[i], k.params[i].default_value);
    assert(fallback.ok() && "a catalog default must satisfy its own range");
    values[i] = fallback.value();
  }
  return ok_status();
}

std::string bytes_text(std::uint64_t n) { return std::to_string(n) + " bytes"; }

// The kernel-specific input rule and the exact output size.
Result<std::uint64_t> output_bytes_for(const detail::Task& t) {
  const std::string& id = t.info->id;
  switch (t.kind) {
    case detail::KernelKind::sha256: {
      const std::uint64_t record_bytes = t.param("record_bytes");
      if (t.input_bytes % record_bytes != 0) {
        return invalid_argument(
            id + ": input of " + bytes_text(t.input_bytes) +
            " is not a multiple of record_bytes=" + std::to_string(record_bytes));
      }
      return t.input_bytes / record_bytes * detail::kSha256DigestBytes;
    }
    case detail::KernelKind::sort_u32:
      if (t.input_bytes % 4 != 0) {
        return invalid_argument(id + ": input of " + bytes_text(t.input_bytes) +
                                " is not a multiple of 4 (little-endian u32 values)");
      }
      return t.input_bytes;
    case detail::KernelKind::sort_u64: return detail::sort_u64_output_bytes(t);
    case detail::KernelKind::sort_kv_u64: return detail::sort_kv_u64_output_bytes(t);
    case detail::KernelKind::histogram_u32: return detail::histogram_u32_output_bytes(t);
    case detail::KernelKind::mc_option: return detail::mc_option_output_bytes(t);
    case detail::KernelKind::gemm_i8:
    case detail::KernelKind::gemm_f32: return detail::gemm_output_bytes(t);
  }
  return internal_error(id + ": no input rule for this kernel");
}

}  // namespace

std::string_view determinism_name(Determinism d) {
  switch (d) {
    case Determinism::exact: return "exact";
    case Determinism::arch: return "arch";
  }
  return "unknown";
}

const std::vector<KernelInfo>& kernel_catalog() {
  static const std::vector<KernelInfo> catalog = [] {
    std::vector<KernelInfo> infos;
    for (const CatalogEntry& e : catalog_entries()) infos.push_back(e.info);
    return infos;
  }();
  return catalog;
}

const KernelInfo* find_kernel(std::string_view id, std::uint32_t version) {
  for (const KernelInfo& k : kernel_catalog()) {
    if (k.id == id && k.version == version) return &k;
  }
  return nullptr;
}

Result<std::uint64_t> validate_task(std::string_view id, std::uint32_t version,
                                    const Params& params, std::uint64_t input_bytes) {
  GPOC_ASSIGN_OR_RETURN(detail::Task task, detail::check_task(id, version, params, input_bytes));
  return task.output_bytes;
}

namespace detail {

std::uint64_t Task::param(std::string_view name) const {
  for (std::size_t i = 0; i < info->params.size(); ++i) {
    if (info->params[i].name == name) return param_values[i];
  }
  assert(false && "a kernel asked for a parameter it does not declare");
  return 0;
}

Result<Task> check_task(std::string_view id, std::uint32_t version, const Params& params,
                        std::uint64_t input_bytes) {
  const CatalogEntry* entry = find_entry(id, version);
  if (entry == nullptr) return unknown_kernel(id, version);
  Task task{.kind = entry->kind,
            .info = find_kernel(id, version),
            .param_values = {},
            .input_bytes = input_bytes,
            .output_bytes = 0};
  const KernelInfo& k = *task.info;
  GPOC_RETURN_IF_ERROR(bind_params(k, params, task.param_values));
  if (input_bytes > k.input_bytes_max) {
    return resource_exhausted(k.id + ": input of " + bytes_text(input_bytes) +
                              " exceeds input_bytes_max=" + std::to_string(k.input_bytes_max) +
                              "; split the data across several tasks");
  }
  GPOC_ASSIGN_OR_RETURN(task.output_bytes, output_bytes_for(task));
  if (task.output_bytes > k.output_bytes_max) {
    return resource_exhausted(k.id + ": output of " + bytes_text(task.output_bytes) +
                              " exceeds output_bytes_max=" + std::to_string(k.output_bytes_max) +
                              "; split the data across several tasks");
  }
  return task;
}

std::optional<KernelKind> find_kind(std::string_view id, std::uint32_t version) {
  const CatalogEntry* entry = find_entry(id, version);
  if (entry == nullptr) return std::nullopt;
  return entry->kind;
}

}  // namespace detail
}  // namespace gpoc::kernels
