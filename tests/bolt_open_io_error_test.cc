// Open-time I/O-error loops (SQLite's method applied to DB::Open): fail the N-th read, map,
// write, sync or truncate while a database is opened, N = 1, 2, ... until Open succeeds, once
// with a single failure and once failing for good. Opening is where the engine reads through
// pread (the meta pages), creates a new file (temporary file, sync, rename, directory sync) and,
// for a file written without a freelist, commits a new one.
//
// Every run that met a fault must return an error status (never a crash, a leak, or an Open that
// quietly worked around an I/O error); after the faults stop the file opens, passes the check
// and holds exactly its last commit. Every loop must inject at least one fault where the
// operation is used, and none where it must not be (a read-only open writes nothing).
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "larder/bolt/db.h"
#include "testing/fault_injection_file_system.h"

namespace larder::bolt {
namespace {

using Op = FaultInjectionFileSystem::Op;

constexpr char kPath[] = "/open.db";

enum class Scenario {
  kNewFile,             // Open creates the file
  kExisting,            // Open (read-write) of a file with a freelist: reads and maps only
  kExistingNoFreelist,  // written with no_freelist_sync; Open commits a freelist
  kReadOnly,            // read-only Open of an existing file
};

Options Opts(FaultInjectionFileSystem* fs, Scenario scenario) {
  Options o;
  o.file_system = fs;
  o.page_size = 1024;
  o.read_only = scenario == Scenario::kReadOnly;
  // A lock leaked by a failed Open shows as Busy instead of a hang.
  o.lock_timeout = std::chrono::milliseconds(200);
  return o;
}

// Every bucket, key and value, in order.
std::vector<std::string> Contents(DB& db) {
  std::vector<std::string> out;
  Status s = db.View([&](Tx& tx) -> Status {
    return tx.ForEachBucket([&](std::string_view name, Bucket b) -> Status {
      return b.ForEach([&](std::string_view k, std::string_view v, bool) -> Status {
        out.push_back(std::string(name) + "/" + std::string(k) + "=" + std::string(v));
        return Status::Ok();
      });
    });
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Writes the last commit the loop expects to find, for the scenarios on an existing file.
void Prepare(FaultInjectionFileSystem& fs, Scenario scenario) {
  if (scenario == Scenario::kNewFile) return;
  Options o = Opts(&fs, Scenario::kExisting);
  o.no_freelist_sync = scenario == Scenario::kExistingNoFreelist;
  auto db = DB::Open(kPath, o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)
                  ->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("data"));
                    for (int i = 0; i < 300; ++i) {
                      LARDER_RETURN_IF_ERROR(
                          b.Put("k" + std::to_string(i), std::string(i % 200, 'a' + i % 26)));
                    }
                    LARDER_ASSIGN_OR_RETURN(Bucket c, tx.CreateBucket("big"));
                    return c.Put("v", std::string(5000, 'b'));
                  })
                  .ok());
  // Some free pages, so that the freelist (or its rebuild) has something to say.
  ASSERT_TRUE((*db)
                  ->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("data"));
                    for (int i = 0; i < 300; i += 3) {
                      LARDER_RETURN_IF_ERROR(b.Delete("k" + std::to_string(i)));
                    }
                    return Status::Ok();
                  })
                  .ok());
}

// Whether Open in `scenario` performs operations of kind `op` at all.
bool Uses(Scenario scenario, Op op) {
  if (op == Op::kRead || op == Op::kMap) return true;
  if (op == Op::kTruncate) return scenario == Scenario::kNewFile;
  return scenario == Scenario::kNewFile || scenario == Scenario::kExistingNoFreelist;
}

struct OpenLoopParam {
  Scenario scenario;
  Op op;
  bool persistent;
  std::string name;
};

void PrintTo(const OpenLoopParam& p, std::ostream* os) { *os << p.name; }

class BoltOpenIOErrorTest : public ::testing::TestWithParam<OpenLoopParam> {};

