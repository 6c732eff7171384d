#include "lsm/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lsm/iter_testutil.h"

namespace larder::lsm {
namespace {

using itertest::IKey;

struct Found {
  bool ok = false;
  ValueType type = ValueType::kValue;
  std::string value;
  SequenceNumber seq = 0;
};

Found GetAt(const MemTable& mem, std::string_view user, SequenceNumber snapshot) {
  Found f;
  std::string_view v;
  f.ok = mem.Get(LookupKey(user, snapshot), &f.type, &v, &f.seq);
  f.value = std::string(v);
  return f;
}

struct Counters {
  std::uint64_t entries, deletions, ranges;
  SequenceNumber smallest, largest;
};
void ExpectCounters(const MemTable& mem, const Counters& want) {
  EXPECT_EQ(mem.num_entries(), want.entries);
  EXPECT_EQ(mem.num_deletions(), want.deletions);
  EXPECT_EQ(mem.num_range_deletions(), want.ranges);
  EXPECT_EQ(mem.smallest_sequence(), want.smallest);
  EXPECT_EQ(mem.largest_sequence(), want.largest);
  EXPECT_GT(mem.ApproximateMemoryUsage(), 0u);
}

TEST(LsmMemTableTest, GetFindsTheNewestVisibleVersion) {
  MemTable mem;
  EXPECT_TRUE(mem.empty());
  EXPECT_EQ(mem.smallest_sequence(), kMaxSequenceNumber);
  EXPECT_EQ(mem.largest_sequence(), 0u);
  mem.Add(5, ValueType::kValue, "k", "v5");
  mem.Add(7, ValueType::kDeletion, "k", "");
  mem.Add(9, ValueType::kExpiringValue, "k", "v9");
  mem.Add(6, ValueType::kValue, "ka", "other");

  EXPECT_FALSE(GetAt(mem, "k", 4).ok);  // older than every version
  Found f = GetAt(mem, "k", 5);
  EXPECT_TRUE(f.ok);
  EXPECT_EQ(f.type, ValueType::kValue);
  EXPECT_EQ(f.value, "v5");
  EXPECT_EQ(f.seq, 5u);
  f = GetAt(mem, "k", 8);
  EXPECT_TRUE(f.ok);
  EXPECT_EQ(f.type, ValueType::kDeletion);  // a tombstone is an answer
  EXPECT_EQ(f.seq, 7u);
  f = GetAt(mem, "k", kMaxSequenceNumber);
  EXPECT_EQ(f.type, ValueType::kExpiringValue);
  EXPECT_EQ(f.value, "v9");
  EXPECT_FALSE(GetAt(mem, "", 100).ok);
  EXPECT_FALSE(GetAt(mem, "j", 100).ok);
  EXPECT_FALSE(GetAt(mem, "kb", 100).ok);
  EXPECT_EQ(GetAt(mem, "ka", 100).value, "other");

  // The overload without a LookupKey; a snapshot past the largest sequence reads everything.
  SequenceNumber seq = 0;
  EXPECT_TRUE(mem.Get("k", ~SequenceNumber{0}, nullptr, nullptr, &seq));
  EXPECT_EQ(seq, 9u);
  EXPECT_TRUE(mem.Get("k", 8, nullptr, nullptr, &seq));
  EXPECT_EQ(seq, 7u);
  // Null out-parameters are allowed.
  EXPECT_TRUE(mem.Get(LookupKey("k", 6), nullptr, nullptr, nullptr));

  ExpectCounters(mem, {.entries = 4, .deletions = 1, .ranges = 0, .smallest = 5, .largest = 9});
}

TEST(LsmMemTableTest, RangeDeletionsAreKeptApart) {
  MemTable mem;
  EXPECT_EQ(mem.NewRangeTombstoneIterator(), nullptr);
  mem.Add(1, ValueType::kValue, "b", "vb");
  EXPECT_EQ(mem.NewRangeTombstoneIterator(), nullptr);
  mem.Add(2, ValueType::kRangeDeletion, "a", "c");
  mem.Add(3, ValueType::kRangeDeletion, "a", "z");
  mem.Add(4, ValueType::kDeletion, "d", "");

  // Get does not consult them.
  EXPECT_EQ(GetAt(mem, "b", 10).value, "vb");
  EXPECT_FALSE(GetAt(mem, "a", 10).ok);

  std::vector<std::string> points;
  auto it = mem.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) points.emplace_back(it->key());
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(points, (std::vector<std::string>{IKey("b", 1, ValueType::kValue),
                                              IKey("d", 4, ValueType::kDeletion)}));

  auto ranges = mem.NewRangeTombstoneIterator();
  ASSERT_NE(ranges, nullptr);
  std::vector<std::pair<std::string, std::string>> got;
  for (ranges->SeekToFirst(); ranges->Valid(); ranges->Next()) {
    got.emplace_back(ranges->key(), ranges->value());
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {IKey("a", 3, ValueType::kRangeDeletion), "z"},
                     {IKey("a", 2, ValueType::kRangeDeletion), "c"}}));
  ExpectCounters(mem, {.entries = 4, .deletions = 3, .ranges = 2, .smallest = 1, .largest = 4});
}

