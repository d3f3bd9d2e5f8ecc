// Errors as values at module boundaries: Status carries a code and a message, Result<T> a value
// or a Status. Both are [[nodiscard]] so an ignored error is a compile warning.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gpoc {

enum class ErrorCode {
  ok = 0,
  invalid_argument,  // the caller's input is wrong; retrying it unchanged will fail again
  not_found,
  already_exists,
  failed_precondition,  // the system is not in a state where this is allowed
  resource_exhausted,   // a limit (size, count, queue) was reached
  unauthenticated,      // a signature or key did not check
  permission_denied,
  data_loss,    // stored or received data is corrupt
  unavailable,  // a peer or device cannot be reached now; retrying may help
  deadline_exceeded,
  internal,  // a bug or an unexpected library failure
};

std::string_view error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }
  bool ok() const { return code_ == ErrorCode::ok; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: record_bytes must be > 0"
  std::string to_string() const;
  // Adds context in front of the message, keeping the code.
  Status with_context(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
};

inline Status ok_status() { return Status::ok_status(); }
inline Status invalid_argument(std::string m) {
  return {ErrorCode::invalid_argument, std::move(m)};
}
inline Status not_found(std::string m) { return {ErrorCode::not_found, std::move(m)}; }
inline Status failed_precondition(std::string m) {
  return {ErrorCode::failed_precondition, std::move(m)};
}
inline Status resource_exhausted(std::string m) {
  return {ErrorCode::resource_exhausted, std::move(m)};
}
inline Status unauthenticated(std::string m) { return {ErrorCode::unauthenticated, std::move(m)}; }
inline Status data_loss(std::string m) { return {ErrorCode::data_loss, std::move(m)}; }
inline Status unavailable(std::string m) { return {ErrorCode::unavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::internal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "a Result holding a Status must hold an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gpoc

#define GPOC_CONCAT_INNER_(a, b) a##b
#define GPOC_CONCAT_(a, b) GPOC_CONCAT_INNER_(a, b)

// Returns early from a function returning Status or Result<U> when `expr` (a Status) is an error.
// The variable's name is unique per expansion, so uses may nest (a lambda inside the argument).
#define GPOC_RETURN_IF_ERROR(expr) \
  GPOC_RETURN_IF_ERROR_IMPL_(GPOC_CONCAT_(gpoc_status_, __COUNTER__), expr)
#define GPOC_RETURN_IF_ERROR_IMPL_(var, expr) \
  do {                                        \
    ::gpoc::Status var = (expr);              \
    if (!var.ok()) return var;                \
  } while (0)
// Declares `lhs` from a Result<T> expression, or returns its error.
#define GPOC_ASSIGN_OR_RETURN(lhs, expr) \
  GPOC_ASSIGN_OR_RETURN_IMPL_(GPOC_CONCAT_(gpoc_result_, __LINE__), lhs, expr)
#define GPOC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
