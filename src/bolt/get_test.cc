// BucketImpl::Get: the descent straight from the map (GetFromMap in bucket_impl.cc), a reader's
// and a writer's before it touches the bucket, must answer exactly as the checked descent, and
// hand damaged pages to the checked path, which reports them.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "base/coding.h"
#include "bolt/access.h"
#include "bolt/bucket_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%09d", i);
  return buf;
}

class GetTest : public ::testing::Test {
 protected:
  std::unique_ptr<DB> Open() {
    Options o;
    o.file_system = fs_.get();
    o.page_size = 4096;
    o.no_sync = true;
    auto db = DB::Open("/g.db", o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  // Even keys 0, 2, ..., 2(n-1) with values "v<i>", in random order (pages split at the fill
  // percent), a nested bucket "nested" and the key "nested" itself inside "b"'s tree.
  static void Load(DB& db, int n) {
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = 2 * i;
    std::shuffle(order.begin(), order.end(), std::mt19937(3));
    ASSERT_TRUE(db.Update([&](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                    for (int i : order) {
                      LARDER_RETURN_IF_ERROR(b.Put(Key(i), "v" + std::to_string(i)));
                    }
                    return b.CreateBucket(Key(7)).status();  // an odd key: a bucket
                  }).ok());
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 30);
};

// Every key present, absent (between, before and after all keys) or a bucket: the reader's
// answer equals the writer's, over a tree of several levels. The writer reads the untouched
// bucket from the map too; once it has written a few keys (so the bucket has nodes), every
// other key's answer comes from the checked descent through nodes and pages and still agrees.
TEST_F(GetTest, ReaderAndWriterDescentsAgree) {
  auto db = Open();
  constexpr int kKeys = 20000;
  Load(*db, kKeys);
  auto reader = db->Begin(false);
  auto writer = db->Begin(true);
  ASSERT_TRUE(reader.ok() && writer.ok());
  Bucket rb = *(*reader)->GetBucket("b");
  Bucket wb = *(*writer)->GetBucket("b");
  internal::BucketImpl* impl = internal::Access::Impl(**reader).root.Child("b").value();
  internal::BucketImpl* wimpl = internal::Access::Impl(**writer).root.Child("b").value();
  ASSERT_NE(impl->header.root, 0u);
  ASSERT_TRUE(impl->nodes.empty());
  std::map<std::string, std::optional<std::string>> written;  // the writer's own changes
  auto check = [&](const std::string& key) {
    auto w = wb.Get(key);
    if (auto it = written.find(key); it != written.end()) {
      ASSERT_EQ(w.ok(), it->second.has_value()) << key << ": " << w.status().ToString();
      if (w.ok()) {
        EXPECT_EQ(*w, *it->second) << key;
      }
      return;
    }
    auto r = rb.Get(key);
    ASSERT_EQ(r.status().code(), w.status().code()) << key;
    if (r.ok()) {
      EXPECT_EQ(*r, *w) << key;
    }
  };
  auto check_all = [&] {
    for (int i = -1; i <= 2 * kKeys + 1; ++i) check(i < 0 ? std::string() + '\0' : Key(i));
    check("");
    check("zzzz");
    check("k");
  };
  ASSERT_TRUE(wimpl->nodes.empty());
  check_all();
  // Keys in the first, a middle and the last leaf; a new one, a changed one, a deleted one.
  for (int i : {0, kKeys, 2 * kKeys - 2}) {
    ASSERT_TRUE(wb.Put(Key(i), "w").ok());
    written[Key(i)] = "w";
    ASSERT_TRUE(wb.Put(Key(i + 1), "new").ok());
    written[Key(i + 1)] = "new";
    ASSERT_TRUE(wb.Delete(Key(i + 2)).ok());
    written[Key(i + 2)] = std::nullopt;
  }
  ASSERT_FALSE(wimpl->nodes.empty());
  check_all();
  EXPECT_EQ(rb.Get(Key(7)).status().code(), Code::kIncompatible);
  EXPECT_EQ(wb.Get(Key(7)).status().code(), Code::kIncompatible);
  EXPECT_TRUE(rb.Get(Key(1)).status().IsNotFound());
  auto v = rb.Get(Key(2 * kKeys - 2));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "v" + std::to_string(2 * kKeys - 2));
  ASSERT_TRUE((*writer)->Rollback().ok());
}

// A page whose header names another page: the map descent gives up on it and the checked path
// reports Corruption, for a branch (the bucket's root) and for a leaf.
TEST_F(GetTest, DamagedPagesAreReportedNotMissed) {
  Pgid root = 0, leaf = 0;
  {
    auto db = Open();
    Load(*db, 20000);
    auto tx = db->Begin(false);
    ASSERT_TRUE(tx.ok());
    internal::BucketImpl* b = internal::Access::Impl(**tx).root.Child("b").value();
    root = b->header.root;
    ASSERT_TRUE(b->ForEachPage([&](PageView p, int) {
                   if (p.is_leaf() && leaf == 0) leaf = p.id();
                   return Status::Ok();
                 }).ok());
  }
  ASSERT_NE(leaf, 0u);
  for (Pgid victim : {root, leaf}) {
    auto f = fs_->Open("/g.db", {});
    ASSERT_TRUE(f.ok());
    std::uint8_t saved[8], bad[8];
    ASSERT_TRUE((*f)->ReadAt(victim * 4096, saved).ok());
    StoreU64(bad, victim + 1000);
    ASSERT_TRUE((*f)->WriteAt(victim * 4096, bad).ok());
    f->reset();
    {
      auto db = Open();
      auto tx = db->Begin(false);
      ASSERT_TRUE(tx.ok());
      Bucket b = *(*tx)->GetBucket("b");
      // Key(0) lies in the first leaf, under the root.
      auto v = b.Get(Key(0));
      EXPECT_EQ(v.status().code(), Code::kCorruption) << victim << ": " << v.status().ToString();
      EXPECT_NE(v.status().message().find("misplaced page"), std::string::npos)
          << v.status().ToString();
    }
    if (victim == leaf) {
      // A writer with nodes (a write to the last key materialized the root): its checked
      // descent reaches the damaged leaf's page and reports it.
      auto db = Open();
      auto tx = db->Begin(true);
      ASSERT_TRUE(tx.ok());
      Bucket b = *(*tx)->GetBucket("b");
      ASSERT_TRUE(b.Put(Key(2 * 20000 - 2), "w").ok());
      ASSERT_FALSE(internal::Access::Impl(**tx).root.Child("b").value()->nodes.empty());
      auto v = b.Get(Key(0));
      EXPECT_EQ(v.status().code(), Code::kCorruption) << v.status().ToString();
      EXPECT_NE(v.status().message().find("misplaced page"), std::string::npos)
          << v.status().ToString();
      ASSERT_TRUE((*tx)->Rollback().ok());
    }
    f = fs_->Open("/g.db", {});
    ASSERT_TRUE((*f)->WriteAt(victim * 4096, saved).ok());
  }
}

}  // namespace
}  // namespace larder::bolt
