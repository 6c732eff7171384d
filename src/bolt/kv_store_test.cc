// The bolt adapter of kv::Store: iterator edges and bounds, snapshots, limits, sub-bucket
// entries, read-only stores, sharing a DB. The randomized model and crash-point runs are in
// tests/bolt_kv_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "larder/bolt/kv.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

class KVStoreTest : public ::testing::Test {
 protected:
  Options Opts() {
    Options o;
    o.file_system = fs_.get();
    o.no_sync = true;
    return o;
  }
  std::unique_ptr<kv::Store> Open(const Options& o) {
    auto s = OpenKV("/kv.db", o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static std::vector<std::string> Walk(kv::Iterator& it, bool forward) {
    std::vector<std::string> keys;
    for (; it.Valid(); forward ? it.Next() : it.Prev()) keys.emplace_back(it.key());
    EXPECT_TRUE(it.status().ok());
    return keys;
  }
  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 28);
};

using Keys = std::vector<std::string>;

TEST_F(KVStoreTest, BoundsClipEverySeek) {
  auto store = Open(Opts());
  kv::WriteBatch b;
  for (const char* k : {"a", "b", "c", "d", "e"}) b.Put(k, std::string("v") + k);
  ASSERT_TRUE(store->Write({}, b).ok());

  auto it = store->NewIterator({.lower_bound = "b", .upper_bound = "d"});
  ASSERT_TRUE(it.ok());
  kv::Iterator& i = **it;
  i.SeekToFirst();
  EXPECT_EQ(Walk(i, true), (Keys{"b", "c"}));
  i.SeekToLast();
  EXPECT_EQ(Walk(i, false), (Keys{"c", "b"}));
  i.Seek("a");  // below the lower bound: the first key in bounds
  EXPECT_EQ(Walk(i, true), (Keys{"b", "c"}));
  i.Seek("cc");
  EXPECT_EQ(Walk(i, true), (Keys{}));
  i.SeekForPrev("z");  // past the upper bound: the last key in bounds
  EXPECT_EQ(Walk(i, false), (Keys{"c", "b"}));
  i.SeekForPrev("c");  // exact
  ASSERT_TRUE(i.Valid());
  EXPECT_EQ(i.key(), "c");
  EXPECT_EQ(i.value(), "vc");
  i.SeekForPrev("bb");
  EXPECT_EQ(Walk(i, false), (Keys{"b"}));
  i.SeekForPrev("a");  // below everything in bounds
  EXPECT_FALSE(i.Valid());

  auto all = store->NewIterator();
  ASSERT_TRUE(all.ok());
  (*all)->SeekForPrev("0");
  EXPECT_FALSE((*all)->Valid());
  (*all)->SeekForPrev("zz");
  EXPECT_EQ(Walk(**all, false), (Keys{"e", "d", "c", "b", "a"}));
  (*all)->Seek("zz");
  EXPECT_FALSE((*all)->Valid());

  auto empty = store->NewIterator({.lower_bound = "d", .upper_bound = "b"});
  ASSERT_TRUE(empty.ok());
  (*empty)->SeekToFirst();
  EXPECT_FALSE((*empty)->Valid());
  (*empty)->SeekToLast();
  EXPECT_FALSE((*empty)->Valid());
}

TEST_F(KVStoreTest, SnapshotsAndIteratorsKeepTheirState) {
  auto store = Open(Opts());
  ASSERT_TRUE(store->Put({}, "k", "old").ok());
  auto snap = store->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  auto it = store->NewIterator();
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE(store->Put({}, "k", "new").ok());
  ASSERT_TRUE(store->Put({}, "k2", "x").ok());
  ASSERT_TRUE(store->Delete({}, "k").ok());

  std::string v;
  ASSERT_TRUE((*snap)->Get("k", &v).ok());
  EXPECT_EQ(v, "old");
  EXPECT_TRUE((*snap)->Get("k2", &v).IsNotFound());
  (*it)->SeekToFirst();
  EXPECT_EQ(Walk(**it, true), (Keys{"k"}));
  auto sit = (*snap)->NewIterator();
  ASSERT_TRUE(sit.ok());
  (*sit)->SeekToLast();
  EXPECT_EQ(Walk(**sit, false), (Keys{"k"}));

  EXPECT_TRUE(store->Get("k", &v).IsNotFound());
  ASSERT_TRUE(store->Get("k2", &v).ok());
  EXPECT_EQ(v, "x");

  // GetView: the snapshot's value without a copy, unchanged by the writes after it.
  std::string_view view;
  ASSERT_TRUE((*snap)->GetView("k", &view).ok());
  EXPECT_EQ(view, "old");
  EXPECT_TRUE((*snap)->GetView("k2", &view).IsNotFound());
}

// kv::Snapshot's default GetView (for engines that cannot pin values) copies through Get into
// the snapshot's own buffer.
TEST(KVSnapshotTest, DefaultGetViewCopiesThroughGet) {
  class MapSnapshot final : public kv::Snapshot {
   public:
    Status Get(std::string_view key, std::string* value) override {
      ++gets;
      if (key != "a") return Status::NotFound();
      value->assign("value of a");
      return Status::Ok();
    }
    Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions&) override {
      return Status::NotSupported("no iterator");
    }
    int gets = 0;
  } snap;
  std::string_view view = "unchanged";
  ASSERT_TRUE(snap.GetView("a", &view).ok());
  EXPECT_EQ(view, "value of a");
  EXPECT_TRUE(snap.GetView("b", &view).IsNotFound());
  EXPECT_EQ(snap.gets, 2);
}

