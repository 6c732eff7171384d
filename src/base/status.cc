#include "larder/status.h"

#include <cerrno>
#include <cstring>

namespace larder {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "not found";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "I/O error";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kBusy:
      return "busy";
    case Code::kReadOnly:
      return "read-only";
    case Code::kNotSupported:
      return "not supported";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kIncompatible:
      return "incompatible value";
    case Code::kTxClosed:
      return "tx closed";
    case Code::kNoSpace:
      return "no space";
    case Code::kPoisoned:
      return "database poisoned";
    case Code::kConflict:
      return "conflict";
  }
  return "unknown";
}

Status::Status(Code code, std::string_view message) : code_(code) {
  if (!message.empty()) message_ = std::make_unique<std::string>(message);
}

void Status::CopyMessageFrom(const Status& other) {
  message_ = other.message_ ? std::make_unique<std::string>(*other.message_) : nullptr;
}

Status Status::FromErrno(std::string_view context, int err) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  return Status(err == ENOSPC || err == EDQUOT ? Code::kNoSpace : Code::kIOError, msg);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code_));
  if (message_) {
    out += ": ";
    out += *message_;
  }
  return out;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return Status();
  std::string msg(prefix);
  if (message_) {
    msg += ": ";
    msg += *message_;
  }
  return Status(code_, msg);
}

}  // namespace larder
