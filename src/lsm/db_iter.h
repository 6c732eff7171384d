// The user's iterator (kv::Iterator) over the merged internal entries of a DB at one read
// sequence: of each user key it shows the newest version visible at that sequence, unless that
// version is a deletion, an expired value (expiring_value.h), or is covered by a newer range
// tombstone visible at the sequence; then the key is hidden (older versions never show through).
// Value pointers (kValuePointer, kExpiringPointer) are resolved through the DB's ValueResolver.
// Lower/upper bounds and a prefix (lsm::IteratorOptions) limit the keys shown; the prefix is
// folded into the bounds.
//
// Directions: moving forward, the input is positioned at the entry shown (views point into it);
// moving backward, the input is positioned before every entry of the key shown, whose key and
// value are copies. A change of direction re-seeks the input around the current key: simple,
// and O(versions of the key) like every step.
//
// Errors: an input error, an unparseable internal key or a short expiring value (Corruption),
// or a failed pointer resolution stops the iterator (!Valid(), status() set); a Seek* retries.
//
// Thread-safety: one thread at a time. Ownership and lifetime: see DBIteratorArgs.
#ifndef LARDER_LSM_DB_ITER_H_
#define LARDER_LSM_DB_ITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "larder/kv.h"
#include "larder/lsm/db.h"
#include "larder/status.h"
#include "lsm/dbformat.h"
#include "lsm/internal_iterator.h"
#include "lsm/range_tombstones.h"

namespace larder::lsm {

// Reads the value a value pointer designates (the DB reads it from the value log).
class ValueResolver {
 public:
  virtual ~ValueResolver() = default;
  // `pointer_bytes` is the entry's pointer (after the expiry of a kExpiringPointer). Replaces
  // *out with the value. Errors: Corruption or IOError naming the value-log file.
  virtual Status Resolve(std::string_view pointer_bytes, std::string* out) = 0;
};

// What an iterator pins (a version, memtables, a snapshot's sequence): the destructor releases
// it. The DB iterator destroys it last, after its input.
class IteratorPins {
 public:
  virtual ~IteratorPins() = default;
};

struct DBIteratorArgs {
  // The merged point entries (merging_iterator.h); owned, never null. kRangeDeletion entries in it
  // are ignored: range tombstones act through `tombstones`.
  std::unique_ptr<InternalIterator> input;
  // Entries with a larger sequence are invisible.
  SequenceNumber sequence = kMaxSequenceNumber;
  // Range tombstones of everything `input` reads (may be null: none). Shared: the DB may keep
  // the set of a memtable or version and give it to many iterators.
  std::shared_ptr<const RangeTombstones> tombstones;
  // Not owned: must outlive the iterator (the pins may keep it alive). May be null when no
  // pointer can appear; a pointer met without one gives Corruption.
  ValueResolver* resolver = nullptr;
  // "Now" for expiring entries, in ms since the Unix epoch: fixed for the iterator's life.
  std::uint64_t now_ms = 0;
  // Bounds and prefix; the bytes are copied.
  IteratorOptions options;
  // Destroyed after `input`, when the iterator is destroyed.
  std::unique_ptr<IteratorPins> pins;
};

std::unique_ptr<kv::Iterator> NewDBIterator(DBIteratorArgs args);

// The smallest key greater than every key starting with `prefix`; false when there is none
// (prefix empty or all 0xff bytes).
bool PrefixSuccessor(std::string_view prefix, std::string* out);

}  // namespace larder::lsm

#endif  // LARDER_LSM_DB_ITER_H_
