// The execution store's shared suite: every TEST_P runs on a bolt file and in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "larder/stores/execution_store.h"
#include "tests/util/store_modes.h"

namespace larder::stores {
namespace {

using std::chrono::hours;

class ExecutionStoreSuite : public test::StoreModeTest {
 protected:
  void SetUp() override {
    opts_ = ExecOptions();
    store_ = OpenExec(opts_);
    ASSERT_NE(store_, nullptr);
  }

  Execution Make(const std::string& job, std::string_view type, ExecutionState state) {
    Execution e;
    e.job_id = job;
    e.job_type = std::string(type);
    e.state = state;
    e.resources.cpu = 0.5;
    e.resources.memory_bytes = 1 << 20;
    auto r = store_->Create(e);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Execution{};
  }

  ExecutionStoreOptions opts_;
  std::unique_ptr<ExecutionStore> store_;
};

std::vector<std::string> Ids(const Result<std::vector<Execution>>& list) {
  std::vector<std::string> out;
  if (list.ok()) {
    for (const Execution& e : *list) out.push_back(e.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_P(ExecutionStoreSuite, CreateGetListUpdateHistoryDelete) {
  Execution a = Make("job-1", kJobTypeBatch, ExecutionState::kCreated);
  Execution b = Make("job-1", kJobTypeBatch, ExecutionState::kCreated);
  Execution c = Make("job-2", kJobTypeService, ExecutionState::kRunning);
  ASSERT_TRUE(a.id.starts_with("e-")) << a.id;
  EXPECT_EQ(a.id.size(), 2u + 36u);
  EXPECT_EQ(a.id[2 + 14], '4');  // UUID version 4
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.revision, 1u);
  EXPECT_EQ(a.create_time_ns, kStartNs);

  auto got = store_->Get(a.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->job_id, "job-1");
  EXPECT_EQ(got->job_type, "batch");
  EXPECT_DOUBLE_EQ(got->resources.cpu, 0.5);
  EXPECT_EQ(got->resources.memory_bytes, 1u << 20);

  EXPECT_EQ(Ids(store_->ListByJob("job-1")), Sorted({a.id, b.id}));
  EXPECT_EQ(Ids(store_->ListByJob("job-2")), std::vector<std::string>{c.id});
  EXPECT_EQ(Ids(store_->ListByState(ExecutionState::kCreated)), Sorted({a.id, b.id}));

  Advance(std::chrono::seconds(5));
  ExecutionUpdate u;
  u.id = a.id;
  u.new_state = ExecutionState::kCompleted;
  u.result = ExecutionResult{0, "ok"};
  u.reason = "finished";
  auto updated = store_->Update(u);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->revision, 2u);
  EXPECT_EQ(updated->modify_time_ns, kStartNs + 5'000'000'000);
  ASSERT_TRUE(updated->result.has_value());
  EXPECT_EQ(updated->result->output, "ok");
  EXPECT_EQ(Ids(store_->ListByState(ExecutionState::kCreated)), std::vector<std::string>{b.id});
  EXPECT_EQ(Ids(store_->ListByState(ExecutionState::kCompleted)), std::vector<std::string>{a.id});

  ASSERT_TRUE(store_->AppendHistory(a.id, "results uploaded").ok());
  auto history = store_->History(a.id);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].seq, 1u);
  EXPECT_EQ((*history)[0].reason, "created");
  EXPECT_FALSE((*history)[0].previous_state.has_value());
  EXPECT_EQ((*history)[1].previous_state, ExecutionState::kCreated);
  EXPECT_EQ((*history)[1].new_state, ExecutionState::kCompleted);
  EXPECT_EQ((*history)[1].reason, "finished");
  EXPECT_EQ((*history)[2].reason, "results uploaded");

  StateCounters counters = store_->Counters();
  EXPECT_EQ(counters[static_cast<int>(ExecutionState::kCreated)], 1u);
  EXPECT_EQ(counters[static_cast<int>(ExecutionState::kCompleted)], 1u);
  EXPECT_EQ(counters[static_cast<int>(ExecutionState::kRunning)], 1u);

  ASSERT_TRUE(store_->Delete(a.id).ok());
  EXPECT_TRUE(store_->Get(a.id).status().IsNotFound());
  EXPECT_TRUE(store_->History(a.id).status().IsNotFound());
  EXPECT_TRUE(store_->Delete(a.id).IsNotFound());
  EXPECT_EQ(Ids(store_->ListByJob("job-1")), std::vector<std::string>{b.id});
  EXPECT_EQ(store_->Counters()[static_cast<int>(ExecutionState::kCompleted)], 0u);

  // Nothing of `a` was left behind: a start-up check finds no stray history or index entry.
  auto report = store_->RunStartup();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->history_entries_removed, 0u);
  EXPECT_EQ(report->index_entries_removed, 0u);
  EXPECT_EQ(report->index_entries_added, 0u);
}

TEST_P(ExecutionStoreSuite, CreateRejectsBadInput) {
  Execution e;
  e.job_type = "batch";
  EXPECT_TRUE(store_->Create(e).status().IsInvalidArgument());  // no job id
  e.job_id = "a/b";
  EXPECT_TRUE(store_->Create(e).status().IsInvalidArgument());
  e.job_id = "j";
  e.job_type = "";
  EXPECT_TRUE(store_->Create(e).status().IsInvalidArgument());
  e.job_type = "batch";
  e.id = "e-fixed";
  ASSERT_TRUE(store_->Create(e).ok());
  EXPECT_EQ(store_->Create(e).status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(store_->Get("e-none").status().IsNotFound());
  EXPECT_TRUE(store_->Get("e/x").status().IsInvalidArgument());
  EXPECT_EQ(store_->Counters()[0], 1u);
}

TEST_P(ExecutionStoreSuite, ConditionalUpdateChecksStateAndRevision) {
  Execution e = Make("j", kJobTypeBatch, ExecutionState::kCreated);
  ExecutionUpdate u;
  u.id = e.id;
  u.new_state = ExecutionState::kRunning;
  u.expected_state = ExecutionState::kBidAccepted;
  Status s = store_->Update(u).status();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("state is created, expected bid_accepted"), std::string::npos);
  u.expected_state = ExecutionState::kCreated;
  u.expected_revision = 7;
  EXPECT_TRUE(store_->Update(u).status().IsConflict());
  auto unchanged = store_->Get(e.id);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->state, ExecutionState::kCreated);
  EXPECT_EQ(unchanged->revision, 1u);
  EXPECT_EQ(store_->History(e.id)->size(), 1u);

