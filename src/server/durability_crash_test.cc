// Power loss at every crash point of the keyspace's durable write path (engine transaction,
// write-ahead log, checkpoints, rotation, recovery), on the fault-injecting file system through
// the shared crash harness (tests/util/crash_harness.h):
//   - appendfsync always: every acknowledged batch survives, and the engine file passes the
//     bolt check;
//   - everysec (no background sync: only checkpoints make writes durable): the database holds a
//     prefix of the acknowledged batches, at least up to the last checkpoint, never damaged.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <random>
#include <string>

#include "larder/bolt/db.h"
#include "larder/bolt/kv.h"
#include "server/durability.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/crash_harness.h"
#include "tests/util/kv_model.h"

namespace larder::server {
namespace {

constexpr char kDir[] = "/data";
constexpr char kDataFile[] = "/data/data.db";
constexpr char kCheckpointKey[] = "\x01wal-checkpoint";

bolt::Options BoltOptions(FileSystem* fs) {
  bolt::Options o;
  o.file_system = fs;
  o.page_size = 1024;
  return o;
}

// The store and its durability, opened (and recovered) on `fs`.
struct Opened {
  std::unique_ptr<kv::Store> store;
  std::unique_ptr<Durability> durability;
};

Result<Opened> Open(FileSystem* fs, AppendFsync mode) {
  LARDER_RETURN_IF_ERROR(fs->CreateDirs(kDir));
  Opened o;
  LARDER_ASSIGN_OR_RETURN(o.store, bolt::OpenKV(kDataFile, BoltOptions(fs)));
  DurabilityOptions d;
  d.dir = kDir;
  d.backup_file = std::string(kDir) + "/backup.db";
  d.checkpoint_key = kCheckpointKey;
  d.appendfsync = mode;
  d.sync_interval_ms = 0;
  d.fs = fs;
  LARDER_ASSIGN_OR_RETURN(o.durability, Durability::Open(o.store.get(), d));
  return o;
}

// Opens the engine file as bolt would (an empty file, created before the crash, is initialised)
// and runs the consistency check on it.
Status CheckFile(FileSystem* fs) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<bolt::DB> db, bolt::DB::Open(kDataFile, BoltOptions(fs)));
  std::vector<std::string> problems = test::CheckBolt(*db);
  if (!problems.empty()) return Status::Corruption("bolt check: " + problems[0]);
  return db->Close();
}

test::CrashWorkload Workload(AppendFsync mode) {
  test::CrashWorkload w;
  w.initial_state = test::KVState({});
  w.run = [mode](FileSystem* fs, test::CrashTracker* tracker) {
    constexpr int kSteps = 40;
    std::mt19937_64 rng(test::ModelSeed(13));
    test::KVMap model;
    Opened db;
    for (int step = 0; step < kSteps; ++step) {
      if (db.durability == nullptr || step == kSteps / 2) {  // a kill -9 and restart halfway
        db.durability.reset();  // before the store it uses (a kill -9: nothing is closed)
        db.store.reset();
        auto o = Open(fs, mode);
        if (!o.ok()) return;
        db = std::move(*o);
      }
      kv::Transaction& tx = db.durability->tx();
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        const std::string k = "k" + std::to_string(rng() % 12);
        if (rng() % 4 == 0) {
          if (!tx.Delete(k).ok()) return;
          model.erase(k);
        } else {
          const std::string v = test::RandomValue(rng, 900);
          if (!tx.Put(k, v).ok()) return;
          model[k] = v;
        }
      }
      tracker->InFlight(test::KVState(model));
      auto ticket = db.durability->EndBatch();
      if (!ticket.ok() || !db.durability->WaitDurable(*ticket).ok()) return;
      tracker->Acknowledged(/*durable=*/mode == AppendFsync::kAlways);
      if (step % 4 == 3) {
        if (!db.durability->Checkpoint().ok()) return;
        tracker->InFlight(test::KVState(model));
        tracker->Acknowledged(/*durable=*/true);  // the checkpoint made it durable
      }
    }
  };
  w.recover = [mode](FileSystem* fs) -> Result<std::string> {
    LARDER_RETURN_IF_ERROR(fs->CreateDirs(kDir));
    LARDER_RETURN_IF_ERROR(CheckFile(fs));  // the engine file as the power loss left it
    LARDER_ASSIGN_OR_RETURN(Opened db, Open(fs, mode));
    LARDER_ASSIGN_OR_RETURN(test::KVMap m, test::ReadAll(db.durability->tx()));
    m.erase(kCheckpointKey);
    // Recovery checkpointed what it replayed: the committed state is the same.
    LARDER_ASSIGN_OR_RETURN(test::KVMap committed, test::ReadAll(*db.store));
    committed.erase(kCheckpointKey);
    if (committed != m) return Status::Corruption("recovery did not checkpoint its replay");
    // The recovered database takes writes.
    LARDER_RETURN_IF_ERROR(db.durability->tx().Put("after-crash", "x"));
    LARDER_RETURN_IF_ERROR(db.durability->EndBatch().status());
    LARDER_RETURN_IF_ERROR(db.durability->Close());
    db = {};
    LARDER_RETURN_IF_ERROR(CheckFile(fs));
    return test::KVState(m);
  };
  return w;
}

void RunMode(AppendFsync mode) {
  constexpr int kSeeds = 10;
  test::CrashReport r = test::RunCrashPoints(Workload(mode), {.seeds_per_point = kSeeds});
  std::cerr << "durability crash points (" << (mode == AppendFsync::kAlways ? "always" : "everysec")
            << "): " << r.crash_points << " (" << r.interrupted << " interrupted) over "
            << r.mutating_ops << " mutating ops and " << r.acknowledged_steps
            << " acknowledged steps; " << r.states_checked << " recoveries, "
            << r.recovered_in_flight << " kept the step in flight, " << r.recovered_older
            << " an older state\n";
  EXPECT_EQ(r.crash_points, r.mutating_ops + 1);
  EXPECT_EQ(r.states_checked, r.crash_points * kSeeds);
  EXPECT_GT(r.interrupted, 120u);
  EXPECT_GT(r.recovered_in_flight, 0u);
  EXPECT_GT(r.recovered_older, 0u);
}

TEST(DurabilityCrashTest, AlwaysKeepsEveryAcknowledgedWrite) { RunMode(AppendFsync::kAlways); }

TEST(DurabilityCrashTest, EverySecKeepsAPrefixAndNeverDamagesTheFile) {
  RunMode(AppendFsync::kEverySec);
}

}  // namespace
}  // namespace larder::server
