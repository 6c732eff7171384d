// node_stores: a requester's job store and a compute node's execution store, opened from the
// environment (docs/stores.md), driven through a few jobs, then restarted with some executions
// still live, to show start-up counters and restart recovery.
//
//   LARDER_DIR=/tmp/demo LARDER_NODE_ID=node-1 build/bin/node_stores
//   build/bin/larder buckets /tmp/demo/node-1-compute.db
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "larder/stores/config.h"
#include "larder/stores/execution_store.h"
#include "larder/stores/job_store.h"

namespace {

using namespace larder;          // NOLINT: an example
using namespace larder::stores;  // NOLINT

int Fail(const Status& s, std::string_view what) {
  std::fprintf(stderr, "node_stores: %s: %s\n", std::string(what).c_str(), s.ToString().c_str());
  return 1;
}

std::string CountersLine(const StateCounters& c) {
  std::string out;
  for (int i = 0; i < kExecutionStateCount; ++i) {
    out += fmt::format("{}{}={}", i ? " " : "", ExecutionStateName(static_cast<ExecutionState>(i)),
                       c[i]);
  }
  return out;
}

void PrintRecovery(const StartupReport& r) {
  fmt::print("start-up: counters {}\n", CountersLine(r.counters));
  fmt::print(
      "start-up: removed {} expired executions, {} orphaned history and {} index entries; "
      "compacted: {}{}\n",
      r.expired_executions_removed, r.history_entries_removed, r.index_entries_removed,
      r.compacted ? "yes" : "no",
      r.compaction_error.empty() ? "" : " (" + r.compaction_error + ")");
  for (const RecoveryAction& a : r.recovery) {
    fmt::print("recovery: {} of job {} ({}): {} -> {}: {}\n", a.execution_id, a.job_id, a.job_type,
               ExecutionStateName(a.from), ExecutionStateName(a.to),
               RecoveryDecisionName(a.decision));
  }
}

struct Plan {
  const char* name;
  std::string_view type;
  ExecutionState final_state;  // where the demo leaves its execution
};

}  // namespace

