// DeletedRanges: the time ranges deleted from one series (DB::Delete), kept as sorted, disjoint,
// merged closed intervals. The engine appends only; a deletion hides the samples in its ranges
// from every read (raw and aggregated ranges, the check of what a page still holds) and pages
// whose whole span is covered leave the page index. The ranges are durable as DeleteRange
// records in series.meta (docs/formats/tsdb.md) and rebuilt from them at Open.
//
// Thread-safety: none; the engine's mutex guards each series' ranges. Readers take a copy.
#ifndef LARDER_TSDB_DELETED_RANGES_H_
#define LARDER_TSDB_DELETED_RANGES_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace larder::tsdb {

class DeletedRanges {
 public:
  using Range = std::pair<std::int64_t, std::int64_t>;  // [first, last], first <= last

  // Adds [from, to] (REQUIRES: from <= to), merging it with the ranges it overlaps or touches.
  void Add(std::int64_t from, std::int64_t to) {
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), Range{from, from});
    if (it != ranges_.begin() && std::prev(it)->second >= from - 1) --it;
    auto end = it;
    while (end != ranges_.end() && end->first <= to + 1) {
      from = std::min(from, end->first);
      to = std::max(to, end->second);
      ++end;
    }
    it = ranges_.erase(it, end);
    ranges_.insert(it, Range{from, to});
  }
  // Whether time t was deleted.
  bool Contains(std::int64_t t) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), Range{t, INT64_MAX});
    return it != ranges_.begin() && std::prev(it)->second >= t;
  }
  // Whether every time of [from, to] was deleted.
  bool Covers(std::int64_t from, std::int64_t to) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), Range{from, INT64_MAX});
    return it != ranges_.begin() && std::prev(it)->second >= to;
  }
  bool empty() const { return ranges_.empty(); }
  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_DELETED_RANGES_H_
