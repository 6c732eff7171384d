// JobStore: a requester node's jobs, their history and their executions' summaries, on the bolt
// engine (a file, or memory), with watchers.
//
// Buckets (docs/stores.md): `jobs` (id -> JSON), `job-history` ("<id>/<seq>" -> JSON),
// `job-executions` ("<id>/<execution id>" -> JSON summary), `job-index`
// ("created/<time>/<id>" -> empty, for listing in creation order). A job and all its entries are
// written in one transaction.
//
// Thread-safety: a JobStore is safe for concurrent use. Writes are serialized (the engine has
// one writer); a conditional UpdateState reads and writes under it, so of two updaters
// expecting the same version exactly one wins and the other gets Conflict. Reads see a snapshot.
//
// Watchers: each committed change becomes one JobEvent with a sequence number; events are queued
// to every watcher in commit order while the store's write lock is held, and the store never
// calls user code, so a watcher's owner may call the store (even write) while handling events
// without deadlock. A watcher that falls `queue_limit` events behind stops receiving and reports
// overflowed(); it should be replaced and its owner re-read the jobs.
#ifndef LARDER_STORES_JOB_STORE_H_
#define LARDER_STORES_JOB_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "larder/stores/config.h"
#include "larder/stores/job.h"

namespace larder {
class FileSystem;
}

namespace larder::stores {

struct JobStoreOptions {
  StoreConfig config;                 // type and path; see ResolveStoreConfig
  FileSystem* file_system = nullptr;  // nullptr: the OS's. Not owned; must outlive the store
  bool no_sync = false;               // skip fsync at commit (tests only)
  // The clock, Unix time in nanoseconds; nullptr means the system clock. For tests.
  std::function<std::int64_t()> now_ns;
};

// A filter and a page: jobs matching every filter that is set, in creation order.
struct JobQuery {
  std::optional<std::string> namespace_name;
  std::map<std::string, std::string> labels;  // each must be present with this value
  std::vector<JobState> states;               // any of these; empty means all
  std::size_t limit = 100;                    // jobs per page, 1..10000
  std::string page_token;                     // "" for the first page, else next_page_token
};

struct JobPage {
  std::vector<Job> jobs;
  std::string next_page_token;  // "" when there are no more jobs
};

struct JobStateUpdate {
  std::string id;
  JobState new_state = JobState::kPending;
  std::optional<JobState> expected_state;
  std::optional<std::uint64_t> expected_version;
  std::string comment;  // recorded in the history
};

struct JobEvent {
  enum class Kind : std::uint8_t { kCreated = 0, kUpdated = 1, kDeleted = 2, kExecution = 3 };
  std::uint64_t seq = 0;  // 1, 2, ... in commit order since the store opened
  Kind kind = Kind::kCreated;
  std::string job_id;
  std::optional<Job> job;                     // after the change; none for kDeleted
  std::optional<ExecutionSummary> execution;  // for kExecution
};

// A queue of JobEvents. Thread-safety: Next may be called from one thread at a time; the store
// fills the queue from any thread. May outlive the store (Next then returns what is queued, then
// nullopt at once).
class JobWatcher {
 public:
  virtual ~JobWatcher() = default;
  // The next event, waiting up to `timeout`; nullopt on timeout, overflow or a closed store.
  virtual std::optional<JobEvent> Next(std::chrono::milliseconds timeout) = 0;
  // True once the watcher fell `queue_limit` events behind and events were dropped.
  virtual bool overflowed() const = 0;
};

class JobStore {
 public:
  static Result<std::unique_ptr<JobStore>> Open(const JobStoreOptions& options);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Stores a new job: id generated when empty ("j-<uuid>"), version 1, times now, one history
  // entry. InvalidArgument for an empty type, a bad id or a spec that is not JSON; AlreadyExists.
  Result<Job> Create(Job job);
  // By full id, or by a prefix matching exactly one id. NotFound for no match; InvalidArgument
  // naming the count when a prefix matches several jobs.
  Result<Job> Get(const std::string& id_or_prefix) const;
  // InvalidArgument for a bad limit or page token.
  Result<JobPage> List(const JobQuery& query) const;
  // Compare-and-set on the state: Conflict when a condition fails. Bumps the version and
  // appends a history entry. Returns the new job.
  Result<Job> UpdateState(const JobStateUpdate& update);
  // Deletes the job, its history, its executions' summaries and its index entry.
  Status Delete(const std::string& id);
  Result<std::vector<JobHistoryEntry>> History(const std::string& id) const;

  // Records what is known of one execution of job `job_id` (inserted or replaced), with an
  // execution-level history entry when its state changed. NotFound for an unknown job.
  Status UpsertExecution(const std::string& job_id, ExecutionSummary summary,
                         const std::string& comment);
  // The job's executions, in execution id order.
  Result<std::vector<ExecutionSummary>> Executions(const std::string& job_id) const;

  // A new watcher of every change from now on.
  std::unique_ptr<JobWatcher> Watch(std::size_t queue_limit = 4096);

  // Closes; later calls return TxClosed and watchers are woken. The destructor closes too.
  // REQUIRES: no concurrent calls.
  Status Close();

  class Impl;

 private:
  explicit JobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace larder::stores

#endif  // LARDER_STORES_JOB_STORE_H_
