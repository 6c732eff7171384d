// A damaged file can make a bucket contain itself: a nested bucket's header names, as its root,
// a page of an enclosing bucket. Walking such nesting (statistics, the check, a read, a delete)
// must end in Corruption, never recurse until the stack overflows (found by fuzz_open: the
// input is fuzz/corpus/open/crash-nested-bucket-cycle-stats). Cycles of one and of two levels.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

constexpr std::uint32_t kPageSize = 1024;

Options Opts(FileSystem* fs) {
  Options o;
  o.file_system = fs;
  o.page_size = kPageSize;
  return o;
}

// Fills `b` past what fits inline, so that it gets a root page of its own.
Status Fill(Bucket b) {
  for (int i = 0; i < 20; ++i) {
    LARDER_RETURN_IF_ERROR(b.Put("k" + std::to_string(i), std::string(20, 'x')));
  }
  return Status::Ok();
}

// Root pages of a, a/b and a/b/c, each a single leaf.
struct Roots {
  std::uint64_t a = 0, b = 0, c = 0;
};

Roots MakeNested(FileSystem* fs) {
  Roots r;
  auto db = DB::Open("/cycle.db", Opts(fs));
  EXPECT_TRUE(db.ok());
  EXPECT_TRUE((*db)
                  ->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket a, tx.CreateBucket("a"));
                    LARDER_RETURN_IF_ERROR(Fill(a));
                    LARDER_ASSIGN_OR_RETURN(Bucket b, a.CreateBucket("b"));
                    LARDER_RETURN_IF_ERROR(Fill(b));
                    LARDER_ASSIGN_OR_RETURN(Bucket c, b.CreateBucket("c"));
                    return Fill(c);
                  })
                  .ok());
  EXPECT_TRUE((*db)
                  ->View([&](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket a, tx.GetBucket("a"));
                    LARDER_ASSIGN_OR_RETURN(Bucket b, a.GetBucket("b"));
                    LARDER_ASSIGN_OR_RETURN(Bucket c, b.GetBucket("c"));
                    r = {a.RootPage(), b.RootPage(), c.RootPage()};
                    return Status::Ok();
                  })
                  .ok());
  return r;
}

// In page `page`, rewrites the bucket header whose root is `from` (followed by sequence 0) to
// name `to` instead.
void RedirectBucket(FileSystem* fs, std::uint64_t page, std::uint64_t from, std::uint64_t to) {
  auto f = fs->Open("/cycle.db", {});
  ASSERT_TRUE(f.ok());
  std::string bytes(kPageSize, '\0');
  auto* data = reinterpret_cast<std::uint8_t*>(bytes.data());
  ASSERT_TRUE((*f)->ReadAt(page * kPageSize, {data, bytes.size()}).ok());
  std::uint8_t header[16] = {};
  std::memcpy(header, &from, 8);  // little-endian, as the format
  const std::size_t at = bytes.find(std::string(reinterpret_cast<char*>(header), 16));
  ASSERT_NE(at, std::string::npos) << "bucket header for page " << from << " not in page " << page;
  std::memcpy(data + at, &to, 8);
  ASSERT_TRUE((*f)->WriteAt(page * kPageSize, {data, bytes.size()}).ok());
}

// Every walk over the nesting ends, and the check reports the damage.
void ExpectCorruptionEverywhere(FileSystem* fs) {
  auto db = DB::Open("/cycle.db", Opts(fs));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status read = (*db)->View([](Tx& tx) -> Status {
    EXPECT_FALSE(tx.Check().empty()) << "the check missed a bucket cycle";
    LARDER_ASSIGN_OR_RETURN(Bucket a, tx.GetBucket("a"));
    EXPECT_EQ(a.Stats().status().code(), Code::kCorruption);
    std::function<Status(Bucket)> walk = [&](Bucket b) -> Status {
      return b.ForEach([&](std::string_view k, std::string_view, bool is_bucket) -> Status {
        if (!is_bucket) return Status::Ok();
        LARDER_ASSIGN_OR_RETURN(Bucket child, b.GetBucket(k));
        return walk(child);
      });
    };
    return walk(a);
  });
  EXPECT_EQ(read.code(), Code::kCorruption) << read.ToString();
  Status del = (*db)->Update([](Tx& tx) { return tx.DeleteBucket("a"); });
  EXPECT_EQ(del.code(), Code::kCorruption) << del.ToString();
}

TEST(BoltBucketCycleTest, BucketThatContainsItself) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  Roots r = MakeNested(fs.get());
  ASSERT_NE(r.a, 0u);
  ASSERT_NE(r.b, 0u);
  RedirectBucket(fs.get(), r.a, r.b, r.a);  // a/b is a again
  ExpectCorruptionEverywhere(fs.get());
}

TEST(BoltBucketCycleTest, TwoLevelCycle) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  Roots r = MakeNested(fs.get());
  ASSERT_NE(r.c, 0u);
  RedirectBucket(fs.get(), r.b, r.c, r.a);  // a/b/c is a: a -> b -> a -> b ...
  ExpectCorruptionEverywhere(fs.get());
}

}  // namespace
}  // namespace larder::bolt
