// CompactionIterator: what a compaction (or a flush) writes out of its merged input.
//
// It walks the input in internal-key order and yields the entries to keep, dropping:
//   - overwritten versions: an older version of a user key in the same snapshot stripe as a
//     newer one (no snapshot, nor the latest state, can see it). The stripe of sequence s is
//     the oldest snapshot >= s, or "the latest state" when every snapshot is older;
//   - versions covered by a range tombstone that no snapshot sees them past
//     (RangeTombstones::ShouldDrop);
//   - at the bottommost level (`bottommost`: nothing older than the input lies below the output
//     level in its key range), point tombstones and expired values in the oldest stripe, as
//     nothing older is left for them to hide, and range tombstones in the oldest stripe (every
//     entry they cover in the input is dropped with them: see `tombstones` below).
// Range tombstones travel in the input as kRangeDeletion entries (the input tables' and
// memtables' range-deletion iterators merged in beside their point entries): each is written
// out (a TableBuilder routes it to its range-deletion block) or dropped at the bottommost level
// as above; they take no part in the per-key version walk.
// An expired value (expiring_value.h) that cannot be dropped yet is written as a point
// tombstone (kDeletion, same sequence, empty value): it hides the same versions for every
// read, as "now" only moves forward.
//
// Every dropped entry whose value was a value pointer (kValuePointer, kExpiringPointer: the
// pointer bytes, without the expiry) is given to the DroppedPointers sink, so that the DB can
// count the discarded bytes of each value-log file; the drops are also counted by reason.
//
// Errors: an input error or a corrupt entry (unparseable key, short expiring value) stops the
// iterator with status() set; the compaction must then fail.
//
// Thread-safety: one thread at a time. The input, the tombstones and the sink are not owned
// and must outlive the iterator. key()/value() views are valid until the next Next().
#ifndef LARDER_LSM_COMPACTION_ITERATOR_H_
#define LARDER_LSM_COMPACTION_ITERATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/status.h"
#include "lsm/dbformat.h"
#include "lsm/internal_iterator.h"
#include "lsm/range_tombstones.h"

namespace larder::lsm {

// Receives the value pointers of the entries a compaction drops.
class DroppedPointers {
 public:
  virtual ~DroppedPointers() = default;
  virtual void OnDroppedPointer(std::string_view pointer_bytes) = 0;
};

// Entries dropped, by reason.
struct CompactionDropCounts {
  std::uint64_t overwritten = 0;           // hidden by a newer version in the same stripe
  std::uint64_t range_deleted = 0;         // covered by a range tombstone
  std::uint64_t deletions = 0;             // point tombstones dropped at the bottommost level
  std::uint64_t expired = 0;               // expired values dropped at the bottommost level
  std::uint64_t expired_to_tombstone = 0;  // expired values written as tombstones (kept)
  std::uint64_t range_tombstones = 0;      // range tombstones dropped at the bottommost level
  // Entries removed from the output (expired_to_tombstone entries are still written).
  std::uint64_t total() const {
    return overwritten + range_deleted + deletions + expired + range_tombstones;
  }
};

struct CompactionIteratorOptions {
  // The sequences of the live snapshots, ascending.
  std::vector<SequenceNumber> snapshots;
  bool bottommost = false;
  // The range tombstones to apply (null: none). Must hold every kRangeDeletion entry of the
  // input (CollectRangeTombstones), or a tombstone dropped at the bottommost level would
  // leave what it covers alive; it may hold newer ones too.
  const RangeTombstones* tombstones = nullptr;
  std::uint64_t now_ms = 0;
  DroppedPointers* dropped_pointers = nullptr;  // may be null
};

class CompactionIterator {
 public:
  CompactionIterator(InternalIterator* input, CompactionIteratorOptions options);

  // Positions on the first entry to keep.
  void SeekToFirst();
  bool Valid() const { return valid_; }
  // REQUIRES: Valid().
  void Next();
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  Status status() const { return status_; }
  const CompactionDropCounts& dropped() const { return counts_; }

 private:
  void FindNextOutput();
  // The index of the oldest snapshot >= seq (snapshots.size(): the latest state).
  std::size_t StripeOf(SequenceNumber seq) const;
  // Reports a dropped entry's pointer; false (status_ set) for a corrupt value.
  bool Drop(ValueType type, std::string_view value, std::uint64_t* counter);
  void Fail(Status s);

  InternalIterator* const input_;
  const CompactionIteratorOptions options_;
  RangeTombstones::Cursor cursor_;

  bool valid_ = false;
  Status status_;
  std::string_view key_, value_;
  std::string key_buf_;  // a rewritten key (an expired value turned tombstone)

  std::string current_user_key_;  // the user key whose versions are being walked
  bool has_current_ = false;
  std::size_t last_stripe_ = 0;  // the stripe of the previous version of current_user_key_
  CompactionDropCounts counts_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_COMPACTION_ITERATOR_H_