TEST_F(KVStoreTest, InvalidEntriesFailTheWholeBatch) {
  auto store = Open(Opts());
  kv::WriteBatch b;
  b.Put("good", "1");
  b.Put("", "empty key");
  EXPECT_EQ(store->Write({}, b).code(), Code::kInvalidArgument);
  b.Clear();
  b.Put("good", "1");
  b.Delete(std::string(kMaxKeySize + 1, 'k'));
  EXPECT_EQ(store->Write({}, b).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->Put({}, "", "v").code(), Code::kInvalidArgument);
  std::string v;
  EXPECT_TRUE(store->Get("good", &v).IsNotFound());
  EXPECT_TRUE(store->Write({}, kv::WriteBatch()).ok());
}

TEST_F(KVStoreTest, SharesADBAndSkipsSubBuckets) {
  auto db = DB::Open("/shared.db", Opts());
  ASSERT_TRUE(db.ok());
  auto store = NewKVStore(db->get(), "mine");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Put({}, "a", "1").ok());
  ASSERT_TRUE((*db)
                  ->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("mine"));
                    LARDER_RETURN_IF_ERROR(b.CreateBucket("b-sub").status());
                    LARDER_RETURN_IF_ERROR(b.Put("c", "3"));
                    return tx.CreateBucket("other").status();
                  })
                  .ok());
  auto it = (*store)->NewIterator();
  ASSERT_TRUE(it.ok());
  (*it)->SeekToFirst();
  EXPECT_EQ(Walk(**it, true), (Keys{"a", "c"}));
  (*it)->SeekToLast();
  EXPECT_EQ(Walk(**it, false), (Keys{"c", "a"}));
  (*it)->SeekForPrev("b-sub");
  ASSERT_TRUE((*it)->Valid());
  EXPECT_EQ((*it)->key(), "a");
  it->reset();
  std::string v;
  EXPECT_EQ((*store)->Get("b-sub", &v).code(), Code::kIncompatible);
  EXPECT_EQ((*store)->Delete({}, "b-sub").code(), Code::kIncompatible);
  EXPECT_TRUE((*store)->Close().ok());  // the DB is not the store's: still open
  EXPECT_TRUE((*db)->View([](Tx& tx) { return tx.GetBucket("other").status(); }).ok());
}

