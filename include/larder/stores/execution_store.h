// ExecutionStore: a compute node's executions, with their history and indexes, on the bolt
// engine (a file, or memory).
//
//   auto cfg = ResolveStoreConfig(StoreRole::kCompute);
//   ExecutionStoreOptions opts;
//   opts.config = *cfg;
//   auto store = ExecutionStore::Open(opts);            // start-up runs here
//   for (const RecoveryAction& a : (*store)->startup_report().recovery) ...
//
// Buckets (docs/stores.md has the byte layout): `execution` (id -> JSON record),
// `execution-history` ("<id>/<seq>" -> JSON event), `execution-index` ("job/<job id>/<id>" and
// "state/<state>/<id>" -> empty). A record, its history and its index entries are always
// written in one transaction, so they never disagree after a crash.
//
// Start-up (Open, or RunStartup again): (1) delete terminal executions whose last change is
// older than `terminal_retention`, with their history and index entries; delete history and
// index entries of executions that no longer exist, and index entries that disagree with their
// record; add missing ones; (2) count executions per state and check the counts against the
// state index (mismatches are repaired in step 1 and reported); (3) restart recovery: each live
// execution is put into a valid state by its job type (below); (4) for a bolt file, compact it
// when its free pages exceed `compact_free_pages`: copy into "<path>.compact", sync, rename over
// the file, sync the directory, reopen. A crash at any point leaves either the old or the new
// complete file (a stale "<path>.compact" is removed at the next start).
//
// Restart recovery: executions found live (created, bid_accepted, running, publishing) are
// - batch, ops: failed, desired state stopped, error and history reason "node restarted";
// - daemon, service: recovered: running or publishing go back to bid_accepted (created and
//   bid_accepted stay), history reason "node restarted: recovered", and the node restarts them;
// - other types: as `recovery_hook` says (no hook: failed, as batch).
//
// Thread-safety: an ExecutionStore is safe for concurrent use. Writes are serialized by the
// engine's single writer, so a conditional Update reads and writes under it: of two updaters
// expecting the same revision, exactly one wins and the other gets Conflict. Reads see a
// snapshot. Counters() includes every write that has returned. RunStartup must not run
// concurrently with other calls.
#ifndef LARDER_STORES_EXECUTION_STORE_H_
#define LARDER_STORES_EXECUTION_STORE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "larder/stores/config.h"
#include "larder/stores/execution.h"

namespace larder {
class FileSystem;
}

