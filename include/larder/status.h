// Status: the outcome of every fallible LarderDB call. No exception crosses the public API.
//
// Thread-safety: a Status is a value; const methods may be called concurrently, mutation needs
// external synchronization. An OK status and an error without a message allocate nothing, so
// hot paths (a missed Get) can return NotFound cheaply.
#ifndef LARDER_STATUS_H_
#define LARDER_STATUS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace larder {

// Error codes callers can test. The numeric values are part of the CLI's --json output and
// must not change; add new codes at the end.
enum class Code : std::uint8_t {
  kOk = 0,
  kNotFound = 1,         // a key, bucket, file or page that does not exist
  kCorruption = 2,       // a damaged file: the message names the file, page or key
  kIOError = 3,          // the operating system failed a read, write, sync or map
  kInvalidArgument = 4,  // bad input from the caller (key too large, wrong option, ...)
  kBusy = 5,             // a lock could not be taken in time
  kReadOnly = 6,         // a write on a read-only database or transaction
  kNotSupported = 7,     // a feature this file or build does not have
  kAlreadyExists = 8,    // creating what is already there (a bucket, a file)
  kIncompatible = 9,     // a bucket where a value was expected, or the reverse
  kTxClosed = 10,        // the transaction was already committed or rolled back
  kNoSpace = 11,         // the disk is full or the configured maximum size is reached
  kPoisoned = 12,        // an earlier fsync failed; writes are refused until reopen
  kConflict = 13,        // a conditional update lost: the record changed (compare-and-set)
};

// Returns a stable lower-case name for `code`, e.g. "not found".
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;  // OK
  Status(Code code, std::string_view message);
  explicit Status(Code code) noexcept : code_(code) {}

  // Inline: copying an OK status (every LARDER_RETURN_IF_ERROR of a stored one) is a byte.
  Status(const Status& other) : code_(other.code_) {
    if (other.message_) [[unlikely]]
      CopyMessageFrom(other);
  }
  Status& operator=(const Status& other) {
    if (this != &other) {
      code_ = other.code_;
      if (other.message_ || message_) [[unlikely]]
        CopyMessageFrom(other);
    }
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  static Status NotFound(std::string_view msg = {}) { return Status(Code::kNotFound, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status Busy(std::string_view msg) { return Status(Code::kBusy, msg); }
  static Status ReadOnly(std::string_view msg) { return Status(Code::kReadOnly, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status AlreadyExists(std::string_view msg) { return Status(Code::kAlreadyExists, msg); }
  static Status Incompatible(std::string_view msg) { return Status(Code::kIncompatible, msg); }
  static Status TxClosed(std::string_view msg = "tx closed") {
    return Status(Code::kTxClosed, msg);
  }
  static Status NoSpace(std::string_view msg) { return Status(Code::kNoSpace, msg); }
  static Status Poisoned(std::string_view msg) { return Status(Code::kPoisoned, msg); }
  static Status Conflict(std::string_view msg) { return Status(Code::kConflict, msg); }
  // An IOError from an errno value: "<context>: <strerror(err)>".
  static Status FromErrno(std::string_view context, int err);

  bool ok() const noexcept { return code_ == Code::kOk; }
  Code code() const noexcept { return code_; }
  bool IsNotFound() const noexcept { return code_ == Code::kNotFound; }
  bool IsCorruption() const noexcept { return code_ == Code::kCorruption; }
  bool IsIOError() const noexcept { return code_ == Code::kIOError; }
  bool IsInvalidArgument() const noexcept { return code_ == Code::kInvalidArgument; }
  bool IsConflict() const noexcept { return code_ == Code::kConflict; }

  // The message alone, without the code name ("" when there is none).
  std::string_view message() const noexcept {
    return message_ ? std::string_view(*message_) : std::string_view();
  }
  // "OK", or "<code name>: <message>".
  std::string ToString() const;
  // A new status with the same code and "<prefix>: <message>".
  Status WithContext(std::string_view prefix) const;

 private:
  void CopyMessageFrom(const Status& other);  // out of line: the rare, allocating part

  Code code_ = Code::kOk;
  std::unique_ptr<std::string> message_;
};

}  // namespace larder

// Propagates a non-OK Status from the enclosing function.
#define LARDER_RETURN_IF_ERROR(expr)       \
  do {                                     \
    ::larder::Status _larder_s = (expr);   \
    if (!_larder_s.ok()) return _larder_s; \
  } while (0)

#endif  // LARDER_STATUS_H_
