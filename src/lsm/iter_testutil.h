// Helpers for the iterator tests (db_iter, merging, level, compaction): internal keys, entries
// split over vector-backed children, and a reference walk over a sorted entry list.
// Test-only; header-only so that it is not part of the library.
#ifndef LARDER_LSM_ITER_TESTUTIL_H_
#define LARDER_LSM_ITER_TESTUTIL_H_

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/internal_iterator.h"
#include "lsm/vector_iterator.h"

namespace larder::lsm::itertest {

using Entry = VectorIterator::Entry;

inline std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, type);
  return k;
}

inline void SortEntries(std::vector<Entry>* entries) {
  std::sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
    return CompareInternalKeys(a.first, b.first) < 0;
  });
}

// Deals `entries` at random into `n` vector iterators.
inline std::vector<std::unique_ptr<InternalIterator>> SplitIntoChildren(
    const std::vector<Entry>& entries, int n, std::mt19937* rng) {
  std::vector<std::vector<Entry>> parts(static_cast<std::size_t>(n));
  for (const Entry& e : entries) {
    parts[std::uniform_int_distribution<std::size_t>(0, parts.size() - 1)(*rng)].push_back(e);
  }
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (auto& p : parts) children.push_back(std::make_unique<VectorIterator>(std::move(p)));
  return children;
}

// Checks that `it` walks exactly like an index into the sorted `want` under random moves:
// full scans both ways, then random Seek/SeekForPrev and Next/Prev walks with direction
// changes. Returns "" or a description of the first difference.
inline std::string CheckInternalIterator(InternalIterator* it, const std::vector<Entry>& want,
                                         const std::vector<std::string>& targets,
                                         std::mt19937* rng) {
  const auto n = static_cast<std::ptrdiff_t>(want.size());
  auto at = [&](std::ptrdiff_t pos, const char* what) -> std::string {
    const bool want_valid = pos >= 0 && pos < n;
    if (it->Valid() != want_valid) {
      return std::string(what) + ": valid=" + std::to_string(it->Valid()) + " want pos " +
             std::to_string(pos) + " status " + it->status().ToString();
    }
    if (!want_valid) return "";
    const Entry& e = want[static_cast<std::size_t>(pos)];
    if (it->key() != e.first || it->value() != e.second) {
      return std::string(what) + ": at " + DebugString(it->key()) + " want " + DebugString(e.first);
    }
    return "";
  };
  std::string err;
  std::ptrdiff_t pos = 0;
  for (it->SeekToFirst(); pos < n; ++pos, it->Next()) {
    if (!(err = at(pos, "forward scan")).empty()) return err;
  }
  if (!(err = at(n, "forward end")).empty()) return err;
  pos = n - 1;
  for (it->SeekToLast(); pos >= 0; --pos, it->Prev()) {
    if (!(err = at(pos, "backward scan")).empty()) return err;
  }
  if (!(err = at(-1, "backward end")).empty()) return err;
  auto lower = [&](std::string_view t) {
    return std::lower_bound(want.begin(), want.end(), t,
                            [](const Entry& e, std::string_view k) {
                              return CompareInternalKeys(e.first, k) < 0;
                            }) -
           want.begin();
  };
  auto upper = [&](std::string_view t) {
    return std::upper_bound(want.begin(), want.end(), t,
                            [](std::string_view k, const Entry& e) {
                              return CompareInternalKeys(k, e.first) < 0;
                            }) -
           want.begin();
  };
  for (int round = 0; round < 200 && !targets.empty(); ++round) {
    const std::string& t = targets[(*rng)() % targets.size()];
    if ((*rng)() % 2 == 0) {
      it->Seek(t);
      pos = lower(t);
      if (!(err = at(pos, "seek")).empty()) return err + " target " + DebugString(t);
    } else {
      it->SeekForPrev(t);
      pos = upper(t) - 1;
      if (!(err = at(pos, "seek for prev")).empty()) return err + " target " + DebugString(t);
    }
    for (int step = 0; step < 12 && pos >= 0 && pos < n; ++step) {
      if ((*rng)() % 2 == 0) {
        it->Next();
        ++pos;
        if (!(err = at(pos, "next")).empty()) return err;
      } else {
        it->Prev();
        --pos;
        if (!(err = at(pos, "prev")).empty()) return err;
      }
    }
  }
  return "";
}

}  // namespace larder::lsm::itertest

#endif  // LARDER_LSM_ITER_TESTUTIL_H_