TEST(LsmMemTableTest, ViewsOutliveTheIterator) {
  MemTable mem;
  mem.Add(1, ValueType::kValue, "key", std::string(3000, 'x'));
  std::string_view k, v;
  {
    auto it = mem.NewIterator();
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    k = it->key();
    v = it->value();
  }
  for (int i = 0; i < 1000; ++i)
    mem.Add(2 + i, ValueType::kValue, std::string("k").append(std::to_string(i)), "y");
  EXPECT_EQ(k, IKey("key", 1, ValueType::kValue));
  EXPECT_EQ(v, std::string(3000, 'x'));
}

TEST(LsmMemTableTest, ArenaBlocksGoBackToTheCache) {
  auto cache = std::make_shared<ArenaBlockCache>(std::size_t{64} << 20);
  {
    MemTable mem(cache);
    for (int i = 0; i < 30000; ++i) {
      mem.Add(i + 1, ValueType::kValue, std::to_string(i), std::string(100, 'v'));
    }
    EXPECT_GT(mem.ApproximateMemoryUsage(), MemTableArena::kBlockSize);
  }
  const std::size_t kept = cache->bytes();
  EXPECT_GT(kept, MemTableArena::kBlockSize);
  MemTable next(cache);
  next.Add(1, ValueType::kValue, "a", "b");
  EXPECT_LT(cache->bytes(), kept);  // the new memtable took a cached block
  EXPECT_EQ(GetAt(next, "a", 1).value, "b");
}

// Random entries (duplicated user keys at many sequences, every type) against a std::map of
// internal keys: Get at random snapshots, full scans both ways, seeks, and random walks.
TEST(LsmMemTableTest, MatchesAMapModel) {
  using Model = std::map<std::string, std::string, InternalKeyLess>;
  Model points, ranges;
  MemTable mem;
  std::mt19937_64 rng(2026);
  auto random_user = [&] {
    std::string u(1 + rng() % 10, 'x');
    for (char& c : u) c = static_cast<char>('a' + rng() % 4);
    return u;
  };
  constexpr int kEntries = 5000;
  std::vector<SequenceNumber> seqs(kEntries);
  for (int i = 0; i < kEntries; ++i) seqs[i] = 100 + static_cast<SequenceNumber>(i) * 3;
  std::shuffle(seqs.begin(), seqs.end(), rng);  // not in insertion order: the list must not care
  std::uint64_t deletions = 0;
  for (SequenceNumber seq : seqs) {
    const auto type = static_cast<ValueType>(rng() % 6);
    const std::string user = random_user();
    const std::string value =
        type == ValueType::kDeletion ? "" : std::string("v").append(std::to_string(seq));
    mem.Add(seq, type, user, value);
    (type == ValueType::kRangeDeletion ? ranges : points)[IKey(user, seq, type)] = value;
    deletions += type == ValueType::kDeletion || type == ValueType::kRangeDeletion;
  }
  ExpectCounters(mem, {.entries = kEntries,
                       .deletions = deletions,
                       .ranges = ranges.size(),
                       .smallest = 100,
                       .largest = 100 + (kEntries - 1) * 3});

  // Get: the model's first entry at or after the lookup key, if it has the same user key.
  for (int probe = 0; probe < 5000; ++probe) {
    const std::string user = random_user();
    const SequenceNumber snapshot = rng() % (100 + kEntries * 3 + 10);
    const LookupKey lk(user, snapshot);
    auto m = points.lower_bound(std::string(lk.internal_key()));
    const bool want = m != points.end() && ExtractUserKey(m->first) == user;
    const Found f = GetAt(mem, user, snapshot);
    ASSERT_EQ(f.ok, want) << user << "@" << snapshot;
    if (!want) continue;
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(m->first, &p));
    EXPECT_EQ(f.seq, p.sequence);
    EXPECT_EQ(f.type, p.type);
    EXPECT_EQ(f.value, m->second);
  }

  for (const auto& [model, it] : {std::pair{&points, mem.NewIterator()},
                                  std::pair{&ranges, mem.NewRangeTombstoneIterator()}}) {
    ASSERT_NE(it, nullptr);
    // Forward and backward in full.
    auto m = model->begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(m, model->end());
      ASSERT_EQ(it->key(), m->first);
      ASSERT_EQ(it->value(), m->second);
    }
    EXPECT_EQ(m, model->end());
    auto r = model->rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
      ASSERT_NE(r, model->rend());
      ASSERT_EQ(it->key(), r->first);
    }
    EXPECT_EQ(r, model->rend());

    // Seeks to random targets, each followed by a short random walk.
    for (int probe = 0; probe < 2000; ++probe) {
      const std::string target =
          IKey(random_user(), rng() % (100 + kEntries * 3 + 10), static_cast<ValueType>(rng() % 6));
      Model::const_iterator pos;
      if (rng() % 2 == 0) {
        it->Seek(target);
        pos = model->lower_bound(target);
      } else {
        it->SeekForPrev(target);
        pos = model->upper_bound(target);
        pos = pos == model->begin() ? model->end() : std::prev(pos);
      }
      for (int step = 0; step < 6; ++step) {
        ASSERT_EQ(it->Valid(), pos != model->end()) << DebugString(target) << " step " << step;
        if (!it->Valid()) break;
        ASSERT_EQ(it->key(), pos->first) << DebugString(target) << " step " << step;
        if (rng() % 2 == 0) {
          it->Next();
          ++pos;
        } else {
          it->Prev();
          pos = pos == model->begin() ? model->end() : std::prev(pos);
        }
      }
    }
  }
}

