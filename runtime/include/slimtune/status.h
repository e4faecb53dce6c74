// Status values: how the runtime reports errors. The runtime never aborts or exits on bad
// input; every fallible call returns a Status (or an Expected<T>) whose message names the
// file or object and what is wrong, ready to print as one line.
#ifndef SLIMTUNE_STATUS_H
#define SLIMTUNE_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace slimtune {

class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool isOk() const { return !message_.has_value(); }
  explicit operator bool() const { return isOk(); }
  // The error message; empty for ok.
  const std::string &message() const {
    static const std::string empty;
    return message_ ? *message_ : empty;
  }
  // Prefixes the message with context, e.g. the file name: "model.safetensors: ...".
  Status withContext(const std::string &context) && {
    if (message_)
      *message_ = context + ": " + *message_;
    return std::move(*this);
  }

private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

// A value or the Status that explains why there is none.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Status status) : status_(std::move(status)) {}

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }
  T &value() { return *value_; }
  const T &value() const { return *value_; }
  T &operator*() { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  // Moves the value out; only valid when isOk().
  T take() { return std::move(*value_); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace slimtune

// Binds `var` to the value of an Expected expression, or returns its Status from the
// enclosing function (which returns Status or Expected<...>).
#define SLIMTUNE_TRY(var, expr)                                                               \
  auto var##_expected = (expr);                                                               \
  if (!var##_expected)                                                                        \
    return var##_expected.status();                                                           \
  auto var = var##_expected.take()

#endif // SLIMTUNE_STATUS_H