// Skip steps through leaf pages in the cursor: it must count only key/value entries (a
// sub-bucket entry is not one), cross pages and stop at the upper bound as Next does.
TEST_F(KVStoreTest, SkipCountsEntriesAcrossPagesWithinTheBounds) {
  auto db = DB::Open("/skip.db", Opts());
  ASSERT_TRUE(db.ok());
  auto store = NewKVStore(db->get(), "mine");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Keys keys;  // what an iterator shows, in order
  ASSERT_TRUE((*db)
                  ->Update([&](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("mine"));
                    char key[16];
                    for (int i = 0; i < 3000; ++i) {
                      std::snprintf(key, sizeof key, "k%04d", i);
                      if (i % 97 == 0) {  // a sub-bucket entry among them
                        LARDER_RETURN_IF_ERROR(b.CreateBucket(key).status());
                        continue;
                      }
                      LARDER_RETURN_IF_ERROR(b.Put(key, "value"));
                      if (std::string_view(key) < "k2500") keys.emplace_back(key);
                    }
                    return Status::Ok();
                  })
                  .ok());
  kv::IteratorOptions bounds;
  bounds.lower_bound = "k0010";
  bounds.upper_bound = "k2500";
  const auto first = std::lower_bound(keys.begin(), keys.end(), "k0010") - keys.begin();
  for (std::size_t n : {0, 1, 2, 96, 97, 300, 1000, 2300, 2400, 5000}) {
    auto it = (*store)->NewIterator(bounds);
    ASSERT_TRUE(it.ok());
    (*it)->SeekToFirst();
    (*it)->Next();
    (*it)->Skip(n);
    ASSERT_TRUE((*it)->status().ok());
    const std::size_t want = static_cast<std::size_t>(first) + 1 + n;
    ASSERT_EQ((*it)->Valid(), want < keys.size()) << "skip " << n;
    if (want < keys.size()) {
      EXPECT_EQ((*it)->key(), keys[want]) << "skip " << n;
    }
  }
}

TEST_F(KVStoreTest, ReadOnlyStoreOverAMissingBucketIsEmpty) {
  { auto store = Open(Opts()); }
  Options ro = Opts();
  ro.read_only = true;
  auto store = OpenKV("/kv.db", ro, "absent");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::string v;
  EXPECT_TRUE((*store)->Get("k", &v).IsNotFound());
  auto it = (*store)->NewIterator();
  ASSERT_TRUE(it.ok());
  (*it)->SeekToFirst();
  EXPECT_FALSE((*it)->Valid());
  EXPECT_EQ((*store)->Put({}, "k", "v").code(), Code::kReadOnly);
  EXPECT_EQ(OpenKV("/kv.db", Opts(), "").status().code(), Code::kInvalidArgument);
}

// Writers share commits through DB::Batch while readers take snapshots: every batch lands
// whole (a reader never sees one key of a batch without the other).
TEST_F(KVStoreTest, ConcurrentWritersAndReaders) {
  auto store = Open(Opts());
  constexpr int kWriters = 4, kBatches = 100;
  std::atomic<bool> torn{false};
  std::atomic<int> write_errors{0}, writers_done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kBatches; ++i) {
        kv::WriteBatch b;
        const std::string v = std::to_string(i);
        b.Put("a" + std::to_string(w), v);
        b.Put("b" + std::to_string(w), v);
        if (!store->Write({}, b).ok()) ++write_errors;
      }
      ++writers_done;
    });
  }
  threads.emplace_back([&] {
    std::string a, b;
    // Reads until every writer is done (and at least 300 snapshots).
    for (int i = 0; i < 300 || writers_done.load() < kWriters; ++i) {
      auto snap = store->GetSnapshot();
      if (!snap.ok()) continue;
      for (int w = 0; w < kWriters; ++w) {
        Status sa = (*snap)->Get("a" + std::to_string(w), &a);
        Status sb = (*snap)->Get("b" + std::to_string(w), &b);
        if (sa.code() != sb.code() || (sa.ok() && a != b)) torn = true;
      }
    }
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(write_errors.load(), 0);
  EXPECT_FALSE(torn.load());
  std::string v;
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_TRUE(store->Get("b" + std::to_string(w), &v).ok());
    EXPECT_EQ(v, std::to_string(kBatches - 1));
  }
}

