#include "bolt/freelist.h"

#include <gtest/gtest.h>

#include <vector>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

TEST(FreelistTest, FirstFitLowestRunAndMerging) {
  Freelist fl;
  fl.Reset({9, 3, 4, 5, 12, 13});
  EXPECT_EQ(fl.free_count(), 6u);
  EXPECT_EQ(fl.Allocate(10, 2), 3u);   // lowest run that fits
  EXPECT_EQ(fl.Allocate(10, 2), 12u);  // [5] and [9] are too short
  EXPECT_EQ(fl.Allocate(10, 3), 0u);
  EXPECT_EQ(fl.Allocate(10, 1), 5u);
  fl.Rollback(10);  // allocations come back
  EXPECT_EQ(fl.free_count(), 6u);
  EXPECT_EQ(fl.Allocate(11, 3), 3u) << "3,4,5 merged back into one run";
}

TEST(FreelistTest, PendingUntilReleasedAndDoubleFreeIsCorruption) {
  Freelist fl;
  fl.Reset({});
  ASSERT_TRUE(fl.Free(5, 20, 2).ok());  // pages 20, 21, 22
  EXPECT_EQ(fl.pending_count(), 3u);
  EXPECT_EQ(fl.Allocate(6, 1), 0u) << "pending pages are not allocatable";
  EXPECT_TRUE(fl.Free(6, 21, 0).IsCorruption());
  fl.ReleaseBefore(5);
  EXPECT_EQ(fl.free_count(), 0u);
  fl.ReleaseBefore(6);
  EXPECT_EQ(fl.free_count(), 3u);
  EXPECT_TRUE(fl.Free(7, 22, 0).IsCorruption());
  EXPECT_TRUE(fl.Free(7, 1, 0).IsCorruption()) << "meta pages are never freed";
}

TEST(FreelistTest, PageRoundTripWithCountOverflow) {
  Freelist fl;
  std::vector<Pgid> ids;
  for (Pgid i = 2; i < 2 + 70000; ++i) ids.push_back(i * 2);
  fl.Reset(ids);
  std::vector<std::uint8_t> page(fl.PageBytes() + 1024, 0);
  fl.WritePage(page.data());
  EXPECT_EQ(LoadU16(page.data() + 10), 0xFFFF);
  EXPECT_EQ(LoadU64(page.data() + 16), 70000u);
  std::vector<Pgid> back;
  ASSERT_TRUE(Freelist::ReadPage(PageView(page.data(), page.size()), 1 << 20, &back).ok());
  EXPECT_EQ(back, ids);
  EXPECT_TRUE(Freelist::ReadPage(PageView(page.data(), page.size()), 1000, &back).IsCorruption())
      << "ids past the high-water mark are rejected";
}

TEST(FreelistTest, DatabaseWithMoreThan0xFFFFFreePages) {
  auto fs = NewMemFileSystem(std::size_t{1} << 30);
  Options o;
  o.file_system = fs.get();
  o.page_size = 1024;
  o.no_sync = true;
  {
    auto db = DB::Open("/flov.db", o);
    ASSERT_TRUE(db.ok());
    std::string value(600, 'v');
    for (int t = 0; t < 7; ++t) {
      ASSERT_TRUE((*db)
                      ->Update([&](Tx& tx) -> Status {
                        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("big"));
                        for (int i = 0; i < 10000; ++i) {
                          LARDER_RETURN_IF_ERROR(b.Put(std::to_string(t * 10000 + i), value));
                        }
                        return Status::Ok();
                      })
                      .ok());
    }
    ASSERT_TRUE((*db)->Update([](Tx& tx) { return tx.DeleteBucket("big"); }).ok());
    ASSERT_TRUE((*db)->Update([](Tx& tx) { return tx.CreateBucket("new").status(); }).ok());
    EXPECT_GT((*db)->Stats().free_page_n, 0xFFFFu);
  }
  auto db = DB::Open("/flov.db", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_GT((*db)->Stats().free_page_n, 0xFFFFu);
  auto tx = (*db)->Begin(false);
  auto problems = (*tx)->Check();
  EXPECT_TRUE(problems.empty()) << problems[0];
}

}  // namespace
}  // namespace larder::bolt
