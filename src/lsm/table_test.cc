// Sorted tables: round trips against a std::map, every compression, Get, range deletions,
// properties, the block cache.
#include "lsm/table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "larder/file_system.h"
#include "lsm/dbformat.h"
#include "lsm/table_builder.h"
#include "lsm/table_test_util.h"
#include "lsm/vlog_pointer.h"

namespace larder::lsm {
namespace {

using table_test::Built;
using table_test::Model;
using table_test::OpenBuilt;
using table_test::RandomModel;
using table_test::RandomUserKey;

// Builds and checks the build went through.
void MustBuild(Built* b, const Model& m, const TableOptions& options,
               const table_test::RangeDels& range_dels = {}) {
  table_test::Build(b, m, options, range_dels);
  ASSERT_TRUE(b->status.ok()) << b->status.ToString();
  auto size = b->fs->FileSize(table_test::kPath);
  ASSERT_TRUE(size.ok());
  ASSERT_EQ(*size, b->size);
}

void ExpectSameAsModel(const Table& t, const Model& m, std::mt19937_64& rng, int distinct) {
  auto it = t.NewIterator(true, true);
  auto mit = m.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++mit) {
    ASSERT_NE(mit, m.end());
    ASSERT_EQ(it->key(), mit->first);
    ASSERT_EQ(it->value(), mit->second);
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  ASSERT_EQ(mit, m.end());
  auto rit = m.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++rit) {
    ASSERT_NE(rit, m.rend());
    ASSERT_EQ(it->key(), rit->first);
    ASSERT_EQ(it->value(), rit->second);
  }
  ASSERT_EQ(rit, m.rend());
  for (int i = 0; i < 2000; ++i) {
    const LookupKey lk(RandomUserKey(rng, distinct + 10), rng() % 100010);
    const std::string_view target = lk.internal_key();
    auto lb = m.lower_bound(std::string(target));
    it->Seek(target);
    if (lb == m.end()) {
      ASSERT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->key(), lb->first);
      ASSERT_EQ(it->value(), lb->second);
      it->Prev();
      ASSERT_EQ(it->Valid(), lb != m.begin());
      if (lb != m.begin()) {
        ASSERT_EQ(it->key(), std::prev(lb)->first);
      }
    }
    auto ub = m.upper_bound(std::string(target));
    it->SeekForPrev(target);
    ASSERT_EQ(it->Valid(), ub != m.begin());
    if (ub != m.begin()) {
      ASSERT_EQ(it->key(), std::prev(ub)->first);
      it->Next();
      ASSERT_EQ(it->Valid(), ub != m.end());
      if (ub != m.end()) {
        ASSERT_EQ(it->key(), ub->first);
      }
    }
    // Get: the first entry at or after the lookup key with the same user key.
    bool found = false;
    std::string k, v;
    ASSERT_TRUE(t.Get(lk, true, &found, &k, &v).ok());
    const bool expect = lb != m.end() && ExtractUserKey(lb->first) == lk.user_key();
    ASSERT_EQ(found, expect) << DebugString(target);
    if (expect) {
      ASSERT_EQ(k, lb->first);
      ASSERT_EQ(v, lb->second);
    }
  }
  ASSERT_TRUE(it->status().ok());
}

