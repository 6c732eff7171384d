#include "lsm/version.h"

#include <gtest/gtest.h>

#include "lsm/manifest_test_util.h"

namespace larder::lsm {
namespace {

using manifest_test::IKey;
using manifest_test::Table;

std::shared_ptr<const Version> Build(const VersionEdit& edit, int levels = 4) {
  Version base(levels);
  VersionBuilder b(base);
  EXPECT_TRUE(b.Apply(edit).ok());
  std::shared_ptr<const Version> v;
  EXPECT_TRUE(b.Build(&v).ok());
  return v;
}

std::vector<std::uint64_t> Numbers(const std::vector<const FileMetaData*>& files) {
  std::vector<std::uint64_t> out;
  for (const auto* f : files) out.push_back(f->number);
  return out;
}
std::vector<std::uint64_t> Numbers(const std::vector<FileRef>& files) {
  std::vector<std::uint64_t> out;
  for (const auto& f : files) out.push_back(f->number);
  return out;
}

TEST(LsmVersionTest, LevelsSortedAndCounted) {
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "m", 10, 100));
  e.AddFile(0, Table(2, "c", "z", 20, 200));  // newer
  e.AddFile(1, Table(4, "n", "p", 40));
  e.AddFile(1, Table(3, "a", "f", 30));
  auto v = Build(e);
  EXPECT_EQ(Numbers(v->files(0)), (std::vector<std::uint64_t>{2, 1}));  // newest first
  EXPECT_EQ(Numbers(v->files(1)), (std::vector<std::uint64_t>{3, 4}));  // by smallest key
  EXPECT_EQ(v->NumFiles(0), 2);
  EXPECT_EQ(v->LevelBytes(0), 30u);
  EXPECT_EQ(v->LevelBytes(1), 70u);
  EXPECT_EQ(v->LevelBytes(2), 0u);
}

TEST(LsmVersionTest, Level0RunsCountsTablesSharingASequenceRangeOnce) {
  VersionEdit e;
  // One flush cut in three (one sequence range, disjoint keys), then two single-table flushes.
  e.AddFile(0, Table(1, "a", "b", 10, 100));
  e.AddFile(0, Table(2, "m", "n", 10, 100));
  e.AddFile(0, Table(3, "x", "z", 10, 100));
  e.AddFile(0, Table(4, "a", "z", 10, 200));
  e.AddFile(0, Table(5, "a", "z", 10, 300));
  e.AddFile(1, Table(6, "a", "z", 10, 50));  // deeper levels do not count
  auto v = Build(e);
  EXPECT_EQ(v->NumFiles(0), 5);
  EXPECT_EQ(v->Level0Runs(), 3);
  // Overlapping ranges join (each Table spans seq..seq+9): 100 and 105 are one group.
  VersionEdit more;
  more.AddFile(0, Table(7, "c", "d", 10, 105));
  VersionBuilder b(*v);
  ASSERT_TRUE(b.Apply(more).ok());
  std::shared_ptr<const Version> v2;
  ASSERT_TRUE(b.Build(&v2).ok());
  EXPECT_EQ(v2->Level0Runs(), 3);
  EXPECT_EQ(Build(VersionEdit{})->Level0Runs(), 0);
}

TEST(LsmVersionTest, FilesForGetVisitsInReadOrder) {
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "m", 10, 100));
  e.AddFile(0, Table(2, "k", "z", 10, 200));
  e.AddFile(1, Table(3, "a", "f"));
  e.AddFile(1, Table(4, "g", "p"));
  e.AddFile(2, Table(5, "q", "z"));
  e.AddFile(3, Table(6, "a", "z"));
  auto v = Build(e);
  std::vector<const FileMetaData*> out;
  v->FilesForGet(LookupKey("l", kMaxSequenceNumber), &out);
  EXPECT_EQ(Numbers(out), (std::vector<std::uint64_t>{2, 1, 4, 6}));
  v->FilesForGet(LookupKey("zz", kMaxSequenceNumber), &out);
  EXPECT_TRUE(out.empty());
  v->FilesForGet(LookupKey("f", 150), &out);
  EXPECT_EQ(Numbers(out), (std::vector<std::uint64_t>{1, 3, 6}));
  int visited = 0;
  v->ForEachFileForGet(LookupKey("l", 5), [&](int, const FileMetaData&) { return ++visited < 2; });
  EXPECT_EQ(visited, 2);
}

