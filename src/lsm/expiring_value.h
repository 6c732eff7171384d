// The value of a kExpiringValue or kExpiringPointer entry (dbformat.h): a fixed64 expiry time
// in milliseconds since the Unix epoch, then the user's value (or the VlogPointer).
//
// An entry expires AT its time: at now_ms >= expires_at_ms it is gone, and it hides the older
// versions of its key as a deletion would (reads do not fall through to them).
//
// Thread-safety: pure functions.
#ifndef LARDER_LSM_EXPIRING_VALUE_H_
#define LARDER_LSM_EXPIRING_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/coding.h"
#include "lsm/dbformat.h"

namespace larder::lsm {

inline constexpr std::size_t kExpiryPrefixSize = 8;

inline bool IsExpiringType(ValueType t) {
  return t == ValueType::kExpiringValue || t == ValueType::kExpiringPointer;
}
inline bool IsPointerType(ValueType t) {
  return t == ValueType::kValuePointer || t == ValueType::kExpiringPointer;
}

// expires_at_ms ++ payload, appended to *dst.
inline void AppendExpiringValue(std::string* dst, std::uint64_t expires_at_ms,
                                std::string_view payload) {
  PutFixed64(dst, expires_at_ms);
  dst->append(payload);
}

// Splits an expiring value. False when it is shorter than the expiry (a corrupt entry).
inline bool SplitExpiringValue(std::string_view value, std::uint64_t* expires_at_ms,
                               std::string_view* payload) {
  if (value.size() < kExpiryPrefixSize) return false;
  *expires_at_ms = LoadU64(reinterpret_cast<const std::uint8_t*>(value.data()));
  *payload = value.substr(kExpiryPrefixSize);
  return true;
}

inline bool IsExpired(std::uint64_t expires_at_ms, std::uint64_t now_ms) {
  return expires_at_ms <= now_ms;
}

}  // namespace larder::lsm

#endif  // LARDER_LSM_EXPIRING_VALUE_H_
