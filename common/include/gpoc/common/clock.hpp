// Time comes in through an interface so the simulator and tests can drive it.
#pragma once

#include <atomic>
#include <cstdint>

namespace gpoc {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch. Deadlines are stored in this unit.
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
  static SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void advance_ms(std::int64_t d) { now_ += d; }
  void set_ms(std::int64_t t) { now_ = t; }

 private:
  std::atomic<std::int64_t> now_;
};

// Monotonic microseconds for measuring durations (not for deadlines).
std::int64_t monotonic_us();

}  // namespace gpoc
