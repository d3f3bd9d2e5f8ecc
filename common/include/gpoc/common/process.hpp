// Child processes for the demo, the load generator and integration tests: spawn with output to a
// log file, signal, and wait with a bound. The destructor kills a child still running.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gpoc/common/status.hpp"

namespace gpoc {

class Process {
 public:
  Process() = default;
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // argv[0] is the program path. stdout and stderr go to `log` (appended), or are inherited if
  // empty.
  static Result<Process> spawn(const std::vector<std::string>& argv,
                               const std::filesystem::path& log = {});

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits up to timeout_ms; the exit status (or 128+signal) once it has ended, nullopt if still
  // running.
  std::optional<int> wait(int timeout_ms);
  // SIGTERM, then SIGKILL after grace_ms; returns the exit status.
  int stop(int grace_ms = 3000);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// The running executable (for spawning its own subcommands).
std::filesystem::path self_executable();

}  // namespace gpoc
