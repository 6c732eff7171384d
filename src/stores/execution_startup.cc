// ExecutionStore start-up: cleanup and index repair, counters, restart recovery, compaction.
// The order matters: cleanup first (so counters and recovery see only live records), recovery
// next, compaction last (so it also reclaims the pages cleanup freed).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "larder/stores/execution_store.h"
#include "stores/execution_codec.h"
#include "stores/execution_store_impl.h"
#include "stores/keys.h"

namespace larder::stores {
namespace {

using Impl = ExecutionStore::Impl;

struct Scan {
  std::map<std::string, Execution> live;  // by id, after expiry
  std::vector<Execution> expired;
};

Result<Scan> ScanRecords(const ExecutionBuckets& b, std::int64_t now,
                         std::chrono::seconds retention) {
  Scan scan;
  // Executions last changed before `cutoff` expire. No cutoff for 0 (keep all) or a retention
  // too long to express; the arithmetic cannot overflow on odd clocks or damaged times.
  std::optional<std::int64_t> cutoff;
  constexpr std::int64_t kMaxSeconds = INT64_MAX / 1'000'000'000;
  if (retention.count() > 0 && retention.count() < kMaxSeconds) {
    std::int64_t t = 0;
    if (!__builtin_sub_overflow(now, retention.count() * 1'000'000'000, &t)) cutoff = t;
  }
  bolt::Cursor c = b.records.NewCursor();
  for (c.First(); c.Valid(); c.Next()) {
    if (c.IsBucket()) {
      return Status::Corruption(fmt::format("execution bucket holds a sub-bucket {}", c.key()));
    }
    Result<Execution> e = DecodeExecution(c.value());
    if (!e.ok()) return e.status().WithContext(fmt::format("execution record {}", c.key()));
    if (e->id != c.key()) {
      return Status::Corruption(fmt::format("execution record {} holds id {}", c.key(), e->id));
    }
    if (cutoff.has_value() && IsTerminal(e->state) && e->modify_time_ns < *cutoff) {
      scan.expired.push_back(std::move(*e));
    } else {
      std::string id = e->id;
      scan.live.emplace(std::move(id), std::move(*e));
    }
  }
  LARDER_RETURN_IF_ERROR(c.status());
  return scan;
}

// Removes index entries that name no live record or disagree with it; adds missing ones.
// Counts the state entries found (before repair) into `report.indexed`.
Status RepairIndex(ExecutionBuckets& b, const Scan& scan, StartupReport& report) {
  std::set<std::string> expected;
  for (const auto& [id, e] : scan.live) {
    expected.insert(keys::ByJobKey(e.job_id, id));
    expected.insert(keys::ByStateKey(ExecutionStateName(e.state), id));
  }
  std::vector<std::string> stale;
  bolt::Cursor c = b.index.NewCursor();
  for (c.First(); c.Valid(); c.Next()) {
    std::string key(c.key());
    if (key.starts_with("state/")) {
      Result<ExecutionState> s = ParseExecutionState(keys::BeforeLast(key).substr(6));
      if (s.ok()) ++report.indexed[static_cast<std::size_t>(*s)];
    }
    if (expected.erase(key) == 0 || c.IsBucket()) stale.push_back(std::move(key));
  }
  LARDER_RETURN_IF_ERROR(c.status());
  for (const std::string& key : stale) {
    Status s = b.index.Delete(key);
    if (s.code() == Code::kIncompatible) s = b.index.DeleteBucket(key);
    LARDER_RETURN_IF_ERROR(s);
    ++report.index_entries_removed;
  }
  for (const std::string& key : expected) {
    LARDER_RETURN_IF_ERROR(b.index.Put(key, ""));
    ++report.index_entries_added;
  }
  return Status::Ok();
}

Status RemoveOrphanHistory(ExecutionBuckets& b, const Scan& scan, StartupReport& report) {
  std::vector<std::string> orphans;
  bolt::Cursor c = b.history.NewCursor();
  for (c.First(); c.Valid(); c.Next()) {
    std::string owner(keys::BeforeLast(c.key()));
    if (c.IsBucket() || !scan.live.contains(owner)) orphans.emplace_back(c.key());
  }
  LARDER_RETURN_IF_ERROR(c.status());
  for (const std::string& key : orphans) {
    Status s = b.history.Delete(key);
    if (s.code() == Code::kIncompatible) s = b.history.DeleteBucket(key);
    LARDER_RETURN_IF_ERROR(s);
    ++report.history_entries_removed;
  }
  return Status::Ok();
}

bool IsLive(ExecutionState s) { return !IsTerminal(s); }

RecoveryDecision Decide(const Execution& e, const RecoveryHook& hook) {
  if (e.job_type == kJobTypeBatch || e.job_type == kJobTypeOps) return RecoveryDecision::kFail;
  if (e.job_type == kJobTypeDaemon || e.job_type == kJobTypeService) {
    return RecoveryDecision::kRecover;
  }
  return hook ? hook(e) : RecoveryDecision::kFail;
}

// Applies restart recovery to every live execution in `scan` (updated in place).
Status Recover(ExecutionBuckets& b, Scan& scan, const RecoveryHook& hook, std::int64_t now,
               StartupReport& report) {
  for (auto& [id, e] : scan.live) {
    if (!IsLive(e.state)) continue;
    const RecoveryDecision decision = Decide(e, hook);
    RecoveryAction action{id, e.job_id, e.job_type, e.state, e.state, decision};
    Execution next = e;
    std::string reason;
    if (decision == RecoveryDecision::kFail) {
      next.state = ExecutionState::kFailed;
      next.desired_state = DesiredState::kStopped;
      next.error = "node restarted";
      reason = "node restarted";
    } else if (decision == RecoveryDecision::kRecover) {
      if (e.state == ExecutionState::kRunning || e.state == ExecutionState::kPublishing) {
        next.state = ExecutionState::kBidAccepted;
      }
      reason = "node restarted: recovered";
    }
    action.to = next.state;
    report.recovery.push_back(action);
    if (decision == RecoveryDecision::kKeep) continue;
    next.revision = e.revision + 1;
    next.modify_time_ns = now;
    LARDER_RETURN_IF_ERROR(Impl::ReplaceIn(b, e, next, &reason));
    e = std::move(next);
  }
  return Status::Ok();
}

}  // namespace

Result<StartupReport> ExecutionStore::RunStartup() {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  StartupReport report;
  const std::int64_t now = impl_->Now();
  Scan scan;
  // One transaction: a crash during start-up leaves the store as it was.
  LARDER_RETURN_IF_ERROR(impl_->db->Update([&](bolt::Tx& tx) -> Status {
    report = StartupReport{};
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(scan, ScanRecords(b, now, impl_->options.terminal_retention));
    for (const Execution& e : scan.expired) {
      LARDER_RETURN_IF_ERROR(Impl::DeleteIn(b, e).status());
      ++report.expired_executions_removed;
    }
    LARDER_RETURN_IF_ERROR(RepairIndex(b, scan, report));
    LARDER_RETURN_IF_ERROR(RemoveOrphanHistory(b, scan, report));
    return Recover(b, scan, impl_->options.recovery_hook, now, report);
  }));
  for (const auto& [id, e] : scan.live) ++report.counters[static_cast<std::size_t>(e.state)];
  for (std::size_t i = 0; i < report.counters.size(); ++i) {
    impl_->counters[i].store(report.counters[i]);
  }

  Result<CompactionOutcome> compaction =
      CompactIfNeeded(&impl_->db, impl_->DbOptions(), impl_->options.compact_free_pages);
  if (!compaction.ok()) {
    if (!impl_->db) return compaction.status();  // the file was replaced but did not reopen
    report.compaction_error = compaction.status().ToString();
  } else {
    report.compacted = compaction->compacted;
    report.free_pages_before = compaction->free_pages_before;
    report.free_pages_after = compaction->free_pages_after;
    report.file_bytes_before = compaction->file_bytes_before;
    report.file_bytes_after = compaction->file_bytes_after;
  }
  impl_->report = report;
  return report;
}

}  // namespace larder::stores
