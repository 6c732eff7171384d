// The concatenation of a level's tables: sorted, non-overlapping files read as one
// InternalIterator (levels 1 and deeper; level-0 tables overlap and are merged instead).
//
// Files are opened lazily: a Seek* binary-searches the files' key ranges and opens only the
// file it lands in; moving across a file boundary (either way) opens the neighbour and closes
// the file left behind. Files with no entries are stepped over. A file that fails to open (an
// error iterator from LevelFiles::NewIterator) or fails while read stops the level iterator
// with that file's error.
//
// Views from key()/value() follow the current file iterator's rules (valid until the next
// move at the latest).
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_LEVEL_ITERATOR_H_
#define LARDER_LSM_LEVEL_ITERATOR_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "lsm/internal_iterator.h"

namespace larder::lsm {

// A level's files, in key order, as the DB sees them (e.g. over a pinned Version's file list).
class LevelFiles {
 public:
  virtual ~LevelFiles() = default;
  virtual std::size_t size() const = 0;
  // The smallest and largest internal keys of file i; views valid while this object lives.
  // REQUIRES: largest(i) < smallest(i + 1).
  virtual std::string_view smallest(std::size_t i) const = 0;
  virtual std::string_view largest(std::size_t i) const = 0;
  // A new, unpositioned iterator over file i (through the table cache). Never null: on
  // failure, an iterator whose status() is the error (NewErrorIterator, vector_iterator.h).
  virtual std::unique_ptr<InternalIterator> NewIterator(std::size_t i) = 0;
};

// Owns `files`; destroys the open file iterator before it.
std::unique_ptr<InternalIterator> NewLevelIterator(std::unique_ptr<LevelFiles> files);

}  // namespace larder::lsm

#endif  // LARDER_LSM_LEVEL_ITERATOR_H_
