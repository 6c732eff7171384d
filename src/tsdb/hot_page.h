// A series' hot page: the samples being collected, before the page is full and flushed.
//
// Regular form (the series has an interval and every sample so far lies on the grid start +
// k * interval): values only, one slot per grid point, a bitmap marking the slots that hold a
// sample (gaps are the others): `capacity` slots of 8 bytes. Irregular form: (time, value)
// pairs, capacity / 2 of them, so both forms hold 4096 bytes at the default 512. A sample off
// the grid turns a regular page irregular when it fits, else the page is full.
//
// Thread-safety: none; the engine's mutex guards every HotPage.
#ifndef LARDER_TSDB_HOT_PAGE_H_
#define LARDER_TSDB_HOT_PAGE_H_

#include <cstdint>
#include <vector>

#include "larder/tsdb/db.h"

namespace larder::tsdb {

class HotPage {
 public:
  // Adds a sample after every one held (REQUIRES: time_ms > the last one's). False, changing
  // nothing, when it does not fit: the caller cuts the page and starts a new one.
  bool Add(std::int64_t time_ms, double value, std::int64_t interval_ms, std::uint32_t capacity);
  bool Full(std::uint32_t capacity) const;
  bool empty() const { return count_ == 0; }
  std::uint32_t count() const { return count_; }
  std::int64_t interval() const { return interval_; }
  std::int64_t first_time() const;
  // Appends the samples with from <= time <= to, oldest first.
  void AppendTo(std::int64_t from_ms, std::int64_t to_ms, std::vector<Sample>* out) const;
  // Empties the page (keeping its memory).
  void Clear();

 private:
  bool Present(std::size_t slot) const { return (present_[slot / 64] >> (slot % 64)) & 1; }
  void MakeIrregular();

  std::int64_t interval_ = 0;  // 0: irregular form
  std::int64_t start_ = 0;
  std::uint32_t count_ = 0;
  std::vector<double> values_;
  std::vector<std::int64_t> times_;     // irregular form only
  std::vector<std::uint64_t> present_;  // regular form: a bit per slot
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_HOT_PAGE_H_
