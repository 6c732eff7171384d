#include "lsm/write_pacer.h"

#include <algorithm>

namespace larder::lsm {

std::chrono::nanoseconds WritePacer::DelayAt(std::uint64_t now_nanos) const {
  const std::uint64_t free_until = now_nanos + static_cast<std::uint64_t>(kBurst.count());
  if (paid_until_nanos_ <= free_until) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(paid_until_nanos_ - free_until);
}

void WritePacer::Charge(std::uint64_t bytes, std::uint64_t divisor, std::uint64_t now_nanos) {
  // bytes * divisor / rate seconds, in double: no overflow for any group a write can hold (at
  // most max_write_group_bytes; 2^64 ns is 584 years).
  const double seconds = static_cast<double>(bytes) *
                         static_cast<double>(std::max<std::uint64_t>(divisor, 1)) /
                         static_cast<double>(std::max<std::uint64_t>(bytes_per_second_, 1));
  paid_until_nanos_ =
      std::max(paid_until_nanos_, now_nanos) + static_cast<std::uint64_t>(seconds * 1e9);
}

}  // namespace larder::lsm
