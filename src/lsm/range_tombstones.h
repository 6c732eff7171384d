// Range tombstones: "every version of the user keys in [begin, end) with a sequence number
// below `seq` is deleted". A write batch's DeleteRange becomes one kRangeDeletion entry
// (dbformat.h: key = begin with the tombstone's sequence, value = end); the DB gathers those of
// the memtables and tables a read or a compaction covers into one RangeTombstones.
//
// RangeTombstones fragments the tombstones it is given into non-overlapping pieces of the key
// space, each with the sequences of every tombstone covering it (sorted, newest first), so that
// every query is a binary search, and a Cursor answers the queries of a moving iterator in
// amortized O(1) per step (it walks from the piece it answered last).
//
// Visibility: a tombstone with sequence t deletes an entry with sequence e < t for every read
// at a sequence >= t. A read at S ignores tombstones with t > S.
//
// Thread-safety: a built RangeTombstones is immutable; any number of threads may query it at
// once (each with its own Cursor). Ownership: it owns copies of every key it was given.
#ifndef LARDER_LSM_RANGE_TOMBSTONES_H_
#define LARDER_LSM_RANGE_TOMBSTONES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/status.h"
#include "lsm/dbformat.h"
#include "lsm/internal_iterator.h"

namespace larder::lsm {

struct RangeTombstone {
  std::string begin;  // inclusive user key
  std::string end;    // exclusive user key
  SequenceNumber seq = 0;
};

// Appends the kRangeDeletion entries of `it` (scanned from the first entry to the last) to
// *out. Returns the iterator's error, or Corruption for an unparseable key.
Status CollectRangeTombstones(InternalIterator* it, std::vector<RangeTombstone>* out);

class RangeTombstones {
 public:
  RangeTombstones() = default;  // none
  // Fragments `tombstones`; empty ranges (begin >= end) are ignored.
  explicit RangeTombstones(const std::vector<RangeTombstone>& tombstones);

  bool empty() const { return fragments_.empty(); }
  std::size_t fragment_count() const { return fragments_.size(); }

  // The largest sequence <= read_seq of a tombstone covering `user_key`; 0 when none (0 is
  // never a write's sequence). An entry of `user_key` with a smaller sequence is deleted for
  // the read at read_seq.
  SequenceNumber MaxCoveringSeq(std::string_view user_key, SequenceNumber read_seq) const;

  // For compaction: true when the entry (user_key, seq) is deleted by a tombstone for every
  // read that could still see it: some covering tombstone t > seq has no snapshot in
  // [seq, t). `snapshots` is sorted ascending (the reads of the latest state see everything).
  bool ShouldDrop(std::string_view user_key, SequenceNumber seq,
                  const std::vector<SequenceNumber>& snapshots) const;

  // The same queries, remembering where the last one landed: amortized O(1) for keys that
  // move by small steps either way, O(log n) for jumps. Holds a pointer to the set, which
  // must outlive it.
  class Cursor {
   public:
    Cursor() = default;
    explicit Cursor(const RangeTombstones* set) : set_(set) {}
    SequenceNumber MaxCoveringSeq(std::string_view user_key, SequenceNumber read_seq);
    bool ShouldDrop(std::string_view user_key, SequenceNumber seq,
                    const std::vector<SequenceNumber>& snapshots);

   private:
    const RangeTombstones* set_ = nullptr;
    std::size_t index_ = 0;  // the fragment the last query landed on (or near)
  };

  // For tests and debugging: "[begin,end):seq,seq ..." per fragment.
  std::string DebugString() const;

 private:
  struct Fragment {
    std::uint32_t bound;      // begin = bounds_[bound], end = bounds_[bound + 1]
    std::uint32_t seq_begin;  // seqs_[seq_begin, seq_end): covering sequences, descending
    std::uint32_t seq_end;
  };

  std::string_view Begin(std::size_t i) const { return bounds_[fragments_[i].bound]; }
  std::string_view End(std::size_t i) const { return bounds_[fragments_[i].bound + 1]; }
  // The last fragment whose begin is <= user_key, or fragments_.size() when none.
  std::size_t Search(std::string_view user_key) const;
  // Fragment i when it covers user_key, else nullptr. REQUIRES: i < fragments_.size().
  const Fragment* Covering(std::size_t i, std::string_view user_key) const;
  SequenceNumber MaxSeqIn(const Fragment* f, SequenceNumber read_seq) const;
  bool DropIn(const Fragment* f, SequenceNumber seq,
              const std::vector<SequenceNumber>& snapshots) const;

  std::vector<std::string> bounds_;  // every begin and end, sorted, unique
  std::vector<Fragment> fragments_;  // sorted, non-overlapping, each covered by >= 1 tombstone
  std::vector<SequenceNumber> seqs_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_RANGE_TOMBSTONES_H_