// One user key split over two tables of a level: a read at an old snapshot goes to the table
// holding the versions it can see.
TEST(LsmVersionTest, FilesForGetFollowsSequenceAcrossSplitKey) {
  VersionEdit e;
  FileMetaData a = Table(1, "a", "k");
  a.largest = IKey("k", 50);  // versions of k down to 50
  FileMetaData b = Table(2, "k", "p");
  b.smallest = IKey("k", 40);  // older versions of k
  e.AddFile(1, a);
  e.AddFile(1, b);
  auto v = Build(e);
  std::vector<const FileMetaData*> out;
  v->FilesForGet(LookupKey("k", 60), &out);
  EXPECT_EQ(Numbers(out), (std::vector<std::uint64_t>{1}));
  v->FilesForGet(LookupKey("k", 45), &out);
  EXPECT_EQ(Numbers(out), (std::vector<std::uint64_t>{2}));
}

TEST(LsmVersionTest, OverlappingInputs) {
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "c", 1, 100));
  e.AddFile(0, Table(2, "b", "f", 1, 200));
  e.AddFile(0, Table(3, "e", "h", 1, 300));
  e.AddFile(0, Table(4, "x", "z", 1, 400));
  e.AddFile(1, Table(5, "a", "c"));
  e.AddFile(1, Table(6, "d", "f"));
  e.AddFile(1, Table(7, "g", "k"));
  auto v = Build(e);
  // Level 0: "a".."a" meets #1, which widens to c, meeting #2, widening to f, meeting #3.
  EXPECT_EQ(Numbers(v->OverlappingInputs(0, "a", "a")), (std::vector<std::uint64_t>{3, 2, 1}));
  EXPECT_EQ(Numbers(v->OverlappingInputs(0, "y", std::nullopt)), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(Numbers(v->OverlappingInputs(1, "c", "d")), (std::vector<std::uint64_t>{5, 6}));
  EXPECT_EQ(Numbers(v->OverlappingInputs(1, std::nullopt, "b")), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(Numbers(v->OverlappingInputs(1, "l", std::nullopt)), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(Numbers(v->OverlappingInputs(1, std::nullopt, std::nullopt)).size(), 3u);
  EXPECT_TRUE(v->OverlapsRange(1, "k", "k"));
  EXPECT_FALSE(v->OverlapsRange(1, "ka", "w"));
  EXPECT_TRUE(v->OverlapsRange(0, "ka", "x"));
  EXPECT_FALSE(v->OverlapsRange(0, "ka", "w"));
  EXPECT_FALSE(v->OverlapsRange(2, std::nullopt, std::nullopt));
}

TEST(LsmVersionTest, BuilderRejectsBadEdits) {
  Version empty(3);
  auto apply = [&](const Version& base, const VersionEdit& e) {
    VersionBuilder b(base);
    Status s = b.Apply(e);
    std::shared_ptr<const Version> v;
    if (s.ok()) s = b.Build(&v);
    return s;
  };
  VersionEdit e;
  e.RemoveFile(0, 1);
  EXPECT_TRUE(apply(empty, e).IsCorruption());
  e.Clear();
  e.AddFile(3, Table(1, "a", "b"));  // past num_levels
  EXPECT_TRUE(apply(empty, e).IsCorruption());
  e.Clear();
  e.AddFile(1, Table(1, "a", "c"));
  e.AddFile(1, Table(2, "b", "d"));  // overlaps in level 1
  EXPECT_TRUE(apply(empty, e).IsCorruption());
  e.Clear();
  e.AddFile(0, Table(1, "a", "c"));
  e.AddFile(1, Table(1, "x", "z"));  // number twice
  EXPECT_TRUE(apply(empty, e).IsCorruption());
  e.Clear();
  e.RemoveVlog(3);
  EXPECT_TRUE(apply(empty, e).IsCorruption());
  e.Clear();
  e.AddVlog(3);
  e.AddVlog(3);
  EXPECT_TRUE(apply(empty, e).IsCorruption());
  e.Clear();
  e.AddVlogDiscard(9, 100);  // not live: ignored
  EXPECT_TRUE(apply(empty, e).ok());
}

TEST(LsmVersionTest, BuilderAppliesOnTopOfBase) {
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "c"));
  e.AddFile(1, Table(2, "a", "c"));
  e.AddVlog(5);
  auto v1 = Build(e, 3);
  VersionBuilder b(*v1);
  VersionEdit e2;
  e2.RemoveFile(0, 1);
  e2.AddFile(1, Table(3, "d", "f"));
  e2.AddVlogDiscard(5, 10);
  e2.AddVlogDiscard(5, 5);
  ASSERT_TRUE(b.Apply(e2).ok());
  std::shared_ptr<const Version> v2;
  ASSERT_TRUE(b.Build(&v2).ok());
  EXPECT_EQ(v2->NumFiles(0), 0);
  EXPECT_EQ(Numbers(v2->files(1)), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(v2->vlogs().at(5), 15u);
  EXPECT_EQ(v1->NumFiles(0), 1);                // the base is unchanged
  EXPECT_EQ(v2->files(1)[0], v1->files(1)[0]);  // unchanged tables are shared
}

}  // namespace
}  // namespace larder::lsm
