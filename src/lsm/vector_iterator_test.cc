#include "lsm/vector_iterator.h"

#include <gtest/gtest.h>

#include "lsm/iter_testutil.h"

namespace larder::lsm {
namespace {

using itertest::Entry;
using itertest::IKey;

TEST(LsmVectorIteratorTest, SortsAndWalksBothWays) {
  VectorIterator it({{IKey("b", 5, ValueType::kValue), "b5"},
                     {IKey("a", 1, ValueType::kValue), "a1"},
                     {IKey("b", 9, ValueType::kDeletion), ""}});
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.value(), "a1");
  it.Next();
  EXPECT_EQ(it.key(), IKey("b", 9, ValueType::kDeletion));  // newest first
  it.Next();
  EXPECT_EQ(it.value(), "b5");
  it.Next();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
  it.SeekToLast();
  EXPECT_EQ(it.value(), "b5");
  it.Seek(IKey("b", 7, kMaxValueType));
  EXPECT_EQ(it.value(), "b5");
  it.SeekForPrev(IKey("b", 7, kMaxValueType));
  EXPECT_EQ(it.key(), IKey("b", 9, ValueType::kDeletion));
  it.SeekForPrev(IKey("a", 2, kMaxValueType));
  EXPECT_FALSE(it.Valid());
  it.Seek(IKey("c", 2, kMaxValueType));
  EXPECT_FALSE(it.Valid());
}

TEST(LsmVectorIteratorTest, InjectedErrorStopsAndSeekElsewhereClearsIt) {
  VectorIterator it({{IKey("a", 1, ValueType::kValue), "a"},
                     {IKey("b", 1, ValueType::kValue), "b"},
                     {IKey("c", 1, ValueType::kValue), "c"}});
  it.InjectErrorAt(1, Status::Corruption("bad block"));
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  it.Next();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
  it.SeekToLast();
  ASSERT_TRUE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(LsmVectorIteratorTest, EmptyAndErrorIterators) {
  auto empty = NewEmptyIterator();
  empty->SeekToFirst();
  EXPECT_FALSE(empty->Valid());
  EXPECT_TRUE(empty->status().ok());
  auto error = NewErrorIterator(Status::IOError("disk"));
  error->Seek(IKey("a", 1, ValueType::kValue));
  EXPECT_FALSE(error->Valid());
  EXPECT_TRUE(error->status().IsIOError());
}

}  // namespace
}  // namespace larder::lsm