// One writer, three readers. Entry i (0-based) has sequence i + 1 and a user key from a small
// pool, and the writer publishes "entries [0, n) are added" after each Add. Every reader, at
// every point, must see a strictly increasing sequence that contains all of [0, n) for the n it
// loaded before starting, with intact values, and Get must return exactly the newest version
// at or below n. A broken publication order (a node linked before it is filled, a counter
// published before the Add) fails these checks.
TEST(LsmMemTableTest, ConcurrentReadersSeeSortedCompleteData) {
  constexpr int kEntries = 20000;
  constexpr int kReaders = 3;
  std::mt19937_64 rng(99);
  std::vector<std::string> pool(1500);
  for (auto& u : pool) {
    u.resize(8 + rng() % 16);
    for (char& c : u) c = static_cast<char>(rng());
  }
  std::vector<int> key_of(kEntries);  // entry -> pool index
  for (int& k : key_of) k = static_cast<int>(rng() % pool.size());
  // next_same[i]: the next entry with the same user key (kEntries when none).
  std::vector<int> next_same(kEntries, kEntries), last(pool.size(), -1);
  for (int i = 0; i < kEntries; ++i) {
    if (last[key_of[i]] >= 0) next_same[last[key_of[i]]] = i;
    last[key_of[i]] = i;
  }
  auto value_of = [](SequenceNumber seq) { return "value-" + std::to_string(seq); };

  MemTable mem;
  std::atomic<int> published{0};
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  auto fail = [&](const std::string& what) {
    if (errors.fetch_add(1) < 5) ADD_FAILURE() << what;
  };

  auto reader = [&](int id) {
    std::mt19937_64 r(id);
    int scans = 0;
    bool last_round = false;
    while (!last_round && errors.load() == 0) {
      last_round = done.load(std::memory_order_acquire);  // one more full check after the end
      const int n = published.load(std::memory_order_acquire);
      // A full scan, forward or backward.
      const bool backward = (scans % 2) == 1;
      auto it = mem.NewIterator();
      int seen = 0;
      std::string prev;
      for (backward ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
           backward ? it->Prev() : it->Next()) {
        const std::string_view key = it->key();
        if (!prev.empty()) {
          const int c = CompareInternalKeys(prev, key);
          if (backward ? c <= 0 : c >= 0)
            fail("out of order: " + DebugString(prev) + " then " + DebugString(key));
        }
        prev.assign(key);
        const SequenceNumber seq = ExtractTrailer(key) >> 8;
        if (seq < 1 || seq > kEntries || ExtractUserKey(key) != pool[key_of[seq - 1]] ||
            it->value() != value_of(seq)) {
          fail("damaged entry " + DebugString(key));
        }
        seen += seq <= static_cast<SequenceNumber>(n);
      }
      if (seen != n) fail("scan saw " + std::to_string(seen) + " of " + std::to_string(n));
      ++scans;
      // Point reads of entries added before n was loaded.
      for (int g = 0; g < 200 && n > 0; ++g) {
        const int i = static_cast<int>(r() % static_cast<std::uint64_t>(n));
        ValueType type;
        std::string_view value;
        SequenceNumber seq = 0;
        if (!mem.Get(LookupKey(pool[key_of[i]], n), &type, &value, &seq)) {
          fail("Get missed entry " + std::to_string(i));
          continue;
        }
        // The newest version at or below n: entry seq-1, of the same key, no newer one <= n.
        const int e = static_cast<int>(seq) - 1;
        if (e < i || e >= n || key_of[e] != key_of[i] || next_same[e] < n ||
            value != value_of(seq)) {
          fail("Get of entry " + std::to_string(i) + " at " + std::to_string(n) +
               " returned sequence " + std::to_string(seq));
        }
      }
    }
    EXPECT_GE(scans, 1);
  };

  std::vector<std::thread> readers;
  for (int id = 0; id < kReaders; ++id) readers.emplace_back(reader, id);
  for (int i = 0; i < kEntries; ++i) {
    mem.Add(static_cast<SequenceNumber>(i + 1), ValueType::kValue, pool[key_of[i]],
            value_of(static_cast<SequenceNumber>(i + 1)));
    published.store(i + 1, std::memory_order_release);
    if (i % 256 == 0) std::this_thread::yield();  // let the readers interleave on 2 cores
  }
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace larder::lsm