int main() {
  auto job_cfg = ResolveStoreConfig(StoreRole::kRequester);
  if (!job_cfg.ok()) return Fail(job_cfg.status(), "job store configuration");
  auto exec_cfg = ResolveStoreConfig(StoreRole::kCompute);
  if (!exec_cfg.ok()) return Fail(exec_cfg.status(), "execution store configuration");
  for (const auto* c : {&*job_cfg, &*exec_cfg}) {
    fmt::print("{} store: {} {} (type from {}, path from {})\n",
               c == &*job_cfg ? "job" : "execution", StoreTypeName(c->type), c->path,
               c->type_source, c->path_source);
  }

  JobStoreOptions job_opts;
  job_opts.config = *job_cfg;
  auto jobs = JobStore::Open(job_opts);
  if (!jobs.ok()) return Fail(jobs.status(), "open job store");
  ExecutionStoreOptions exec_opts;
  exec_opts.config = *exec_cfg;
  auto execs = ExecutionStore::Open(exec_opts);
  if (!execs.ok()) return Fail(execs.status(), "open execution store");
  PrintRecovery((*execs)->startup_report());
  auto watcher = (*jobs)->Watch();

  // Drive a few jobs; the last four stay live.
  const std::vector<Plan> plans = {
      {"resize-images", kJobTypeBatch, ExecutionState::kCompleted},
      {"train-model", kJobTypeBatch, ExecutionState::kRunning},
      {"rotate-logs", kJobTypeOps, ExecutionState::kBidAccepted},
      {"log-shipper", kJobTypeDaemon, ExecutionState::kRunning},
      {"web-api", kJobTypeService, ExecutionState::kPublishing},
  };
  const std::vector<ExecutionState> path = {ExecutionState::kBidAccepted, ExecutionState::kRunning,
                                            ExecutionState::kPublishing,
                                            ExecutionState::kCompleted};
  for (const Plan& p : plans) {
    Job job;
    job.name = p.name;
    job.type = std::string(p.type);
    job.labels = {{"demo", "node_stores"}};
    job.spec = R"({"engine": "docker", "image": "busybox"})";
    auto j = (*jobs)->Create(job);
    if (!j.ok()) return Fail(j.status(), "create job");
    Execution e;
    e.job_id = j->id;
    e.job_type = j->type;
    e.resources.cpu = 1;
    e.resources.memory_bytes = 256 << 20;
    auto created = (*execs)->Create(e);
    if (!created.ok()) return Fail(created.status(), "create execution");
    ExecutionSummary summary{created->id, "node", created->state, created->desired_state, 0};
    if (Status s = (*jobs)->UpsertExecution(j->id, summary, "bid requested"); !s.ok()) {
      return Fail(s, "record execution");
    }
    auto running =
        (*jobs)->UpdateState({j->id, JobState::kRunning, JobState::kPending, 1, "started"});
    if (!running.ok()) return Fail(running.status(), "job running");
    Execution cur = *created;
    for (ExecutionState next : path) {
      if (cur.state == p.final_state) break;
      ExecutionUpdate u;
      u.id = cur.id;
      u.expected_revision = cur.revision;  // compare-and-set
      u.new_state = next;
      u.new_desired_state = DesiredState::kRunning;
      u.reason = fmt::format("demo: {}", ExecutionStateName(next));
      auto r = (*execs)->Update(u);
      if (!r.ok()) return Fail(r.status(), "update execution");
      cur = *r;
    }
    summary.state = cur.state;
    if (Status s = (*jobs)->UpsertExecution(j->id, summary, "progress"); !s.ok()) {
      return Fail(s, "record execution");
    }
    if (cur.state == ExecutionState::kCompleted) {
      auto done =
          (*jobs)->UpdateState({j->id, JobState::kCompleted, JobState::kRunning, {}, "done"});
      if (!done.ok()) return Fail(done.status(), "job completed");
    }
  }
  int events = 0;
  while (watcher->Next(std::chrono::milliseconds(0)).has_value()) ++events;
  fmt::print("drove {} jobs ({} job events watched)\n", plans.size(), events);
  fmt::print("counters before restart: {}\n", CountersLine((*execs)->Counters()));

  // Restart. An in-memory store would come back empty, so it runs its start-up steps again in
  // place instead, to show what recovery does.
  fmt::print("-- restart --\n");
  if (exec_cfg->type == StoreType::kInMemory) {
    fmt::print("(in-memory execution store: start-up steps run again in place)\n");
    auto r = (*execs)->RunStartup();
    if (!r.ok()) return Fail(r.status(), "start-up");
  } else {
    execs->reset();
    execs = ExecutionStore::Open(exec_opts);
    if (!execs.ok()) return Fail(execs.status(), "reopen execution store");
  }
  if (job_cfg->type != StoreType::kInMemory) {
    watcher.reset();
    jobs->reset();
    jobs = JobStore::Open(job_opts);
    if (!jobs.ok()) return Fail(jobs.status(), "reopen job store");
  }
  const StartupReport& report = (*execs)->startup_report();
  PrintRecovery(report);

  // The requester learns the outcome: jobs whose execution was failed by recovery fail too.
  for (const RecoveryAction& a : report.recovery) {
    ExecutionSummary summary{a.execution_id, "node", a.to, DesiredState::kRunning, 0};
    if (Status s = (*jobs)->UpsertExecution(a.job_id, summary, "node restarted"); !s.ok()) {
      if (s.IsNotFound()) continue;  // an earlier run's job in a fresh job store
      return Fail(s, "record recovery");
    }
    if (a.decision == RecoveryDecision::kFail) {
      auto r = (*jobs)->UpdateState({a.job_id,
                                     JobState::kFailed,
                                     JobState::kRunning,
                                     {},
                                     "execution failed: node restarted"});
      if (!r.ok() && !r.status().IsConflict()) return Fail(r.status(), "job failed");
    }
  }
  JobQuery q;
  q.labels = {{"demo", "node_stores"}};
  q.limit = 1000;
  auto page = (*jobs)->List(q);
  if (!page.ok()) return Fail(page.status(), "list jobs");
  fmt::print("jobs:\n");
  for (const Job& j : page->jobs) {
    fmt::print("  {} {:<14} {:<8} {:<10} version {}\n", j.id, j.name, j.type, JobStateName(j.state),
               j.version);
  }
  fmt::print("counters after restart: {}\n", CountersLine((*execs)->Counters()));
  return 0;
}
