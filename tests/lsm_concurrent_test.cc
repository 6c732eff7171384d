// Readers during flushes and compactions (run under TSan by `make tsan`, whose filter catches
// "Concurrent"): one writer rewrites groups of keys, each group in one batch with one version
// number, while memtables are tiny so that flushes, compactions and value-log rotations run
// in the background all along. Readers check what they see:
//   - a Get returns a well-formed value of its key, and per reader the version of a key never
//     goes back (writes are linearizable);
//   - an iterator (an implicit snapshot) shows every key of a group with one version, sorted,
//     forward and backward (a batch is atomic, and a flush or compaction never shows half of
//     one).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "larder/lsm/db.h"

namespace larder::lsm {
namespace {

constexpr int kGroups = 16, kKeysPerGroup = 8;

// Built by append: GCC 12 at -O3 warns falsely (-Wrestrict) on "g" + string.
std::string GroupKey(int g, int k) {
  std::string key = "g";
  key += std::to_string(100 + g);
  key += '/';
  key += std::to_string(k);
  return key;
}

// Values of 0..~300 bytes: some stay in the value log (value_threshold 128).
std::string GroupValue(const std::string& key, long version) {
  std::string v = key + "#" + std::to_string(version) + "#";
  v.resize(v.size() + static_cast<std::size_t>(version * 37 % 300), 'x');
  return v;
}

// The version a well-formed value carries; -1 when it is not one of GroupValue(key, ·).
long VersionOf(const std::string& key, std::string_view value) {
  if (value.substr(0, key.size() + 1) != key + "#") return -1;
  value.remove_prefix(key.size() + 1);
  const std::size_t hash = value.find('#');
  if (hash == std::string_view::npos) return -1;
  const long version = std::stol(std::string(value.substr(0, hash)));
  return GroupValue(key, version) == std::string(key) + "#" + std::string(value) ? version : -1;
}

TEST(LsmConcurrentTest, ReadersDuringFlushesAndCompactions) {
  Options o;
  o.in_memory = true;
  o.write_buffer_size = 16 << 10;
  o.value_threshold = 128;
  o.target_file_size = 8 << 10;
  o.max_bytes_for_level_base = 32 << 10;
  o.level0_compaction_trigger = 2;
  o.block_size = 512;
  auto db = DB::Open("/concurrent", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  DB* d = db->get();

  std::atomic<bool> done{false};
  std::atomic<long> reads{0}, scans{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      std::map<std::string, long> seen;  // the newest version this reader saw per key
      int round = 0;
      while (!done.load(std::memory_order_acquire)) {
        ++round;
        for (int g = 0; g < kGroups; ++g) {
          const std::string key = GroupKey(g, (g + round + r) % kKeysPerGroup);
          std::string v;
          Status s = d->Get(key, &v);
          if (s.IsNotFound()) continue;
          ASSERT_TRUE(s.ok()) << s.ToString();
          const long version = VersionOf(key, v);
          ASSERT_GE(version, 0) << key << " = " << v.substr(0, 40);
          ASSERT_GE(version, seen[key]) << key << ": a read went back in time";
          seen[key] = version;
          reads.fetch_add(1, std::memory_order_relaxed);
        }
        auto it = d->NewIterator();
        ASSERT_TRUE(it.ok()) << it.status().ToString();
        std::map<int, long> group_version;
        int entries = 0;
        const bool forward = round % 2 == 0;
        std::string previous;
        for (forward ? (*it)->SeekToFirst() : (*it)->SeekToLast(); (*it)->Valid();
             forward ? (*it)->Next() : (*it)->Prev()) {
          const std::string key((*it)->key());
          if (!previous.empty()) {
            ASSERT_TRUE(forward ? previous < key : previous > key) << key;
          }
          previous = key;
          const long version = VersionOf(key, (*it)->value());
          ASSERT_GE(version, 0) << key;
          const int g = std::stoi(key.substr(1, 3)) - 100;
          auto [slot, inserted] = group_version.emplace(g, version);
          ASSERT_EQ(slot->second, version) << "group " << g << " seen half-written at " << key;
          ++entries;
        }
        ASSERT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
        ASSERT_EQ(entries % kKeysPerGroup, 0);
        scans.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  constexpr long kVersions = 400;
  for (long version = 1; version <= kVersions; ++version) {
    const int g = static_cast<int>(version % kGroups);
    WriteBatch batch;
    for (int k = 0; k < kKeysPerGroup; ++k) {
      const std::string key = GroupKey(g, k);
      batch.Put(key, GroupValue(key, version));
    }
    ASSERT_TRUE(d->Write(kv::WriteOptions{}, batch).ok());
    if (version % 100 == 0) {
      ASSERT_TRUE(d->CompactRange(std::nullopt, std::nullopt).ok());
    }
  }
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  const Stats st = d->GetStats();
  EXPECT_GE(st.flushes, 3u);
  EXPECT_GE(st.compactions, 1u);
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(scans.load(), 0);
  ASSERT_TRUE(d->Close().ok());
}

}  // namespace
}  // namespace larder::lsm