TEST_F(KVStoreTest, TransactionSeesItsWritesOthersSeeTheLastCommit) {
  auto store = Open(Opts());
  ASSERT_TRUE(store->Put({}, "a", "1").ok());
  ASSERT_TRUE(store->Put({}, "b", "2").ok());
  auto txr = store->BeginTransaction();
  ASSERT_TRUE(txr.ok()) << txr.status().ToString();
  kv::Transaction& tx = **txr;
  ASSERT_TRUE(tx.Put("c", "3").ok());
  ASSERT_TRUE(tx.Delete("a").ok());
  ASSERT_TRUE(tx.Delete("never-there").ok());
  kv::WriteBatch wb;
  wb.Put("b", "two");
  wb.Put("d", "4");
  ASSERT_TRUE(tx.Write(wb).ok());

  std::string v;
  EXPECT_TRUE(tx.Get("a", &v).IsNotFound());
  std::string_view view;
  ASSERT_TRUE(tx.GetView("b", &view).ok());
  EXPECT_EQ(view, "two");
  auto it = tx.NewIterator({.lower_bound = "b", .upper_bound = std::nullopt});
  ASSERT_TRUE(it.ok());
  (*it)->SeekToFirst();
  EXPECT_EQ(Walk(**it, true), (Keys{"b", "c", "d"}));
  it->reset();

  // Outside: the last committed state.
  auto snap = store->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(store->Get("a", &v).ok());
  EXPECT_EQ(v, "1");
  EXPECT_TRUE(store->Get("c", &v).IsNotFound());

  ASSERT_TRUE(tx.Commit({.sync = true}).ok());
  EXPECT_EQ(tx.Put("x", "y").code(), Code::kTxClosed);
  EXPECT_EQ(tx.Commit({}).code(), Code::kTxClosed);
  EXPECT_TRUE(tx.Rollback().ok());
  EXPECT_TRUE(store->Get("a", &v).IsNotFound());
  ASSERT_TRUE(store->Get("b", &v).ok());
  EXPECT_EQ(v, "two");
  // The snapshot taken before the commit keeps its state.
  ASSERT_TRUE((*snap)->Get("b", &v).ok());
  EXPECT_EQ(v, "2");
}

// larderd's SPOP: an iterator of the transaction seeks and skips to a member, then the member
// is taken or rewritten. The cursor leaves its position as a hint that the Take or Put then
// follows (Debug builds check each hinted Take and Put against a descent from the root).
TEST_F(KVStoreTest, TakesOfKeysAnIteratorStoppedOnMatchTheModel) {
  auto store = Open(Opts());
  std::map<std::string, std::string> model;
  kv::WriteBatch load;
  char key[16];
  for (int i = 0; i < 6000; i += 2) {
    std::snprintf(key, sizeof key, "k%05d", i);
    model[key] = std::string(static_cast<std::size_t>(i % 50), 'v');
    load.Put(key, model[key]);
  }
  ASSERT_TRUE(store->Write({}, load).ok());
  std::mt19937 rng(7);
  auto txr = store->BeginTransaction();
  ASSERT_TRUE(txr.ok()) << txr.status().ToString();
  kv::Transaction& tx = **txr;
  int taken = 0;
  for (int step = 0; step < 4000; ++step) {
    std::snprintf(key, sizeof key, "k%05d", static_cast<int>(rng() % 6000));
    std::string found;
    {
      auto it = tx.NewIterator({.lower_bound = "k", .upper_bound = "l"});
      ASSERT_TRUE(it.ok());
      if (rng() % 2 == 0) {
        (*it)->SeekToFirst();
      } else {
        (*it)->Seek(key);
      }
      if ((*it)->Valid()) (*it)->Skip(rng() % 40);
      ASSERT_TRUE((*it)->status().ok());
      if ((*it)->Valid()) found = std::string((*it)->key());
    }
    if (found.empty()) continue;
    ASSERT_EQ(model.count(found), 1u) << found;
    if (rng() % 4 == 0) {  // rewrite the member found, then add one nearby
      ASSERT_TRUE(tx.Put(found, "rewritten").ok());
      model[found] = "rewritten";
      ASSERT_TRUE(tx.Put(key, "added").ok());
      model[key] = "added";
    } else {
      std::string value;
      ASSERT_TRUE(tx.Take(found, &value).ok()) << found;
      EXPECT_EQ(value, model[found]) << found;
      model.erase(found);
      ++taken;
    }
  }
  ASSERT_TRUE(tx.Commit({}).ok());
  EXPECT_GT(taken, 2000);
  std::map<std::string, std::string> contents;
  auto it = store->NewIterator();
  ASSERT_TRUE(it.ok());
  for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
    contents.emplace((*it)->key(), (*it)->value());
  }
  EXPECT_EQ(contents, model);
}

