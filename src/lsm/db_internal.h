// Small helpers shared by DBImpl's files (db_write.cc, db_read.cc, db_background.cc, ...).
//
// Thread-safety: pure functions.
#ifndef LARDER_LSM_DB_INTERNAL_H_
#define LARDER_LSM_DB_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/coding.h"
#include "lsm/dbformat.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

// Whether a batch entry's user value is large enough to live in a kValue record of its own.
inline bool IsLargeValue(const WriteBatchEntry& e, std::size_t threshold) {
  if (e.type == ValueType::kValue) return e.value.size() >= threshold;
  if (e.type == ValueType::kExpiringValue) return e.value.size() >= threshold + 8;
  return false;
}

// The expiry (ms since the epoch) of an expiring entry's value; 0 for other types or a value
// too short to hold one (a corrupt entry: treated as not expiring; readers report it).
inline std::uint64_t ExpiryOf(ValueType type, std::string_view value) {
  if ((type != ValueType::kExpiringValue && type != ValueType::kExpiringPointer) ||
      value.size() < 8) {
    return 0;
  }
  return LoadU64(reinterpret_cast<const std::uint8_t*>(value.data()));
}

// The Compression of a table written to `level`.
template <class Options>
auto CompressionFor(const Options& o, int level) {
  using C = typename std::decay_t<decltype(o.compression_per_level)>::value_type;
  if (o.compression_per_level.empty()) return C{};
  const std::size_t i =
      std::min<std::size_t>(static_cast<std::size_t>(level), o.compression_per_level.size() - 1);
  return o.compression_per_level[i];
}

}  // namespace larder::lsm

#endif  // LARDER_LSM_DB_INTERNAL_H_
