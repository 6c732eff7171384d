// Helpers for the iterator tests (db_iter, merging, level, compaction): internal keys, entries
// split over vector-backed children, and a reference walk over a sorted entry list.
// Test-only; header-only so that it is not part of the library.
#ifndef LARDER_LSM_ITER_TESTUTIL_H_
#define LARDER_LSM_ITER_TESTUTIL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/expiring_value.h"
#include "lsm/internal_iterator.h"
#include "lsm/level_iterator.h"
#include "lsm/vector_iterator.h"

namespace larder::lsm::itertest {

using Entry = VectorIterator::Entry;

inline std::string IKey(std::string_view user_key, SequenceNumber seq,
                        ValueType type = ValueType::kValue) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, type);
  return k;
}

// prefix ++ decimal n. (Not "k" + std::to_string(n): GCC 12 at -O2 warns, wrongly, on that.)
inline std::string Numbered(std::string_view prefix, std::uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

inline void SortEntries(std::vector<Entry>* entries) {
  std::sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
    return CompareInternalKeys(a.first, b.first) < 0;
  });
}

// ---- Levels of vector-backed files ------------------------------------------------------------

// Files over vectors; counts opens in *opens (when not null); file `bad` fails to open.
class VectorLevelFiles final : public LevelFiles {
 public:
  VectorLevelFiles(std::vector<std::vector<Entry>> files, std::vector<std::string> smallest,
                   std::vector<std::string> largest, int* opens)
      : files_(std::move(files)),
        smallest_(std::move(smallest)),
        largest_(std::move(largest)),
        opens_(opens) {}
  std::size_t size() const override { return files_.size(); }
  std::string_view smallest(std::size_t i) const override { return smallest_[i]; }
  std::string_view largest(std::size_t i) const override { return largest_[i]; }
  std::unique_ptr<InternalIterator> NewIterator(std::size_t i) override {
    if (opens_ != nullptr) ++*opens_;
    if (i == bad) return NewErrorIterator(Status::Corruption("000009.sst: bad footer"));
    return std::make_unique<VectorIterator>(files_[i]);
  }
  std::size_t bad = static_cast<std::size_t>(-1);

 private:
  std::vector<std::vector<Entry>> files_;
  std::vector<std::string> smallest_, largest_;
  int* opens_;
};

// Cuts the sorted `all` into files at random points (files are ranges of internal keys, so two
// versions of a user key may land in neighbouring files). Some files are empty.
inline std::unique_ptr<VectorLevelFiles> CutIntoFiles(const std::vector<Entry>& all,
                                                      std::mt19937* rng, int* opens) {
  std::vector<std::vector<Entry>> files;
  std::vector<std::string> smallest, largest;
  std::size_t i = 0;
  while (i < all.size()) {
    const std::size_t len = 1 + (*rng)() % 7;
    std::vector<Entry> f(all.begin() + static_cast<std::ptrdiff_t>(i),
                         all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + len)));
    i += f.size();
    smallest.push_back(f.front().first);
    largest.push_back(f.back().first);
    files.push_back(std::move(f));
    if ((*rng)() % 5 == 0 && i < all.size()) {
      // An empty file (a degenerate one: its bounds are the previous file's last key).
      files.emplace_back();
      smallest.push_back(largest.back());
      largest.push_back(largest.back());
    }
  }
  return std::make_unique<VectorLevelFiles>(std::move(files), std::move(smallest),
                                            std::move(largest), opens);
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

