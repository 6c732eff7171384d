#include "lsm/merging_iterator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "lsm/iter_testutil.h"

namespace larder::lsm {
namespace {

using itertest::Entry;
using itertest::IKey;

std::vector<Entry> RandomEntries(std::mt19937* rng, int count) {
  std::set<std::string> seen;
  std::vector<Entry> out;
  SequenceNumber seq = 1;
  for (int i = 0; i < count; ++i) {
    std::string user = itertest::Numbered("k", (*rng)() % 40);
    if ((*rng)() % 5 == 0) user.pop_back();  // prefixes of other keys too
    std::string k = IKey(user, seq++, (*rng)() % 4 == 0 ? ValueType::kDeletion : ValueType::kValue);
    if (!seen.insert(k).second) continue;
    out.emplace_back(k, itertest::Numbered("v", seq));
  }
  itertest::SortEntries(&out);
  return out;
}

std::vector<std::string> SeekTargets(const std::vector<Entry>& entries, std::mt19937* rng) {
  std::vector<std::string> t;
  for (const Entry& e : entries) t.push_back(e.first);
  for (int i = 0; i < 50; ++i) {
    t.push_back(IKey(itertest::Numbered("k", (*rng)() % 45), (*rng)() % 400, kMaxValueType));
  }
  t.push_back(IKey("", kMaxSequenceNumber, kMaxValueType));
  t.push_back(IKey("z", 0, ValueType::kDeletion));
  return t;
}

TEST(LsmMergingIteratorTest, MatchesTheSortedUnionUnderRandomMoves) {
  std::mt19937 rng(16);
  for (int trial = 0; trial < 60; ++trial) {
    const std::vector<Entry> all = RandomEntries(&rng, static_cast<int>(rng() % 300));
    const int children = 1 + static_cast<int>(rng() % 6);
    auto merged = NewMergingIterator(itertest::SplitIntoChildren(all, children, &rng));
    const std::string err =
        itertest::CheckInternalIterator(merged.get(), all, SeekTargets(all, &rng), &rng);
    ASSERT_EQ(err, "") << "trial " << trial << " children " << children;
  }
}

TEST(LsmMergingIteratorTest, NoChildrenIsEmpty) {
  auto merged = NewMergingIterator({});
  merged->SeekToFirst();
  EXPECT_FALSE(merged->Valid());
  EXPECT_TRUE(merged->status().ok());
}

TEST(LsmMergingIteratorTest, ChildErrorStopsTheMergeAndSurfaces) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::make_unique<VectorIterator>(std::vector<Entry>{
      {IKey("a", 1, ValueType::kValue), "a"}, {IKey("c", 1, ValueType::kValue), "c"}}));
  auto bad = std::make_unique<VectorIterator>(std::vector<Entry>{
      {IKey("b", 1, ValueType::kValue), "b"}, {IKey("d", 1, ValueType::kValue), "d"}});
  bad->InjectErrorAt(1, Status::Corruption("bad block in 000007.sst"));
  children.push_back(std::move(bad));
  auto merged = NewMergingIterator(std::move(children));
  merged->SeekToFirst();
  ASSERT_TRUE(merged->Valid());
  EXPECT_EQ(merged->value(), "a");
  merged->Next();
  ASSERT_TRUE(merged->Valid());
  EXPECT_EQ(merged->value(), "b");
  merged->Next();  // the bad child fails here
  EXPECT_FALSE(merged->Valid());
  EXPECT_TRUE(merged->status().IsCorruption());
  // A seek that does not land on the bad entry starts over.
  merged->Seek(IKey("a", kMaxSequenceNumber, kMaxValueType));
  ASSERT_TRUE(merged->Valid());
  EXPECT_TRUE(merged->status().ok());
  // An error child from the start.
  std::vector<std::unique_ptr<InternalIterator>> two;
  two.push_back(NewErrorIterator(Status::IOError("read")));
  two.push_back(
      std::make_unique<VectorIterator>(std::vector<Entry>{{IKey("a", 1, ValueType::kValue), "a"}}));
  auto m2 = NewMergingIterator(std::move(two));
  m2->SeekToLast();
  EXPECT_FALSE(m2->Valid());
  EXPECT_TRUE(m2->status().IsIOError());
}

TEST(LsmMergingIteratorTest, DirectionSwitchWithErrorInAnotherChild) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::make_unique<VectorIterator>(std::vector<Entry>{
      {IKey("b", 1, ValueType::kValue), "b"}, {IKey("c", 1, ValueType::kValue), "c"}}));
  auto bad = std::make_unique<VectorIterator>(std::vector<Entry>{
      {IKey("a", 1, ValueType::kValue), "a"}, {IKey("d", 1, ValueType::kValue), "d"}});
  bad->InjectErrorAt(0, Status::Corruption("bad"));
  children.push_back(std::move(bad));
  auto merged = NewMergingIterator(std::move(children));
  merged->Seek(IKey("b", kMaxSequenceNumber, kMaxValueType));
  ASSERT_TRUE(merged->Valid());
  EXPECT_EQ(merged->value(), "b");
  merged->Prev();  // re-seeks the bad child onto its bad entry
  EXPECT_FALSE(merged->Valid());
  EXPECT_TRUE(merged->status().IsCorruption());
}

}  // namespace
}  // namespace larder::lsm
