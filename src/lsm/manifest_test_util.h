// Test helpers for the MANIFEST tests (version_edit, version_set, compaction_picker): tables
// and edits made up from numbers and keys.
#ifndef LARDER_LSM_MANIFEST_TEST_UTIL_H_
#define LARDER_LSM_MANIFEST_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "lsm/dbformat.h"
#include "lsm/iter_testutil.h"
#include "lsm/version_edit.h"

namespace larder::lsm::manifest_test {

using itertest::IKey;

// A table holding user keys [lo, hi] written at sequences [seq, seq + 9].
inline FileMetaData Table(std::uint64_t number, std::string_view lo, std::string_view hi,
                          std::uint64_t size = 1000, SequenceNumber seq = 100) {
  FileMetaData f;
  f.number = number;
  f.file_size = size;
  f.smallest = IKey(lo, seq + 9);
  f.largest = IKey(hi, seq);
  f.smallest_seq = seq;
  f.largest_seq = seq + 9;
  f.num_entries = 10;
  return f;
}

// An edit with every kind of field, random contents (not necessarily applicable).
inline VersionEdit RandomEdit(std::mt19937_64& rng) {
  auto n = [&](std::uint64_t bound) { return rng() % bound; };
  auto big = [&] { return rng() >> (rng() % 64); };
  auto key = [&] { return std::string(n(12), static_cast<char>('a' + n(26))); };
  VersionEdit e;
  if (n(2)) e.SetLogNumber(big());
  if (n(2)) e.SetLogOffset(big());
  if (n(2)) e.SetNextFileNumber(big());
  if (n(2)) e.SetLastSequence(big() & kMaxSequenceNumber);
  for (std::uint64_t i = n(4); i > 0; --i) {
    FileMetaData f = Table(big(), "", "", big(), big() & (kMaxSequenceNumber >> 4));
    std::string a = key(), b = key();
    if (b < a) std::swap(a, b);
    f.smallest = IKey(a, f.largest_seq, ValueType::kDeletion);
    f.largest = IKey(b, f.smallest_seq, ValueType::kRangeDeletion);
    f.num_entries = big();
    f.num_deletions = f.num_entries == 0 ? 0 : rng() % (f.num_entries);
    f.num_range_deletions = f.num_deletions == 0 ? 0 : rng() % f.num_deletions;
    if (a == b) f.largest = f.smallest;
    e.AddFile(static_cast<int>(n(kMaxNumLevels)), f);
  }
  for (std::uint64_t i = n(3); i > 0; --i) e.RemoveFile(static_cast<int>(n(7)), big());
  for (std::uint64_t i = n(3); i > 0; --i) e.AddVlog(big());
  for (std::uint64_t i = n(3); i > 0; --i) e.RemoveVlog(big());
  for (std::uint64_t i = n(3); i > 0; --i) e.AddVlogDiscard(big(), big());
  for (std::uint64_t i = n(3); i > 0; --i)
    e.SetCompactPointer(static_cast<int>(n(7)), IKey(key(), n(1000)));
  return e;
}

}  // namespace larder::lsm::manifest_test

#endif  // LARDER_LSM_MANIFEST_TEST_UTIL_H_
