// The freelist: which pages below the high-water mark hold no live data.
//
// In memory, free pages are kept as runs (start -> length), so allocation is first-fit on the
// lowest run, as bbolt's array freelist does, in O(runs) for multi-page requests and O(log n)
// for single pages. Pages freed by a transaction stay *pending* under its txid until no open
// reader can still see them.
//
// On disk (bbolt's format) the freelist page lists free and pending ids together, sorted; count
// 0xFFFF means the real count is the first u64.
//
// Thread-safety: none. Only the writer (holding the DB's writer lock) touches it.
#ifndef LARDER_BOLT_FREELIST_H_
#define LARDER_BOLT_FREELIST_H_

#include <cstdint>
#include <map>
#include <unordered_set>
#include <vector>

#include "bolt/page.h"
#include "larder/status.h"

namespace larder::bolt {

class Freelist {
 public:
  // Replaces the contents: `ids` (any order, no duplicates) become free, nothing pending.
  void Reset(std::vector<Pgid> ids);

  // Reads a freelist page. Ids must lie in [2, hwm) and not repeat. `duplicates`, when given,
  // collects repeated ids instead of failing (for the consistency check).
  static Status ReadPage(PageView page, Pgid hwm, std::vector<Pgid>* ids,
                         std::vector<Pgid>* duplicates = nullptr);

  // Takes `n` contiguous free pages for `txid`: the id of the first, or 0 when no run is long
  // enough.
  Pgid Allocate(Txid txid, std::size_t n);
  // Marks pages [start, start + overflow] as freed by `txid` (pending). Corruption when one of
  // them is already free or pending (a page referenced twice).
  Status Free(Txid txid, Pgid start, std::uint32_t overflow);
  // Makes pending pages of transactions with id < `txid` free.
  void ReleaseBefore(Txid txid);
  // Undoes `txid`: its pending frees are dropped and its allocations become free again.
  void Rollback(Txid txid);
  // Forgets `txid`'s allocation log after its commit.
  void Committed(Txid txid) { allocs_.erase(txid); }

  bool IsFree(Pgid id) const;
  std::uint64_t free_count() const { return free_count_; }
  std::uint64_t pending_count() const { return pending_ids_.size(); }
  std::uint64_t count() const { return free_count_ + pending_ids_.size(); }

  // Serialized size of the freelist page (header included).
  std::size_t PageBytes() const;
  // Writes free and pending ids into `page` (header at offset 0, id already set by caller).
  void WritePage(std::uint8_t* page) const;
  // All free and pending ids, sorted.
  std::vector<Pgid> AllIds() const;

 private:
  void AddFreeRun(Pgid start, std::uint64_t len);
  void AddFreeIds(std::vector<Pgid> ids);  // any order

  std::map<Pgid, std::uint64_t> runs_;  // free runs: start -> length; disjoint, not adjacent
  std::uint64_t free_count_ = 0;
  std::map<Txid, std::vector<Pgid>> pending_;
  std::unordered_set<Pgid> pending_ids_;
  std::map<Txid, std::vector<std::pair<Pgid, std::size_t>>> allocs_;  // for rollback
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_FREELIST_H_
