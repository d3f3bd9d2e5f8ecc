#include <dlfcn.h>

#include <string>

#include "cublas_library.cuh"

namespace gpoc::kernels::detail {
namespace {

struct LoadedCublas {
  CublasApi api;
  bool ok = false;
  LibraryVersion version;   // meaningful when ok
  std::string description;  // what was loaded, or why nothing was
};

template <typename Fn>
bool resolve(void* library, const char* symbol, Fn& fn, std::string& error) {
  (void)dlerror();  // clear any earlier error so the check below sees this lookup's
  void* address = dlsym(library, symbol);
  if (address == nullptr) {
    const char* why = dlerror();
    error = std::string("symbol ") + symbol + " not found" + (why ? std::string(": ") + why : "");
    return false;
  }
  fn = reinterpret_cast<Fn>(address);
  return true;
}

bool resolve_all(void* library, CublasApi& api, std::string& error) {
  return resolve(library, "cublasCreate_v2", api.create, error) &&
         resolve(library, "cublasDestroy_v2", api.destroy, error) &&
         resolve(library, "cublasSetStream_v2", api.set_stream, error) &&
         resolve(library, "cublasSetWorkspace_v2", api.set_workspace, error) &&
         resolve(library, "cublasSetMathMode", api.set_math_mode, error) &&
         resolve(library, "cublasSgemm_v2", api.sgemm, error) &&
         resolve(library, "cublasGetStatusName", api.status_name, error) &&
         resolve(library, "cublasGetProperty", api.get_property, error);
}

LoadedCublas load() {
  LoadedCublas out;
  const std::string versioned = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  std::string failures;
  for (const std::string& name : {versioned, std::string("libcublas.so")}) {
    void* library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = dlerror();
      failures += (failures.empty() ? "" : "; ") + name + ": " + (why ? why : "not found");
      continue;
    }
    std::string error;
    int major = 0, minor = 0, patch = 0;
    if (!resolve_all(library, out.api, error) ||
        out.api.get_property(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS ||
        out.api.get_property(MINOR_VERSION, &minor) != CUBLAS_STATUS_SUCCESS ||
        out.api.get_property(PATCH_LEVEL, &patch) != CUBLAS_STATUS_SUCCESS) {
      failures += (failures.empty() ? "" : "; ") + name + ": " +
                  (error.empty() ? std::string("cublasGetProperty failed") : error);
      out.api = CublasApi{};
      continue;  // the handle stays open: dlclose of a half-used CUDA library is not worth it
    }
    const std::string version =
        std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    if (major != CUBLAS_VER_MAJOR) {  // another major version may differ in ABI
      failures += (failures.empty() ? "" : "; ") + name + ": is cuBLAS " + version +
                  ", this build needs cuBLAS " + std::to_string(CUBLAS_VER_MAJOR);
      out.api = CublasApi{};
      continue;
    }
    out.ok = true;
    out.version = {.major = major, .minor = minor, .patch = patch};
    out.description = name + " (cuBLAS " + version + ")";
    return out;
  }
  out.description = "cuBLAS could not be loaded (" + failures + ")";
  return out;
}

const LoadedCublas& loaded() {
  static const LoadedCublas instance = load();  // initialised once, thread-safe
  return instance;
}

}  // namespace

Result<std::string> cublas_library() {
  if (!loaded().ok) return unavailable(loaded().description);
  return loaded().description;
}

std::optional<LibraryVersion> cublas_version() {
  if (!loaded().ok) return std::nullopt;
  return loaded().version;
}

const CublasApi* cublas_api() { return loaded().ok ? &loaded().api : nullptr; }

}  // namespace gpoc::kernels::detail
