#include "lsm/skiplist.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "lsm/iter_testutil.h"

namespace larder::lsm {
namespace {

using itertest::IKey;

using KeySet = std::set<std::string, InternalKeyLess>;

// Every entry of `list` in forward order, as internal keys; checks each value.
std::vector<std::string> Forward(const SkipList& list) {
  std::vector<std::string> out;
  SkipList::Iterator it(&list);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    out.emplace_back(it.key());
    EXPECT_EQ(it.value(), "v:" + DebugString(it.key()));
  }
  return out;
}

void InsertBoth(SkipList* list, KeySet* model, std::string_view user, SequenceNumber seq,
                ValueType type = ValueType::kValue) {
  const std::string ikey = IKey(user, seq, type);
  list->Insert(user, seq, type, "v:" + DebugString(ikey));
  model->insert(ikey);
}

TEST(LsmSkipListTest, EmptyListHasNoEntries) {
  MemTableArena arena;
  SkipList list(&arena);
  EXPECT_TRUE(list.empty());
  SkipList::Iterator it(&list);
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek(IKey("a", 5));
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev(IKey("a", 5));
  EXPECT_FALSE(it.Valid());
}

// Keys that agree in their first 8 bytes, are shorter than 8 bytes, end in zero bytes or are
// empty: the cached prefix must never decide their order wrongly.
TEST(LsmSkipListTest, OrdersKeysAroundThePrefixCache) {
  MemTableArena arena;
  SkipList list(&arena);
  KeySet model;
  const std::vector<std::string> users = {"",
                                          std::string(1, '\0'),
                                          std::string(2, '\0'),
                                          "a",
                                          std::string("a\0", 2),
                                          "a\x01",
                                          "abcdefgh",
                                          "abcdefgh\0",
                                          "abcdefghi",
                                          "abcdefgg\xff",
                                          "abcdefg",
                                          "\xff\xff\xff\xff\xff\xff\xff\xff",
                                          "\xff",
                                          "b"};
  SequenceNumber seq = 1;
  for (const std::string& u : users) {
    for (int v = 0; v < 3; ++v) {
      InsertBoth(&list, &model, u, seq++, v == 1 ? ValueType::kDeletion : ValueType::kValue);
    }
  }
  EXPECT_FALSE(list.empty());
  const std::vector<std::string> want(model.begin(), model.end());
  EXPECT_EQ(Forward(list), want);

  // Backward, one Prev at a time.
  std::vector<std::string> back;
  SkipList::Iterator it(&list);
  for (it.SeekToLast(); it.Valid(); it.Prev()) back.emplace_back(it.key());
  EXPECT_EQ(back, std::vector<std::string>(model.rbegin(), model.rend()));
}

TEST(LsmSkipListTest, SeeksLandOnTheNeighbours) {
  MemTableArena arena;
  SkipList list(&arena);
  KeySet model;
  for (int i = 0; i < 50; ++i)
    InsertBoth(&list, &model, std::string("k").append(std::to_string(i * 2)), 10 + i);
  SkipList::Iterator it(&list);

  it.Seek(IKey("k10", kMaxSequenceNumber));  // before every version of k10
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), IKey("k10", 15));
  it.Seek(IKey("k10", 15));  // exact
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), IKey("k10", 15));
  it.Seek(IKey("k10", 14));  // older than the only version: the next user key
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.user_key(), "k12");
  it.Seek("k11");  // shorter than a trailer: taken as a user key
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.user_key(), "k12");

  it.SeekForPrev(IKey("k10", 15));  // exact
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), IKey("k10", 15));
  it.SeekForPrev(IKey("k10", 16));  // newer than the only version: the previous user key
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.user_key(), "k0");  // bytewise, "k0" is the only user key before "k10"
  it.SeekForPrev(IKey("k", 1));
  EXPECT_FALSE(it.Valid());
  it.Seek(IKey("z", 1));
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev(IKey("z", 1));
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), *model.rbegin());
}

// Random inserts against a std::set: forward, backward and every kind of seek.
TEST(LsmSkipListTest, MatchesASetModel) {
  MemTableArena arena;
  SkipList list(&arena, 7);
  KeySet model;
  std::mt19937_64 rng(42);
  std::vector<SequenceNumber> seqs(3000);
  for (std::size_t i = 0; i < seqs.size(); ++i) seqs[i] = i + 1;
  std::shuffle(seqs.begin(), seqs.end(), rng);  // sequences out of insertion order
  for (SequenceNumber seq : seqs) {
    std::string user(rng() % 12, 'x');
    for (char& c : user) c = static_cast<char>('a' + rng() % 3);
    InsertBoth(&list, &model, user, seq, static_cast<ValueType>(rng() % 3));
  }
  ASSERT_EQ(Forward(list), std::vector<std::string>(model.begin(), model.end()));

  SkipList::Iterator it(&list);
  for (int probe = 0; probe < 2000; ++probe) {
    std::string user(rng() % 12, 'x');
    for (char& c : user) c = static_cast<char>('a' + rng() % 3);
    const std::string target = IKey(user, rng() % 3100, static_cast<ValueType>(rng() % 6));
    it.Seek(target);
    auto lb = model.lower_bound(target);
    ASSERT_EQ(it.Valid(), lb != model.end()) << DebugString(target);
    if (it.Valid()) {
      ASSERT_EQ(it.key(), *lb);
    }
    it.SeekForPrev(target);
    auto ub = model.upper_bound(target);
    ASSERT_EQ(it.Valid(), ub != model.begin()) << DebugString(target);
    if (it.Valid()) {
      ASSERT_EQ(it.key(), *std::prev(ub));
    }
  }
}

TEST(LsmSkipListTest, ManyEntriesStayInOrder) {
  MemTableArena arena;
  SkipList list(&arena, 3);
  for (int i = 0; i < 20000; ++i) list.Insert("key" + std::to_string(i), 1, ValueType::kValue, "");
  // Every entry present once, in order: the upper levels may only shortcut, never skip.
  SkipList::Iterator it(&list);
  int n = 0;
  std::string last;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++n) {
    if (n > 0) {
      ASSERT_LT(CompareInternalKeys(last, it.key()), 0);
    }
    last = std::string(it.key());
  }
  EXPECT_EQ(n, 20000);
}

}  // namespace
}  // namespace larder::lsm