namespace larder::stores {

// What restart recovery does with one live execution.
enum class RecoveryDecision : std::uint8_t {
  kFail = 0,     // failed, reason "node restarted" (batch, ops)
  kRecover = 1,  // handed back to the node to restart (daemon, service)
  kKeep = 2,     // left as it is
};
std::string_view RecoveryDecisionName(RecoveryDecision decision);  // "failed", "recovered", "kept"

// Decides for live executions whose job type is not batch, ops, daemon or service.
using RecoveryHook = std::function<RecoveryDecision(const Execution&)>;

struct ExecutionStoreOptions {
  StoreConfig config;  // type and path; see ResolveStoreConfig
  // The file system for the bolt file; nullptr means the OS's. Not owned; must outlive the store.
  FileSystem* file_system = nullptr;
  // Skip fsync at commit (tests only; see bolt::Options::no_sync).
  bool no_sync = false;
  // Terminal executions unchanged for longer than this are deleted at start-up. 0: keep all.
  std::chrono::seconds terminal_retention = std::chrono::hours(24 * 7);
  // Compact a bolt file at start-up when it has more free pages than this. 0: never.
  std::uint64_t compact_free_pages = 256;
  RecoveryHook recovery_hook;
  // The clock, Unix time in nanoseconds; nullptr means the system clock. For tests.
  std::function<std::int64_t()> now_ns;
};

// Per-state counts, indexed by ExecutionState.
using StateCounters = std::array<std::uint64_t, kExecutionStateCount>;

struct RecoveryAction {
  std::string execution_id;
  std::string job_id;
  std::string job_type;
  ExecutionState from = ExecutionState::kCreated;
  ExecutionState to = ExecutionState::kCreated;
  RecoveryDecision decision = RecoveryDecision::kKeep;
};

struct StartupReport {
  StateCounters counters{};  // after start-up
  // Index checks: state-index entries per state before repair, and problems found (and fixed).
  StateCounters indexed{};
  std::uint64_t index_entries_added = 0;
  std::uint64_t index_entries_removed = 0;    // orphaned or disagreeing with their record
  std::uint64_t history_entries_removed = 0;  // orphaned
  std::uint64_t expired_executions_removed = 0;
  bool compacted = false;
  std::uint64_t free_pages_before = 0;  // bolt files only
  std::uint64_t free_pages_after = 0;
  std::uint64_t file_bytes_before = 0;
  std::uint64_t file_bytes_after = 0;
  // Why compaction did not happen ("" when it did or was not needed). A failed compaction
  // leaves the old file in use and does not fail start-up.
  std::string compaction_error;
  std::vector<RecoveryAction> recovery;
};

// A conditional update: applied only when every condition that is set holds.
struct ExecutionUpdate {
  std::string id;
  std::optional<ExecutionState> expected_state;
  std::optional<std::uint64_t> expected_revision;
  // Changes; unset fields stay.
  std::optional<ExecutionState> new_state;
  std::optional<DesiredState> new_desired_state;
  std::optional<ExecutionResult> result;
  std::optional<std::string> error;
  std::string reason;  // recorded in the history when the state changes
};

class ExecutionStore {
 public:
  // Opens (or creates) the store and runs start-up; see startup_report(). Errors: those of
  // bolt::DB::Open, Corruption for a damaged record, IOError.
  static Result<std::unique_ptr<ExecutionStore>> Open(const ExecutionStoreOptions& options);
  ~ExecutionStore();
  ExecutionStore(const ExecutionStore&) = delete;
  ExecutionStore& operator=(const ExecutionStore&) = delete;

  // Stores a new execution: id generated when empty ("e-<uuid>"), revision 1, times now, one
  // history entry ("created"). AlreadyExists for a used id; InvalidArgument for an empty job id
  // or type, or an id or job id with '/'.
  Result<Execution> Create(Execution execution);
  // NotFound when absent.
  Result<Execution> Get(const std::string& id) const;
  // Executions of a job, or in a state, in id order.
  Result<std::vector<Execution>> ListByJob(const std::string& job_id) const;
  Result<std::vector<Execution>> ListByState(ExecutionState state) const;

  // Compare-and-set: applies `update` when its conditions hold against the stored record
  // (Conflict naming what differed otherwise), bumps the revision, moves the index entries and
  // appends a history entry when the state changes, all in one transaction. Returns the new
  // record. NotFound when absent.
  Result<Execution> Update(const ExecutionUpdate& update);
  // Appends a note to the history (state unchanged). NotFound when absent.
  Status AppendHistory(const std::string& id, const std::string& reason);
  // The history, oldest first.
  Result<std::vector<ExecutionEvent>> History(const std::string& id) const;
  // Deletes the execution, its history and its index entries. NotFound when absent.
  Status Delete(const std::string& id);

  StateCounters Counters() const;
  const StartupReport& startup_report() const;

  // Runs the start-up steps again on the open store, as after a restart of the node's executor
  // (and how tests restart an in-memory store). Replaces startup_report().
  Result<StartupReport> RunStartup();

  // Syncs and closes; later calls return TxClosed. The destructor closes too.
  Status Close();

  const StoreConfig& config() const;

  class Impl;

 private:
  explicit ExecutionStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace larder::stores

#endif  // LARDER_STORES_EXECUTION_STORE_H_