TEST_P(BoltOpenIOErrorTest, FailNthOperationUntilOpenSucceeds) {
  const OpenLoopParam& param = GetParam();
  std::vector<std::string> expected;  // the last commit
  {
    FaultInjectionFileSystem fs;
    Prepare(fs, param.scenario);
    auto db = DB::Open(kPath, Opts(&fs, param.scenario));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    expected = Contents(**db);
  }
  std::uint64_t failed_opens = 0;
  for (std::uint64_t n = 1; n <= 100; ++n) {
    FaultInjectionFileSystem fs;
    Prepare(fs, param.scenario);
    const std::uint64_t ops_before = fs.mutating_ops();
    fs.FailNth(param.op, n, param.persistent);
    auto db = DB::Open(kPath, Opts(&fs, param.scenario));
    const std::uint64_t injected = fs.injected_faults();
    if (param.scenario == Scenario::kReadOnly) {
      EXPECT_EQ(fs.mutating_ops(), ops_before) << "n=" << n << ": a read-only open wrote";
    }
    if (injected == 0) {
      // The fault lies past everything Open does: the loop is complete.
      ASSERT_TRUE(db.ok()) << "n=" << n << ": " << db.status().ToString();
      EXPECT_EQ(Contents(**db), expected) << "n=" << n;
      if (Uses(param.scenario, param.op)) {
        EXPECT_GT(failed_opens, 0u) << "the loop injected no fault";
      } else {
        EXPECT_EQ(n, 1u) << "Open used an operation it should not";
      }
      std::cerr << param.name << ": " << failed_opens << " failing opens before completion\n";
      return;
    }
    // The injected EIO itself, not a guess such as "not a bolt database".
    EXPECT_EQ(db.status().code(), Code::kIOError)
        << "n=" << n << ": " << (db.ok() ? "Open hid the fault" : db.status().ToString());
    if (db.ok()) db->reset();
    ++failed_opens;
    fs.ClearFaults();
    auto reopened = DB::Open(kPath, Opts(&fs, param.scenario));
    ASSERT_TRUE(reopened.ok()) << "n=" << n << ": " << reopened.status().ToString();
    ASSERT_TRUE((*reopened)
                    ->View([&](Tx& tx) -> Status {
                      auto problems = tx.Check();
                      EXPECT_TRUE(problems.empty()) << "n=" << n << ": " << problems[0];
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(Contents(**reopened), expected) << "n=" << n;
    // And it takes a write (read-write scenarios).
    if (param.scenario != Scenario::kReadOnly) {
      EXPECT_TRUE((*reopened)
                      ->Update([](Tx& tx) { return tx.CreateBucketIfNotExists("after").status(); })
                      .ok())
          << "n=" << n;
    }
  }
  FAIL() << "Open still met the fault after 100 steps";
}

std::vector<OpenLoopParam> AllLoops() {
  const std::pair<Scenario, const char*> scenarios[] = {
      {Scenario::kNewFile, "NewFile"},
      {Scenario::kExisting, "Existing"},
      {Scenario::kExistingNoFreelist, "ExistingNoFreelist"},
      {Scenario::kReadOnly, "ReadOnly"}};
  const std::pair<Op, const char*> ops[] = {{Op::kRead, "Read"},
                                            {Op::kMap, "Map"},
                                            {Op::kWrite, "Write"},
                                            {Op::kSync, "Sync"},
                                            {Op::kTruncate, "Truncate"}};
  std::vector<OpenLoopParam> out;
  for (const auto& [scenario, sname] : scenarios) {
    for (const auto& [op, oname] : ops) {
      for (bool persistent : {false, true}) {
        out.push_back({scenario, op, persistent,
                       std::string(sname) + oname + (persistent ? "Forever" : "Once")});
      }
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Open, BoltOpenIOErrorTest, ::testing::ValuesIn(AllLoops()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace larder::bolt