TEST_F(KVStoreTest, TransactionRollbackAndInvalidEntries) {
  auto store = Open(Opts());
  ASSERT_TRUE(store->Put({}, "a", "1").ok());
  {
    auto tx = store->BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Put("a", "changed").ok());
    EXPECT_EQ((*tx)->Put("", "v").code(), Code::kInvalidArgument);
    kv::WriteBatch bad;
    bad.Put("z", "applied?");
    bad.Put(std::string(kMaxKeySize + 1, 'k'), "");
    EXPECT_EQ((*tx)->Write(bad).code(), Code::kInvalidArgument);
    std::string v;
    EXPECT_TRUE((*tx)->Get("z", &v).IsNotFound());  // nothing of the bad batch
    ASSERT_TRUE((*tx)->Get("a", &v).ok());          // the transaction goes on
    EXPECT_EQ(v, "changed");
    ASSERT_TRUE((*tx)->Rollback().ok());
    EXPECT_EQ((*tx)->Get("a", &v).code(), Code::kTxClosed);
  }
  {
    auto tx = store->BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Put("a", "dropped").ok());
  }  // destroyed: rolled back
  std::string v;
  ASSERT_TRUE(store->Get("a", &v).ok());
  EXPECT_EQ(v, "1");
  // An empty transaction commits.
  auto tx = store->BeginTransaction();
  ASSERT_TRUE(tx.ok());
  EXPECT_TRUE((*tx)->Commit({}).ok());
}

// A second transaction, or a Store::Write, waits for the open one to end.
TEST_F(KVStoreTest, OneTransactionAtATime) {
  auto store = Open(Opts());
  auto tx = store->BeginTransaction();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Put("k", "from tx").ok());
  std::atomic<bool> wrote{false};
  std::thread writer([&] {
    EXPECT_TRUE(store->Put({}, "k", "from writer").ok());
    wrote = true;
  });
  // The writer cannot finish before the commit: its write lands after it.
  EXPECT_FALSE(wrote.load());
  ASSERT_TRUE((*tx)->Commit({}).ok());
  writer.join();
  std::string v;
  ASSERT_TRUE(store->Get("k", &v).ok());
  EXPECT_EQ(v, "from writer");
}

TEST(WriteBatchTest, KeepsEntriesInOrder) {
  kv::WriteBatch b;
  EXPECT_TRUE(b.empty());
  b.Put("k", std::string("\0v", 2));
  b.Delete("k");
  b.Put("", "");
  ASSERT_EQ(b.Count(), 3u);
  std::vector<kv::WriteBatch::Entry> got(b.begin(), b.end());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].op, kv::WriteBatch::Op::kPut);
  EXPECT_EQ(got[0].value, std::string_view("\0v", 2));
  EXPECT_EQ(got[1].op, kv::WriteBatch::Op::kDelete);
  EXPECT_EQ(got[1].key, "k");
  EXPECT_EQ(got[2].key, "");
  b.Clear();
  EXPECT_EQ(b.begin(), b.end());
}

}  // namespace
}  // namespace larder::bolt
