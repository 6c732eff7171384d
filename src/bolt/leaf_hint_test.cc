// The bucket's leaf hints (BucketImpl::HintedLeaf): a Put or Take beside the key that the last
// Get, cursor stop, overwrite, insert or delete touched goes straight to its leaf, without a
// descent from the root. Debug builds check each hinted Put against a descent and each hinted
// Take against a cursor's seek, so these tests are run there (make test) for what they prove.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bolt/write_path_test_util.h"
#include "larder/bolt/db.h"

namespace larder::bolt {
namespace {

using write_path_test::ExpectGetAgrees;
using write_path_test::Key;

class LeafHintTest : public write_path_test::WritePathTest {};

// A Put after a Get of the same key rewrites the entry the Get found without a second descent
// (BucketImpl's get hint): an insert or delete in between that moves the leaf's entries, a
// nested bucket made in between, or a key too long to remember must send it down the tree
// again. Long transactions (nodes searched through their search arrays) and short ones, keys
// of both lengths.
TEST_F(LeafHintTest, APutAfterAGetOfTheSameKeyLandsOnThatKey) {
  std::map<std::string, std::string> model;
  std::mt19937 rng(41);
  auto key = [&](int i) { return i % 3 == 0 ? Key(i) + std::string(70, 'x') : Key(i); };
  for (int round = 0; round < 6; ++round) {
    const int steps = round % 2 == 0 ? 20000 : 50;
    ASSERT_TRUE(db_->Update([&](Tx& tx) -> Status {
                     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("b"));
                     for (int step = 0; step < steps; ++step) {
                       const int i = static_cast<int>(rng() % 3000);
                       const std::string k = key(i);
                       ExpectGetAgrees(b, model, k);
                       const int op = static_cast<int>(rng() % 8);
                       if (op == 0) {  // a write elsewhere between the Get and the Put
                         const std::string other = key(static_cast<int>(rng() % 3000));
                         model.erase(other);
                         LARDER_RETURN_IF_ERROR(b.Delete(other));
                       } else if (op == 1) {
                         const std::string other = key(static_cast<int>(rng() % 3000));
                         model[other] = "o";
                         LARDER_RETURN_IF_ERROR(b.Put(other, "o"));
                       } else if (op == 2 && step % 100 == 0) {
                         LARDER_RETURN_IF_ERROR(
                             b.CreateBucketIfNotExists("nested" + std::to_string(step)).status());
                       }
                       const std::string v = std::to_string(round) + "/" + std::to_string(step);
                       model[k] = v;
                       LARDER_RETURN_IF_ERROR(b.Put(k, v));
                       auto again = b.Get(k);
                       EXPECT_TRUE(again.ok() && *again == v) << k;
                     }
                     return Status::Ok();
                   })
                    .ok());
    std::map<std::string, std::string> contents = Contents();
    std::erase_if(contents, [](const auto& kv) { return kv.first.starts_with("nested"); });
    EXPECT_EQ(contents, model);  // Contents also runs the consistency check
  }
}

// The insert hint is checked only now and then after a run of misses (random keys), and
// again on every call once it serves (a run of pushes at one end). Phases of random and of
// sequential writes and deletes in one transaction go through every change of state; Debug
// builds check each hinted Put and Delete against a descent.
TEST_F(LeafHintTest, TheInsertHintThroughRandomAndSequentialRuns) {
  std::map<std::string, std::string> model;
  std::mt19937 rng(5);
  ASSERT_TRUE(db_->Update([&](Tx& tx) -> Status {
                   LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                   int next_push = 500000;
                   for (int phase = 0; phase < 8; ++phase) {
                     for (int i = 0; i < 3000; ++i) {
                       std::string k;
                       if (phase % 2 == 0) {
                         k = Key(static_cast<int>(rng() % 1000000));
                       } else {
                         k = Key(i % 3 == 2 ? next_push - 1 : next_push++);  // push, or pop back
                       }
                       if (i % 3 == 2) {
                         model.erase(k);
                         LARDER_RETURN_IF_ERROR(b.Delete(k));
                         if (phase % 2 == 1) --next_push;
                       } else {
                         model[k] = std::to_string(i);
                         LARDER_RETURN_IF_ERROR(b.Put(k, std::to_string(i)));
                       }
                     }
                   }
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(Contents(), model);  // Contents also runs the consistency check
}

// A Put or Delete beside the last Get, insert or delete goes straight to its leaf (BucketImpl's
// hints): list-like pushes and pops at both ends of several lists, each with a meta key read and
// rewritten around every one, deletes of absent keys beside an end, pops that empty leaves, a
// nested bucket among the keys, in large and small transactions. Debug builds also check every
// hinted Put against a descent and every hinted Delete against a cursor's seek.
TEST_F(LeafHintTest, PutsBesideTheLastTouchedKeyLandRight) {
  std::map<std::string, std::string> model;
  std::mt19937 rng(43);
  std::vector<std::pair<int, int>> ends(8, {1000000, 1000000});  // [head, tail) per list
  auto element = [](int list, int pos) { return "c" + Key(list) + Key(pos); };
  for (int round = 0; round < 6; ++round) {
    const int steps = round % 2 == 0 ? 20000 : 60;
    ASSERT_TRUE(db_->Update([&](Tx& tx) -> Status {
                     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("b"));
                     if (round == 0) {
                       LARDER_RETURN_IF_ERROR(b.CreateBucket(element(3, 2000000)).status());
                       // A Put of the bucket's name after a Get beside it.
                       EXPECT_FALSE(b.Get(element(3, 1999999)).ok());
                       EXPECT_EQ(b.Put(element(3, 2000000), "x").code(), Code::kIncompatible);
                     }
                     for (int step = 0; step < steps; ++step) {
                       const int list = static_cast<int>(rng() % ends.size());
                       auto& [head, tail] = ends[list];
                       const std::string meta = "m" + Key(list);
                       (void)b.Get(meta);
                       const int op = static_cast<int>(rng() % 10);
                       std::string k;
                       if (op < 4 || (op < 8 && head == tail)) {  // push at the head or the tail
                         k = element(list, op % 2 == 0 ? --head : tail++);
                         model[k] = std::to_string(step);
                         LARDER_RETURN_IF_ERROR(b.Put(k, model[k]));
                       } else if (op < 8) {  // pop at either end
                         k = element(list, op % 2 == 0 ? head++ : --tail);
                         EXPECT_EQ(model.erase(k), 1u) << k;
                         LARDER_RETURN_IF_ERROR(b.Delete(k));
                       } else if (op == 8) {  // delete a key just past an end: absent
                         k = element(list, rng() % 2 == 0 ? head - 1 : tail);
                         EXPECT_EQ(model.count(k), 0u) << k;
                         LARDER_RETURN_IF_ERROR(b.Delete(k));
                       } else if (head != tail) {  // rewrite an element in the middle
                         k = element(list, head + static_cast<int>(rng() % (tail - head)));
                         model[k] = "set";
                         LARDER_RETURN_IF_ERROR(b.Put(k, "set"));
                       }
                       model[meta] = Key(tail - head);
                       LARDER_RETURN_IF_ERROR(b.Put(meta, model[meta]));
                     }
                     return Status::Ok();
                   })
                    .ok());
    std::map<std::string, std::string> contents = Contents();
    contents.erase(element(3, 2000000));
    EXPECT_EQ(contents, model);  // Contents also runs the consistency check
  }
}

// A Put or Take in the gap between a leaf's last key and the next leaf's first (its range's
// upper end), or between the range's lower end and the leaf's first key, goes straight to the
// leaf that the insert hint's descent found: a list's elements with other keys on both sides, so
// that pushes and pops at both ends cross leaf boundaries whose neighbours are keys, not the
// tree's ends; deletes of absent keys just past either end; a meta key beside the elements
// rewritten after each step (the overwrite hint). Large and small transactions, long keys among
// them (not remembered). Debug builds check every hinted Put against a descent and every hinted
// Take against a cursor's seek.
TEST_F(LeafHintTest, EditsAtALeafsEdgesStayInsideItsRange) {
  std::map<std::string, std::string> model;
  auto put = [&](Bucket& b, const std::string& k, const std::string& v) {
    model[k] = v;
    return b.Put(k, v);
  };
  ASSERT_TRUE(db_->Update([&](Tx& tx) -> Status {
                   LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                   for (int i = 0; i < 3000; ++i) {  // neighbours below and above the list
                     LARDER_RETURN_IF_ERROR(put(b, "a" + Key(i), "below"));
                     LARDER_RETURN_IF_ERROR(put(b, "z" + Key(i), "above"));
                   }
                   return Status::Ok();
                 })
                  .ok());
  std::mt19937 rng(7);
  int head = 500000, tail = 500000;  // the list's elements: "e" + Key(pos), pos in [head, tail)
  auto element = [](int pos) {
    return pos % 97 == 0 ? "e" + Key(pos) + std::string(80, '.') : "e" + Key(pos);
  };
  for (int round = 0; round < 6; ++round) {
    const int steps = round % 2 == 0 ? 30000 : 40;
    ASSERT_TRUE(db_->Update([&](Tx& tx) -> Status {
                     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                     for (int step = 0; step < steps; ++step) {
                       // Phases of mostly pushes and mostly pops, so that pops uncover
                       // leaves' first and last keys and the pushes after them land below
                       // and above those.
                       const int pushes = (step / 500) % 2 == 0 ? 7 : 3;
                       const int op = static_cast<int>(rng() % 10);
                       if (op < pushes || (op < 9 && head == tail)) {  // push at either end
                         const int pos = op % 2 == 0 ? --head : tail++;
                         LARDER_RETURN_IF_ERROR(put(b, element(pos), std::to_string(step)));
                       } else if (op < 9) {  // pop at either end (a Take, no Get first)
                         const std::string k = element(op % 2 == 0 ? head++ : --tail);
                         EXPECT_EQ(model.erase(k), 1u) << k;
                         LARDER_RETURN_IF_ERROR(b.Delete(k));
                       } else {  // a key just past an end: absent, found so without a seek
                         LARDER_RETURN_IF_ERROR(b.Delete(element(op % 2 == 0 ? head - 1 : tail)));
                       }
                       LARDER_RETURN_IF_ERROR(put(b, "f-meta", Key(tail - head)));
                     }
                     return Status::Ok();
                   })
                    .ok());
    EXPECT_EQ(Contents(), model);  // Contents also runs the consistency check
  }
}

}  // namespace
}  // namespace larder::bolt