  u.expected_revision = 1;
  auto ok = store_->Update(u);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->state, ExecutionState::kRunning);
  EXPECT_TRUE(store_->Update(u).status().IsConflict());  // the same condition fails now
  u.id = "e-missing";
  EXPECT_TRUE(store_->Update(u).status().IsNotFound());
}

TEST_P(ExecutionStoreSuite, ConcurrentConditionalUpdatesExactlyOneWins) {
  Execution e = Make("j", kJobTypeBatch, ExecutionState::kCreated);
  constexpr int kThreads = 6;
  constexpr int kRounds = 15;
  for (int round = 0; round < kRounds; ++round) {
    const std::uint64_t rev = 1 + round;
    std::atomic<int> wins{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ExecutionUpdate u;
        u.id = e.id;
        u.expected_revision = rev;
        u.error = "writer " + std::to_string(t);
        Status s = store_->Update(u).status();
        if (s.ok()) ++wins;
        if (s.IsConflict()) ++conflicts;
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(conflicts.load(), kThreads - 1);
  }
  EXPECT_EQ(store_->Get(e.id)->revision, 1u + kRounds);

  // Retrying read-modify-write loops lose no increment.
  std::vector<std::thread> threads;
  constexpr int kIncrements = 20;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (;;) {
          auto cur = store_->Get(e.id);
          ASSERT_TRUE(cur.ok());
          ExecutionUpdate u;
          u.id = e.id;
          u.expected_revision = cur->revision;
          if (store_->Update(u).ok()) break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_->Get(e.id)->revision, 1u + kRounds + 4 * kIncrements);
}

TEST_P(ExecutionStoreSuite, RestartRecoveryByJobType) {
  // The hook is part of the options the store was opened with (an in-memory store keeps them).
  store_.reset();
  opts_.recovery_hook = [](const Execution& e) {
    return e.job_type == "training" ? RecoveryDecision::kKeep : RecoveryDecision::kRecover;
  };
  store_ = OpenExec(opts_);
  ASSERT_NE(store_, nullptr);
  Execution batch = Make("j1", kJobTypeBatch, ExecutionState::kRunning);
  Execution ops = Make("j2", kJobTypeOps, ExecutionState::kBidAccepted);
  Execution daemon = Make("j3", kJobTypeDaemon, ExecutionState::kRunning);
  Execution service = Make("j4", kJobTypeService, ExecutionState::kCreated);
  Execution publishing = Make("j5", kJobTypeService, ExecutionState::kPublishing);
  Execution training = Make("j6", "training", ExecutionState::kRunning);
  Execution custom = Make("j7", "wasm", ExecutionState::kRunning);
  Execution done = Make("j8", kJobTypeBatch, ExecutionState::kCompleted);

  StartupReport report = Restart(store_, opts_);
  ASSERT_NE(store_, nullptr);
  ASSERT_EQ(report.recovery.size(), 7u);
  auto action = [&](const std::string& id) {
    for (const RecoveryAction& a : report.recovery) {
      if (a.execution_id == id) return a;
    }
    ADD_FAILURE() << "no recovery action for " << id;
    return RecoveryAction{};
  };
  auto state = [&](const std::string& id) { return store_->Get(id)->state; };

  for (const Execution* e : {&batch, &ops}) {
    EXPECT_EQ(action(e->id).decision, RecoveryDecision::kFail);
    auto got = store_->Get(e->id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->state, ExecutionState::kFailed);
    EXPECT_EQ(got->desired_state, DesiredState::kStopped);
    EXPECT_EQ(got->error, "node restarted");
    EXPECT_EQ(got->revision, 2u);
    EXPECT_EQ(store_->History(e->id)->back().reason, "node restarted");
  }
  EXPECT_EQ(action(daemon.id).decision, RecoveryDecision::kRecover);
  EXPECT_EQ(state(daemon.id), ExecutionState::kBidAccepted);
  EXPECT_EQ(store_->History(daemon.id)->back().reason, "node restarted: recovered");
  EXPECT_EQ(action(service.id).decision, RecoveryDecision::kRecover);
  EXPECT_EQ(state(service.id), ExecutionState::kCreated);
  EXPECT_EQ(store_->Get(service.id)->revision, 2u);
  EXPECT_EQ(state(publishing.id), ExecutionState::kBidAccepted);
  EXPECT_EQ(action(publishing.id).from, ExecutionState::kPublishing);
  EXPECT_EQ(action(training.id).decision, RecoveryDecision::kKeep);
  EXPECT_EQ(state(training.id), ExecutionState::kRunning);
  EXPECT_EQ(store_->Get(training.id)->revision, 1u);
  EXPECT_EQ(action(custom.id).decision, RecoveryDecision::kRecover);  // the hook's choice
  EXPECT_EQ(state(custom.id), ExecutionState::kBidAccepted);
  EXPECT_EQ(state(done.id), ExecutionState::kCompleted);

  StateCounters c = store_->Counters();
  EXPECT_EQ(c[static_cast<int>(ExecutionState::kFailed)], 2u);
  EXPECT_EQ(c[static_cast<int>(ExecutionState::kBidAccepted)], 3u);
  EXPECT_EQ(c[static_cast<int>(ExecutionState::kCreated)], 1u);
  EXPECT_EQ(c[static_cast<int>(ExecutionState::kRunning)], 1u);
  EXPECT_EQ(c[static_cast<int>(ExecutionState::kCompleted)], 1u);
  EXPECT_EQ(Ids(store_->ListByState(ExecutionState::kFailed)), Sorted({batch.id, ops.id}));
}

TEST_P(ExecutionStoreSuite, UnknownTypeWithoutHookIsFailed) {
  Execution e = Make("j", "wasm", ExecutionState::kRunning);
  StartupReport report = Restart(store_, opts_);
  ASSERT_EQ(report.recovery.size(), 1u);
  EXPECT_EQ(report.recovery[0].decision, RecoveryDecision::kFail);
  EXPECT_EQ(store_->Get(e.id)->state, ExecutionState::kFailed);
}

TEST_P(ExecutionStoreSuite, CountersRebuiltAtStartupAgreeWithIndexes) {
  const ExecutionState states[] = {ExecutionState::kCompleted, ExecutionState::kFailed,
                                   ExecutionState::kCancelled, ExecutionState::kBidRejected,
                                   ExecutionState::kCompleted};
  std::vector<Execution> all;
  for (int i = 0; i < 25; ++i)
    all.push_back(Make("j" + std::to_string(i % 4), "batch", states[i % 5]));
  ASSERT_TRUE(store_->Delete(all[0].id).ok());
  StateCounters before = store_->Counters();
  EXPECT_EQ(before[static_cast<int>(ExecutionState::kCompleted)], 9u);
  StartupReport report = Restart(store_, opts_);
  EXPECT_EQ(report.counters, before);
  EXPECT_EQ(report.indexed, before);  // the state index agreed with the records
  EXPECT_EQ(store_->Counters(), before);
  for (int s = 0; s < kExecutionStateCount; ++s) {
    EXPECT_EQ(store_->ListByState(static_cast<ExecutionState>(s))->size(), before[s]) << s;
  }
  EXPECT_EQ(report.index_entries_added + report.index_entries_removed, 0u);
}

TEST_P(ExecutionStoreSuite, StartupRemovesExpiredTerminalExecutions) {
  store_.reset();
  opts_.terminal_retention = hours(1);
  store_ = OpenExec(opts_);
  ASSERT_NE(store_, nullptr);
  Execution old_done = Make("j", "batch", ExecutionState::kCompleted);
  Execution old_failed = Make("j", "batch", ExecutionState::kFailed);
  Execution old_live = Make("j", "daemon", ExecutionState::kBidAccepted);
  Advance(hours(2));
  Execution fresh_done = Make("j", "batch", ExecutionState::kCompleted);
  StartupReport report = Restart(store_, opts_);
  EXPECT_EQ(report.expired_executions_removed, 2u);
  EXPECT_TRUE(store_->Get(old_done.id).status().IsNotFound());
  EXPECT_TRUE(store_->Get(old_failed.id).status().IsNotFound());
  EXPECT_TRUE(store_->Get(old_live.id).ok());  // live ones are never expired
  EXPECT_TRUE(store_->Get(fresh_done.id).ok());
  EXPECT_EQ(Ids(store_->ListByJob("j")), Sorted({old_live.id, fresh_done.id}));
  EXPECT_EQ(store_->Counters()[static_cast<int>(ExecutionState::kCompleted)], 1u);
  EXPECT_EQ(store_->Counters()[static_cast<int>(ExecutionState::kFailed)], 0u);
  // Their history went with them: the next start-up finds nothing orphaned.
  auto again = store_->RunStartup();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->history_entries_removed, 0u);
  EXPECT_EQ(again->index_entries_removed, 0u);
}

