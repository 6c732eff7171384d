// The merge of several InternalIterators into one, in internal-key order: how memtables,
// level-0 tables and levels are read together.
//
// A binary heap of the children that are positioned, keyed by their current key: a min-heap
// while moving forward, a max-heap while moving backward. Next/Prev move only the top child and
// sift it down: O(log n) comparisons and no allocation per step. A change of direction re-seeks
// every other child around the current key (O(n log) once per change).
//
// Errors: when a child stops with a non-OK status (a bad block, an I/O error), the merged
// iterator stops too (!Valid()) and status() returns the first such error; a later Seek* starts
// over. Children never show the same internal key as one another (sequence numbers are unique);
// if they do, the merge shows each copy once per child moving forward and may skip copies
// after a change of direction.
//
// Ownership: the merged iterator owns its children. Views from key()/value() are the current
// child's and follow that child's lifetime rules.
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_MERGING_ITERATOR_H_
#define LARDER_LSM_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "lsm/internal_iterator.h"

namespace larder::lsm {

// No children: an empty iterator; one child: that child itself.
std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace larder::lsm

#endif  // LARDER_LSM_MERGING_ITERATOR_H_
