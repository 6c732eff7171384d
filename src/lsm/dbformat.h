// The LSM engine's internal keys: how versions of one user key are ordered everywhere
// (memtables, tables, iterators, compaction).
//
// An internal key is the user key followed by an 8-byte little-endian trailer
// (sequence << 8 | type). Internal keys order by user key ascending (bytewise), then by
// sequence DESCENDING, then by type descending: the newest version of a key comes first, so a
// read at snapshot S seeks to (key, S, kMaxType) and takes the first entry it lands on.
//
// Sequence numbers: 56 bits. Every entry of a write batch gets its own, consecutive, in the
// batch's order; 0 is never assigned to a write (compaction may zero an entry's sequence when
// no snapshot can tell, as LevelDB does not; we do not either: sequences are kept).
//
// Thread-safety: pure functions and values.
#ifndef LARDER_LSM_DBFORMAT_H_
#define LARDER_LSM_DBFORMAT_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/coding.h"

namespace larder::lsm {

using SequenceNumber = std::uint64_t;
inline constexpr SequenceNumber kMaxSequenceNumber = (std::uint64_t{1} << 56) - 1;

// The kind of an entry. Stored in tables and logs: never renumber.
enum class ValueType : std::uint8_t {
  kDeletion = 0,         // a tombstone; value empty
  kValue = 1,            // value = the user's value
  kValuePointer = 2,     // value = a VlogPointer (vlog_pointer.h) to the user's value
  kRangeDeletion = 3,    // key = begin, value = end (exclusive) of a deleted range
  kExpiringValue = 4,    // value = fixed64 expires_at_ms, then the user's value
  kExpiringPointer = 5,  // value = fixed64 expires_at_ms, then a VlogPointer
};
// The largest type: a lookup key sorts before every entry of its sequence.
inline constexpr ValueType kMaxValueType = ValueType::kExpiringPointer;
inline constexpr std::size_t kTrailerSize = 8;

inline bool IsValidValueType(std::uint8_t t) {
  return t <= static_cast<std::uint8_t>(kMaxValueType);
}

inline std::uint64_t PackTrailer(SequenceNumber seq, ValueType type) {
  return (seq << 8) | static_cast<std::uint8_t>(type);
}

// user_key ++ trailer, appended to *dst.
inline void AppendInternalKey(std::string* dst, std::string_view user_key, SequenceNumber seq,
                              ValueType type) {
  dst->append(user_key);
  PutFixed64(dst, PackTrailer(seq, type));
}

// A decoded internal key: views into the encoded bytes.
struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
};

// False when `internal_key` is shorter than a trailer or has an unknown type: a table or log
// holding it is corrupt.
inline bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* out) {
  if (internal_key.size() < kTrailerSize) return false;
  const std::uint64_t trailer = LoadU64(reinterpret_cast<const std::uint8_t*>(internal_key.data()) +
                                        internal_key.size() - kTrailerSize);
  const auto type = static_cast<std::uint8_t>(trailer & 0xff);
  if (!IsValidValueType(type)) return false;
  out->user_key = internal_key.substr(0, internal_key.size() - kTrailerSize);
  out->sequence = trailer >> 8;
  out->type = static_cast<ValueType>(type);
  return true;
}

// REQUIRES: internal_key.size() >= kTrailerSize.
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  return internal_key.substr(0, internal_key.size() - kTrailerSize);
}
inline std::uint64_t ExtractTrailer(std::string_view internal_key) {
  return LoadU64(reinterpret_cast<const std::uint8_t*>(internal_key.data()) + internal_key.size() -
                 kTrailerSize);
}

// <0, 0, >0 as a sorts before, with, after b. REQUIRES: both at least kTrailerSize long.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  const int r = ExtractUserKey(a).compare(ExtractUserKey(b));
  if (r != 0) return r;
  const std::uint64_t ta = ExtractTrailer(a), tb = ExtractTrailer(b);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);  // larger trailer (newer) first
}

// "user_key@sequence:type" with non-printable bytes escaped, for errors and test messages.
std::string DebugString(std::string_view internal_key);

// The comparator object the containers and iterators of the engine take.
struct InternalKeyLess {
  bool operator()(std::string_view a, std::string_view b) const {
    return CompareInternalKeys(a, b) < 0;
  }
};

// The key a read at `seq` seeks to: sorts before every version of `user_key` visible at `seq`
// and after every newer one.
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber seq) {
    AppendInternalKey(&rep_, user_key, seq, kMaxValueType);
  }
  std::string_view internal_key() const { return rep_; }
  std::string_view user_key() const { return ExtractUserKey(rep_); }

 private:
  std::string rep_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_DBFORMAT_H_