TEST_P(ExecutionStoreSuite, CompactionAtStartupOnlyForFilesAndKeepsData) {
  std::string big(3000, 'x');
  std::vector<Execution> all, kept;
  for (int i = 0; i < 120; ++i) {
    Execution e;
    e.job_id = "j" + std::to_string(i);
    e.job_type = "batch";
    e.state = ExecutionState::kCompleted;
    e.error = big;
    auto r = store_->Create(e);
    ASSERT_TRUE(r.ok());
    all.push_back(*r);
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i % 10 == 0) {
      kept.push_back(all[i]);
    } else {
      ASSERT_TRUE(store_->Delete(all[i].id).ok());
    }
  }
  store_.reset();
  opts_.compact_free_pages = 16;
  store_ = OpenExec(opts_);
  ASSERT_NE(store_, nullptr);
  const StartupReport& r = store_->startup_report();
  EXPECT_EQ(r.compaction_error, "");
  if (in_memory()) {
    EXPECT_FALSE(r.compacted);  // a fresh in-memory store: nothing to compact
  } else {
    EXPECT_TRUE(r.compacted);
    EXPECT_GT(r.free_pages_before, 16u);
    EXPECT_LT(r.free_pages_after, r.free_pages_before);
    EXPECT_LT(r.file_bytes_after, r.file_bytes_before);
    for (const Execution& e : kept) {
      auto got = store_->Get(e.id);
      ASSERT_TRUE(got.ok()) << e.id;
      EXPECT_EQ(got->error, big);
    }
    EXPECT_EQ(store_->Counters()[static_cast<int>(ExecutionState::kCompleted)], kept.size());
    EXPECT_FALSE(std::filesystem::exists(opts_.config.path + ".compact"));
  }
}

