// InternalIterator: the cursor every layer of the LSM engine exposes over internal keys
// (dbformat.h): memtables, table blocks, tables, levels, the merge of them all. The user-facing
// kv::Iterator (db_iter.h) is built on top of one.
//
// Contract (for implementers and callers):
//   - Keys are internal keys in CompareInternalKeys order; one iterator never shows the same
//     internal key twice.
//   - Not positioned after construction: call a Seek* first.
//   - key() and value() views stay valid until the iterator's next move or destruction, unless
//     the implementation documents longer (memtable iterators: while the memtable lives; table
//     iterators: while the block they point into is pinned by the iterator).
//   - An error (a bad checksum, an I/O error) makes the iterator !Valid() with status() set;
//     running off either end leaves status() OK. After an error, only a Seek* may clear it
//     (implementations may keep the error; callers treat it as final).
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_INTERNAL_ITERATOR_H_
#define LARDER_LSM_INTERNAL_ITERATOR_H_

#include <string_view>

#include "larder/status.h"

namespace larder::lsm {

class InternalIterator {
 public:
  virtual ~InternalIterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // The first entry with internal key >= target.
  virtual void Seek(std::string_view target) = 0;
  // The last entry with internal key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  // REQUIRES: Valid().
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_INTERNAL_ITERATOR_H_
