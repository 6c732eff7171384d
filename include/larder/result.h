// Result<T>: a value or a non-OK Status, like C++23's std::expected. [[nodiscard]].
//
// Thread-safety: as for Status.
#ifndef LARDER_RESULT_H_
#define LARDER_RESULT_H_

#include <cassert>
#include <optional>
#include <utility>

#include "larder/status.h"

namespace larder {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result needs a value or an error");
    if (status_.ok()) status_ = Status(Code::kInvalidArgument, "Result built from OK status");
  }

  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  // OK when a value is held.
  const Status& status() const noexcept { return status_; }

  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  // The value, or `fallback` when there is none.
  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace larder

// Evaluates `expr` (a Result); on error returns its Status, else moves the value into `lhs`.
#define LARDER_ASSIGN_OR_RETURN(lhs, expr) \
  LARDER_ASSIGN_OR_RETURN_IMPL_(LARDER_CONCAT_(_larder_r, __LINE__), lhs, expr)
#define LARDER_CONCAT_INNER_(a, b) a##b
#define LARDER_CONCAT_(a, b) LARDER_CONCAT_INNER_(a, b)
// `tmp` names a variable and `lhs` may be a declaration: neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define LARDER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // LARDER_RESULT_H_
