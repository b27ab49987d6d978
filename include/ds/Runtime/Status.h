// Errors as values for the runtime: Status (ok or a message) and StatusOr<T> (a value or a Status).
// The runtime builds under -fno-exceptions, and bad user input must never abort, so every fallible
// call returns one of these and the tool's main prints the message.
#ifndef DS_RUNTIME_STATUS_H
#define DS_RUNTIME_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace ds::rt {

class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.failed_ = true;
    s.message_ = std::move(message);
    // An empty message would print as nothing; keep every error visible.
    if (s.message_.empty())
      s.message_ = "unknown error";
    return s;
  }

  bool isOk() const { return !failed_; }
  explicit operator bool() const { return isOk(); }
  const std::string &message() const { return message_; }

  // Prefixes the message with where the error passed through ("matmul: ...").
  Status withContext(const std::string &context) const {
    if (isOk())
      return *this;
    return error(context + ": " + message_);
  }

private:
  bool failed_ = false;
  std::string message_;
};

template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : value_(std::move(value)) {}
  StatusOr(Status status) : status_(std::move(status)) {
    // A StatusOr built from a Status must carry an error; an ok Status without a value is a bug.
    assert(!status_.isOk() && "StatusOr built from an ok Status");
    if (status_.isOk())
      status_ = Status::error("StatusOr built from an ok Status without a value");
  }

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }

  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  T &operator*() & { return *value_; }
  const T &operator*() const & { return *value_; }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace ds::rt

// Returns the Status of EXPR from the enclosing function when it is an error.
#define DS_RETURN_IF_ERROR(expr)                                                                   \
  do {                                                                                             \
    ::ds::rt::Status dsStatus_ = (expr);                                                           \
    if (!dsStatus_.isOk())                                                                         \
      return dsStatus_;                                                                            \
  } while (0)

// Binds the value of a StatusOr expression to a new variable `var`, or returns its error.
#define DS_ASSIGN_OR_RETURN(var, expr)                                                             \
  auto var##OrError = (expr);                                                                      \
  if (!var##OrError)                                                                               \
    return var##OrError.status();                                                                  \
  auto var = std::move(*var##OrError)

#endif // DS_RUNTIME_STATUS_H
