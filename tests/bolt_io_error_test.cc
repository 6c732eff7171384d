// I/O-error loops (SQLite's method): fail the N-th operation of a kind, N = 1, 2, ... until the
// transaction completes without meeting the fault; once with a single failure and once failing
// for good. Every run that meets a fault must return an error status, never crash or leak; after
// reopening the database must pass the check and hold exactly the state before or after the
// transaction — never part of it. A write transaction reads through the map, never through
// pread, so there is no read loop here: reads are failed where they happen, at open
// (bolt_open_io_error_test.cc). Every loop must actually inject faults.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <set>
#include <string>

#include "larder/bolt/db.h"
#include "testing/fault_injection_file_system.h"

namespace larder::bolt {
namespace {

using Op = FaultInjectionFileSystem::Op;

Options IoTestOptions(FileSystem* fs) {
  Options o;
  o.file_system = fs;
  o.page_size = 1024;
  return o;
}

std::set<std::string> Dump(DB& db) {
  std::set<std::string> out;
  EXPECT_TRUE(db.View([&](Tx& tx) -> Status {
                  return tx.ForEachBucket([&](std::string_view name, Bucket b) -> Status {
                    return b.ForEach([&](std::string_view k, std::string_view v, bool) -> Status {
                      out.insert(std::string(name) + "/" + std::string(k) + "=" +
                                 std::to_string(v.size()));
                      return Status::Ok();
                    });
                  });
                }).ok());
  return out;
}

// The state every loop starts from.
Status SeedTransaction(DB& db) {
  return db.Update([](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("data"));
    for (int i = 0; i < 600; ++i) {
      LARDER_RETURN_IF_ERROR(b.Put("old" + std::to_string(i), std::string(i % 300, 'o')));
    }
    return Status::Ok();
  });
}

Status BigTransaction(DB& db) {
  return db.Update([](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("data"));
    for (int i = 0; i < 300; ++i) LARDER_RETURN_IF_ERROR(b.Delete("old" + std::to_string(i)));
    for (int i = 0; i < 400; ++i) {
      LARDER_RETURN_IF_ERROR(b.Put("new" + std::to_string(i), std::string(40 + i % 700, 'n')));
    }
    LARDER_ASSIGN_OR_RETURN(Bucket c, tx.CreateBucketIfNotExists("created"));
    return c.Put("x", std::string(3000, 'x'));
  });
}

struct LoopParam {
  Op op;
  bool persistent;
  const char* name;
};

class BoltIOErrorTest : public ::testing::TestWithParam<LoopParam> {};

TEST_P(BoltIOErrorTest, FailNthOperationUntilItCompletes) {
  const LoopParam param = GetParam();
  std::set<std::string> before, after;
  {
    FaultInjectionFileSystem clean;
    auto db = DB::Open("/io.db", IoTestOptions(&clean));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(SeedTransaction(**db).ok());
    before = Dump(**db);
    ASSERT_TRUE(BigTransaction(**db).ok());
    after = Dump(**db);
  }
  int failures_seen = 0;
  for (std::uint64_t n = 1; n < 500; ++n) {
    FaultInjectionFileSystem fs;
    {
      auto db = DB::Open("/io.db", IoTestOptions(&fs));
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE(SeedTransaction(**db).ok());
    }
    auto db = DB::Open("/io.db", IoTestOptions(&fs));
    ASSERT_TRUE(db.ok());
    fs.FailNth(param.op, n, param.persistent);
    Status s = BigTransaction(**db);
    const std::uint64_t injected = fs.injected_faults();
    // A second transaction on the same handle: refused (poisoned) or fine, never a crash.
    Status s2 = (*db)->Update([](Tx& tx) { return tx.CreateBucketIfNotExists("second").status(); });
    (void)s2;
    db->reset();
    fs.ClearFaults();
    auto reopened = DB::Open("/io.db", IoTestOptions(&fs));
    ASSERT_TRUE(reopened.ok()) << "n=" << n << ": " << reopened.status().ToString();
    {
      auto tx = (*reopened)->Begin(false);
      auto problems = (*tx)->Check();
      ASSERT_TRUE(problems.empty()) << "n=" << n << ": " << problems[0];
    }
    std::set<std::string> got = Dump(**reopened);
    if (injected == 0) {
      // The fault lies past everything the transaction does: the loop is complete. A loop that
      // never injected a fault tested nothing.
      ASSERT_TRUE(s.ok()) << "n=" << n << ": " << s.ToString();
      EXPECT_EQ(got, after) << "n=" << n;
      EXPECT_GT(failures_seen, 0) << "the loop injected no fault";
      std::cerr << param.name << ": " << failures_seen << " failing runs before completion\n";
      return;
    }
    ++failures_seen;
    EXPECT_FALSE(s.ok()) << "n=" << n << ": the transaction hid an injected fault";
    // Only a whole commit may show: a sync that failed after the meta write.
    if (got != before) {
      EXPECT_EQ(got, after) << "n=" << n << ": a partial commit is visible";
    }
  }
  FAIL() << "the loop did not finish in 500 steps";
}

INSTANTIATE_TEST_SUITE_P(Ops, BoltIOErrorTest,
                         ::testing::Values(LoopParam{Op::kWrite, false, "WriteOnce"},
                                           LoopParam{Op::kWrite, true, "WriteForever"},
                                           LoopParam{Op::kSync, false, "SyncOnce"},
                                           LoopParam{Op::kSync, true, "SyncForever"},
                                           LoopParam{Op::kTruncate, false, "TruncateOnce"},
                                           LoopParam{Op::kTruncate, true, "TruncateForever"},
                                           LoopParam{Op::kMap, false, "MapOnce"},
                                           LoopParam{Op::kMap, true, "MapForever"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace larder::bolt