TEST(LsmTableTest, EmptyTable) {
  Built b;
  MustBuild(&b, {}, {});
  auto t = OpenBuilt(b);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto it = (*t)->NewIterator(true, true);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  bool found = true;
  std::string k, v;
  EXPECT_TRUE((*t)->Get(LookupKey("a", 5), true, &found, &k, &v).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ((*t)->NewRangeTombstoneIterator(), nullptr);
  EXPECT_TRUE((*t)->VerifyAll().ok());
  EXPECT_EQ((*t)->properties().num_entries, 0u);
}

TEST(LsmTableTest, RoundTripsAgainstModelWithEveryCompression) {
  for (const Compression c : {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    for (const int n : {1, 50, 3000}) {
      SCOPED_TRACE(::testing::Message() << "compression " << int(c) << " n " << n);
      std::mt19937_64 rng(n * 31 + static_cast<int>(c));
      const int distinct = n / 2 + 1;
      const Model m = RandomModel(rng, n, distinct);
      TableOptions o;
      o.compression = c;
      o.block_size = n > 1000 ? 1024 : 4096;
      o.restart_interval = static_cast<int>(rng() % 16) + 1;
      Built b;
      MustBuild(&b, m, o);
      BlockCache cache(std::size_t{1} << 20);
      for (const bool mapped : {false, true})
        for (BlockCache* cp : {static_cast<BlockCache*>(nullptr), &cache}) {
          SCOPED_TRACE(::testing::Message() << "mapped " << mapped << " cache " << (cp != nullptr));
          auto t = OpenBuilt(b, cp, true, mapped);
          ASSERT_TRUE(t.ok()) << t.status().ToString();
          ExpectSameAsModel(**t, m, rng, distinct);
          ASSERT_TRUE((*t)->VerifyAll().ok()) << (*t)->VerifyAll().ToString();
          const TableProperties& p = (*t)->properties();
          EXPECT_EQ(p.num_entries, m.size());
          EXPECT_EQ(p.compression, static_cast<std::uint64_t>(c));
        }
      if (n == 3000) {
        EXPECT_GT(cache.hits(), 0u);
        EXPECT_GT(cache.misses(), 0u);
        if (c != Compression::kNone) {
          EXPECT_LT(b.props.data_bytes, b.props.raw_key_bytes + b.props.raw_value_bytes);
        }
      }
    }
  }
}

// Tiny blocks (one or two entries each) and many versions per user key: seeks, steps and Gets
// cross block boundaries all the time, including a version run split between two blocks.
TEST(LsmTableTest, TinyBlocksAndLongVersionRuns) {
  for (const std::size_t block_size : {1, 64, 200}) {
    SCOPED_TRACE(::testing::Message() << "block_size " << block_size);
    std::mt19937_64 rng(block_size);
    const int distinct = 40;
    const Model m = RandomModel(rng, 600, distinct);
    TableOptions o;
    o.block_size = block_size;
    o.restart_interval = 2;
    Built b;
    MustBuild(&b, m, o);
    EXPECT_GT(b.props.num_data_blocks, 100u);
    auto t = OpenBuilt(b, nullptr, true);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ExpectSameAsModel(**t, m, rng, distinct);
    ASSERT_TRUE((*t)->VerifyAll().ok());
  }
}

TEST(LsmTableTest, PropertiesCountWhatWasAdded) {
  Model m;
  std::string k;
  AppendInternalKey(&k, "a", 9, ValueType::kValue);
  m.emplace(k, "1");
  k.clear();
  AppendInternalKey(&k, "a", 3, ValueType::kDeletion);
  m.emplace(k, "");
  k.clear();
  AppendInternalKey(&k, "b", 7, ValueType::kExpiringPointer);
  std::string expiring_pointer(8, '\x01');  // expires_at_ms, then the pointer
  VlogPointer{12, 4096, 7000}.EncodeTo(&expiring_pointer);
  m.emplace(k, expiring_pointer);
  table_test::RangeDels rd;
  k.clear();
  AppendInternalKey(&k, "m", 20, ValueType::kRangeDeletion);
  rd.emplace_back(k, "p");
  k.clear();
  AppendInternalKey(&k, "c", 2, ValueType::kRangeDeletion);
  rd.emplace_back(k, "d");
  Built b;
  MustBuild(&b, m, {}, rd);
  auto t = OpenBuilt(b);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const TableProperties& p = (*t)->properties();
  EXPECT_EQ(p.num_entries, 3u);
  EXPECT_EQ(p.num_deletions, 1u);
  EXPECT_EQ(p.num_range_deletions, 2u);
  EXPECT_EQ(p.num_pointer_values, 1u);
  EXPECT_EQ(p.smallest_seq, 2u);
  EXPECT_EQ(p.largest_seq, 20u);
  EXPECT_EQ(p.raw_value_bytes, 1 + expiring_pointer.size());
  EXPECT_EQ(p.num_data_blocks, 1u);
  EXPECT_GT(p.filter_bytes, 0u);
  EXPECT_GT(p.index_bytes, 0u);
  EXPECT_EQ(p.index_bytes, b.props.index_bytes);
  ASSERT_EQ(p.pointer_bytes_by_vlog.size(), 1u);
  EXPECT_EQ(p.pointer_bytes_by_vlog[0], (std::pair<std::uint64_t, std::uint64_t>{12, 7000}));
  EXPECT_GE((*t)->ApproximateMemoryUsage(), p.index_bytes + p.filter_bytes - 2 * kBlockTrailerSize);
  // Range deletions come back sorted, and are not data entries.
  auto rit = (*t)->NewRangeTombstoneIterator();
  ASSERT_NE(rit, nullptr);
  rit->SeekToFirst();
  ASSERT_TRUE(rit->Valid());
  EXPECT_EQ(ExtractUserKey(rit->key()), "c");
  EXPECT_EQ(rit->value(), "d");
  rit->Next();
  ASSERT_TRUE(rit->Valid());
  EXPECT_EQ(ExtractUserKey(rit->key()), "m");
  EXPECT_EQ(rit->value(), "p");
  rit->Next();
  EXPECT_FALSE(rit->Valid());
  EXPECT_TRUE((*t)->VerifyAll().ok());
  // The filter knows the data keys only.
  EXPECT_TRUE((*t)->KeyMayMatch("a"));
  EXPECT_TRUE((*t)->KeyMayMatch("b"));
}

TEST(LsmTableTest, KeysOutOfOrderFailTheBuild) {
  auto fs = NewMemFileSystem(std::size_t{1} << 20);
  auto w = fs->NewAppendWriter("/bad.sst");
  ASSERT_TRUE(w.ok());
  TableBuilder tb({}, w->get());
  std::string a, b;
  AppendInternalKey(&a, "b", 1, ValueType::kValue);
  AppendInternalKey(&b, "a", 1, ValueType::kValue);
  tb.Add(a, "1");
  tb.Add(b, "2");
  tb.Add(b, "2");
  Status s = tb.Finish();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("/bad.sst"), std::string_view::npos);
}

TEST(LsmTableTest, ApproximateOffsetsGrow) {
  std::mt19937_64 rng(3);
  const Model m = RandomModel(rng, 5000, 5000);
  Built b;
  MustBuild(&b, m, {});
  auto t = OpenBuilt(b);
  ASSERT_TRUE(t.ok());
  std::uint64_t prev = 0;
  int i = 0;
  for (const auto& [k, v] : m) {
    const std::uint64_t off = (*t)->ApproximateOffsetOf(k);
    ASSERT_GE(off, prev);
    prev = off;
    ++i;
  }
  EXPECT_GT(prev, b.props.data_bytes / 2);
  std::string past;
  AppendInternalKey(&past, "zzzz", 1, ValueType::kValue);
  EXPECT_EQ((*t)->ApproximateOffsetOf(past), b.props.data_bytes);
}

TEST(LsmTableTest, FilterSkipsAbsentKeys) {
  Model m;
  for (int i = 0; i < 20000; ++i) {
    std::string k;
    AppendInternalKey(&k, "present" + std::to_string(i), 5, ValueType::kValue);
    m.emplace(k, "v");
  }
  Built b;
  MustBuild(&b, m, {});
  auto t = OpenBuilt(b);
  ASSERT_TRUE(t.ok());
  int maybe = 0;
  for (int i = 0; i < 20000; ++i) maybe += (*t)->KeyMayMatch("absent" + std::to_string(i));
  EXPECT_LT(maybe, 600);  // < 3%
  for (int i = 0; i < 20000; i += 7) {
    ASSERT_TRUE((*t)->KeyMayMatch("present" + std::to_string(i)));
  }
}

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

// Concurrent readers of one table through a small shared cache (constant eviction): every
// Get and every scan still returns the model's data. Read with ReadAt (compressed blocks) and
// from a mapping (uncompressed blocks, read without the cache).
class LsmTableConcurrentTest : public ::testing::TestWithParam<bool> {};

TEST_P(LsmTableConcurrentTest, ConcurrentReadersThroughASmallCache) {
  const bool mapped = GetParam();
  std::mt19937_64 rng(9);
  const Model m = RandomModel(rng, 4000, 3000);
  table_test::Built b;
  TableOptions o;
  o.block_size = 1024;
  o.compression = mapped ? Compression::kNone : Compression::kLz4;
  MustBuild(&b, m, o);
  // Mapped, the blocks are read from the mapping without the cache.
  BlockCache cache(64 * 1024);
  auto t = OpenBuilt(b, &cache, false, mapped);
  ASSERT_TRUE(t.ok());
  const std::vector<std::pair<std::string, std::string>> entries(m.begin(), m.end());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937_64 r(th);
      std::string k, v;
      for (int i = 0; i < 3000; ++i) {
        const auto& [ik, iv] = entries[r() % entries.size()];
        ParsedInternalKey p;
        bool found = false;
        if (!ParseInternalKey(ik, &p) ||
            !(*t)->Get(LookupKey(p.user_key, p.sequence), true, &found, &k, &v).ok() || !found ||
            k != ik || v != iv) {
          ++wrong;
        }
      }
      auto it = (*t)->NewIterator(false, true);
      std::size_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
        if (n >= entries.size() || it->key() != entries[n].first) ++wrong;
      }
      if (n != entries.size() || !it->status().ok()) ++wrong;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.usage(), cache.capacity());
  if (mapped) {
    EXPECT_EQ(cache.entries(), 0u);
  } else {
    EXPECT_GT(cache.hits(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(ReadAtAndMapped, LsmTableConcurrentTest, ::testing::Bool());

// Builds `m` into *b with blocks of `block_size` bytes and codec `c`.
void BuildWith(table_test::Built* b, const Model& m, std::size_t block_size,
               Compression c = Compression::kNone) {
  TableOptions o;
  o.block_size = block_size;
  o.compression = c;
  MustBuild(b, m, o);
}

// A mapped table reads the blocks it stores uncompressed where they lie, without the cache
// (which would keep its mapping alive after it closed); the blocks it stores compressed are
// inflated into the cache as an unmapped table's are.
TEST(LsmTableTest, MappedTableReadsUncompressedBlocksWithoutTheCache) {
  std::mt19937_64 rng(12);
  const Model m = RandomModel(rng, 3000, 2000);
  for (const Compression c : {Compression::kNone, Compression::kLz4}) {
    SCOPED_TRACE(static_cast<int>(c));
    table_test::Built b;
    BuildWith(&b, m, 1024, c);
    BlockCache cache(std::size_t{1} << 20);
    auto mapped = OpenBuilt(b, &cache, false, /*map_file=*/true);
    ASSERT_TRUE(mapped.ok());
    std::mt19937_64 r(c == Compression::kNone ? 1 : 2);
    for (int pass = 0; pass < 2; ++pass) {
      ExpectSameAsModel(**mapped, m, r, 2000);
    }
    const std::size_t blocks = (*mapped)->properties().num_data_blocks;
    ASSERT_GT(blocks, 20u);
    if (c == Compression::kNone) {
      EXPECT_EQ(cache.entries(), 0u);
      EXPECT_EQ(cache.hits() + cache.misses(), 0u);
    } else {
      EXPECT_EQ(cache.entries(), blocks);
      EXPECT_GT(cache.hits(), 0u);
    }
  }
}

// SeekIndex narrows the index search by the separators' key prefixes: it lands where a plain
// search of the index block does, for targets between, on and around separators, with keys
// that share their first 8 bytes ("user1234...") and keys shorter than 8 bytes.
TEST(LsmTableTest, SeekIndexLandsWhereTheIndexSearchDoes) {
  std::mt19937_64 rng(14);
  const Model m = RandomModel(rng, 4000, 3000);
  table_test::Built b;
  BuildWith(&b, m, 256);
  auto t = OpenBuilt(b);
  ASSERT_TRUE(t.ok());
  ASSERT_GT((*t)->properties().num_data_blocks, 200u);
  auto plain = (*t)->NewIndexIterator();
  auto narrowed = (*t)->NewIndexIterator();
  std::vector<std::string> targets;
  for (plain->SeekToFirst(); plain->Valid(); plain->Next()) targets.emplace_back(plain->key());
  for (int i = 0; i < 3000; ++i) {
    std::string k;
    AppendInternalKey(&k, RandomUserKey(rng, 4000).substr(0, 1 + rng() % 9), rng() % 200000,
                      ValueType::kValue);
    targets.push_back(k);
  }
  for (const std::string& target : targets) {
    plain->Seek(target);
    (*t)->SeekIndex(target, narrowed.get());
    ASSERT_EQ(plain->Valid(), narrowed->Valid()) << DebugString(target);
    if (plain->Valid()) {
      ASSERT_EQ(plain->key(), narrowed->key()) << DebugString(target);
    }
  }
}

// The first read of a mapped block checks it; a damaged one fails that read and every later
// one (the failure is not remembered as a checked block), and the blocks around it still read.
TEST(LsmTableTest, MappedTableChecksEachBlockOnEveryReadUntilItPasses) {
  std::mt19937_64 rng(13);
  const Model m = RandomModel(rng, 3000, 2000);
  table_test::Built b;
  BuildWith(&b, m, 1024);
  // Damage one byte in the middle of the data blocks.
  const std::string bytes = table_test::Contents(b);
  const std::size_t at = b.props.data_bytes / 2;
  const std::uint8_t flipped = static_cast<std::uint8_t>(bytes[at]) ^ 0x40;
  {
    auto f = b.fs->Open(table_test::kPath, {});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(at, {&flipped, 1}).ok());
  }
  auto mapped = OpenBuilt(b, nullptr, false, /*map_file=*/true);
  ASSERT_TRUE(mapped.ok());
  std::size_t damaged = 0, read = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [ik, iv] : m) {
      ParsedInternalKey p;
      ASSERT_TRUE(ParseInternalKey(ik, &p));
      bool found = false;
      std::string k, v;
      const Status s = (*mapped)->Get(LookupKey(p.user_key, p.sequence), false, &found, &k, &v);
      if (!s.ok()) {
        EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
        ++damaged;
      } else if (found && k == ik && v == iv) {
        ++read;
      }
    }
  }
  EXPECT_GT(damaged, 0u);
  EXPECT_EQ(damaged % 2, 0u);  // the same keys failed in both passes
  EXPECT_EQ(read + damaged, 2 * m.size());
}

}  // namespace
}  // namespace larder::lsm
