// Commit error paths: a failed write leaves the previous commit readable and writes possible;
// a failed sync poisons the database until reopen (never retry fsync); strict mode.
#include <gtest/gtest.h>

#include <cerrno>

#include "larder/bolt/db.h"
#include "testing/fault_injection_file_system.h"

namespace larder::bolt {
namespace {

class CommitErrorTest : public ::testing::Test {
 protected:
  std::unique_ptr<DB> Open(Options o = {}) {
    o.file_system = &fs_;
    auto db = DB::Open("/c.db", o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  static Status PutN(DB& db, int from, int n) {
    return db.Update([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("b"));
      for (int i = from; i < from + n; ++i) {
        LARDER_RETURN_IF_ERROR(b.Put(std::to_string(i), std::string(100, 'v')));
      }
      return Status::Ok();
    });
  }
  static int Count(DB& db) {
    int n = -1;
    EXPECT_TRUE(db.View([&](Tx& tx) -> Status {
                    EXPECT_TRUE(tx.Check().empty());
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                    LARDER_ASSIGN_OR_RETURN(BucketStats s, b.Stats());
                    n = static_cast<int>(s.key_n);
                    return Status::Ok();
                  }).ok());
    return n;
  }

  // Fails every operation of a kind from the next one on, until ClearFaults().
  void FailAll(FaultInjectionFileSystem::Op op) { fs_.FailNth(op, 1, /*persistent=*/true); }

  FaultInjectionFileSystem fs_;
};

TEST_F(CommitErrorTest, FailedWriteKeepsPreviousCommit) {
  auto db = Open();
  ASSERT_TRUE(PutN(*db, 0, 100).ok());
  FailAll(FaultInjectionFileSystem::Op::kWrite);
  Status s = PutN(*db, 100, 500);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  fs_.ClearFaults();
  EXPECT_EQ(Count(*db), 100);
  // Not poisoned: the data pages never reached a meta page.
  ASSERT_TRUE(PutN(*db, 100, 500).ok());
  EXPECT_EQ(Count(*db), 600);
  db.reset();
  db = Open();
  EXPECT_EQ(Count(*db), 600);
}

TEST_F(CommitErrorTest, FailedSyncPoisonsUntilReopen) {
  auto db = Open();
  ASSERT_TRUE(PutN(*db, 0, 100).ok());
  FailAll(FaultInjectionFileSystem::Op::kSync);
  EXPECT_TRUE(PutN(*db, 100, 100).IsIOError());
  fs_.ClearFaults();
  Status s = PutN(*db, 200, 10);
  EXPECT_EQ(s.code(), Code::kPoisoned) << s.ToString();
  EXPECT_EQ(db->Begin(true).status().code(), Code::kPoisoned);
  EXPECT_EQ(Count(*db), 100) << "readers still see the last good commit";
  db.reset();
  db = Open();
  EXPECT_EQ(Count(*db), 100);
  EXPECT_TRUE(PutN(*db, 100, 10).ok());
}

TEST_F(CommitErrorTest, FailedGrowIsAnErrorNotACrash) {
  auto db = Open();
  fs_.FailNth(FaultInjectionFileSystem::Op::kTruncate, 1, true, ENOSPC);
  Status s = PutN(*db, 0, 2000);
  EXPECT_EQ(s.code(), Code::kNoSpace) << s.ToString();
  fs_.ClearFaults();
  ASSERT_TRUE(PutN(*db, 0, 2000).ok());
  EXPECT_EQ(Count(*db), 2000);
}

TEST_F(CommitErrorTest, StrictModeChecksEveryCommit) {
  auto db = Open({.strict_mode = true});
  for (int t = 0; t < 20; ++t) ASSERT_TRUE(PutN(*db, t * 100, 100).ok());
  EXPECT_EQ(Count(*db), 2000);
}

}  // namespace
}  // namespace larder::bolt