TEST_P(ExecutionStoreSuite, ClosedStoreRefusesCalls) {
  Execution e = Make("j", "batch", ExecutionState::kCreated);
  ASSERT_TRUE(store_->Close().ok());
  EXPECT_EQ(store_->Get(e.id).status().code(), Code::kTxClosed);
  EXPECT_EQ(store_->Create(e).status().code(), Code::kTxClosed);
  EXPECT_EQ(store_->RunStartup().status().code(), Code::kTxClosed);
  EXPECT_TRUE(store_->Close().ok());
}

TEST_P(ExecutionStoreSuite, BadConfiguration) {
  ExecutionStoreOptions o = ExecOptions();
  o.config.path = "";
  EXPECT_TRUE(ExecutionStore::Open(o).status().IsInvalidArgument());
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "LARDER_COMPUTE_STORE_TYPE") return "rocksdb";
    return std::nullopt;
  };
  auto cfg = ResolveStoreConfig(StoreRole::kCompute, {}, env);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("LARDER_COMPUTE_STORE_TYPE"), std::string::npos);
  if (!in_memory()) {
    // A path below a regular file cannot be created.
    o.config.path = opts_.config.path + "/sub/x.db";
    Status s = ExecutionStore::Open(o).status();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.ToString().find("sub"), std::string::npos) << s.ToString();
  }
}

LARDER_INSTANTIATE_STORE_MODES(ExecutionStoreSuite);

}  // namespace
}  // namespace larder::stores