// Like SplitIntoChildren, but about half of the children are levels: their entries cut into
// files read through a level iterator (the read stack of a DB, over vectors).
inline std::vector<std::unique_ptr<InternalIterator>> SplitIntoStack(
    const std::vector<Entry>& entries, int n, std::mt19937* rng) {
  auto children = SplitIntoChildren(entries, n, rng);
  for (auto& child : children) {
    if ((*rng)() % 2 == 0) continue;
    std::vector<Entry> part;
    for (child->SeekToFirst(); child->Valid(); child->Next()) {
      part.emplace_back(std::string(child->key()), std::string(child->value()));
    }
    child = NewLevelIterator(CutIntoFiles(part, rng, nullptr));
  }
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

// ---- Random user-level histories and the reads they define -----------------------------------

// "Now" of the random histories; expiring values expire at now-1, now or now+1.
inline constexpr std::uint64_t kTestNow = 1000;

inline std::string ExpiringValue(std::uint64_t at, std::string_view payload) {
  std::string v;
  AppendExpiringValue(&v, at, payload);
  return v;
}

// Keys with shared prefixes, the empty key and 0xff bytes.
inline const std::vector<std::string>& KeyPool() {
  static const std::vector<std::string> pool = {"",   "a",  "ab", "abc", "abd",  "ac",
                                                "b",  "ba", "bb", "c",   "k0",   "k1",
                                                "k2", "k3", "k4", "kk",  "\xff", "\xff\xff"};
  return pool;
}

// `n` entries with sequences first_seq, first_seq + 1, ...: values, deletions, value pointers
// ("ptr:<value>"), expiring values and pointers, range deletions.
inline std::vector<Entry> RandomHistory(std::mt19937* rng, int n, SequenceNumber first_seq) {
  const auto& pool = KeyPool();
  auto pick = [&] { return pool[(*rng)() % pool.size()]; };
  std::vector<Entry> out;
  for (SequenceNumber seq = first_seq; seq < first_seq + static_cast<SequenceNumber>(n); ++seq) {
    const std::string user = pick();
    const std::string v = user + "@" + std::to_string(seq);
    const std::uint64_t at = kTestNow - 1 + (*rng)() % 3;
    switch ((*rng)() % 10) {
      case 0:
      case 1:
        out.push_back({IKey(user, seq, ValueType::kDeletion), ""});
        break;
      case 2:
        out.push_back({IKey(user, seq, ValueType::kValuePointer), "ptr:" + v});
        break;
      case 3:
        out.push_back({IKey(user, seq, ValueType::kExpiringValue), ExpiringValue(at, v)});
        break;
      case 4:
        out.push_back(
            {IKey(user, seq, ValueType::kExpiringPointer), ExpiringValue(at, "ptr:" + v)});
        break;
      case 5: {
        std::string end = (*rng)() % 4 == 0 ? user + "\x01" : pick();
        out.push_back({IKey(user, seq, ValueType::kRangeDeletion), end});
        break;
      }
      default:
        out.push_back({IKey(user, seq, ValueType::kValue), v});
    }
  }
  return out;
}

// The user's view of `entries` at `read_seq` and kTestNow, computed directly: the newest
// visible version of each key, unless a deletion, expired, or covered by a visible range
// tombstone newer than it; pointers shown as what they point to.
inline std::map<std::string, std::string> ReadAt(const std::vector<Entry>& entries,
                                                 SequenceNumber read_seq) {
  std::map<std::string, std::pair<ParsedInternalKey, std::string_view>> newest;
  std::vector<std::pair<ParsedInternalKey, std::string_view>> ranges;
  for (const Entry& e : entries) {
    ParsedInternalKey k;
    if (!ParseInternalKey(e.first, &k) || k.sequence > read_seq) continue;
    if (k.type == ValueType::kRangeDeletion) {
      ranges.emplace_back(k, e.second);
      continue;
    }
    auto [it, inserted] = newest.try_emplace(std::string(k.user_key), k, e.second);
    if (!inserted && it->second.first.sequence < k.sequence) it->second = {k, e.second};
  }
  std::map<std::string, std::string> out;
  for (const auto& [user, ver] : newest) {
    const ParsedInternalKey& k = ver.first;
    bool dead = k.type == ValueType::kDeletion;
    for (const auto& [r, end] : ranges) {
      dead |= r.user_key <= user && user < end && r.sequence > k.sequence;
    }
    std::string_view payload = ver.second;
    if (IsExpiringType(k.type)) {
      std::uint64_t at = 0;
      dead |= !SplitExpiringValue(payload, &at, &payload) || at <= kTestNow;
    }
    if (IsPointerType(k.type)) payload.remove_prefix(4);
    if (!dead) out.emplace(user, std::string(payload));
  }
  return out;
}

}  // namespace larder::lsm::itertest

#endif  // LARDER_LSM_ITER_TESTUTIL_H_
