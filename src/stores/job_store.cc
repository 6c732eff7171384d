// JobStore: jobs, history, executions' summaries, creation-order listing, watchers.
#include "larder/stores/job_store.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include <fmt/format.h>

#include "larder/bolt/db.h"
#include "stores/ids.h"
#include "stores/job_codec.h"
#include "stores/job_watch.h"
#include "stores/json_fields.h"
#include "stores/keys.h"
#include "stores/owner_entries.h"
#include "stores/store_db.h"

namespace larder::stores {
namespace {

constexpr std::string_view kCreatedPrefix = "created/";
constexpr std::size_t kMaxListLimit = 10000;

struct JobBuckets {
  bolt::Bucket jobs;
  bolt::Bucket history;
  bolt::Bucket executions;
  bolt::Bucket index;
};

Result<JobBuckets> BucketsIn(bolt::Tx& tx) {
  auto get = [&tx](std::string_view name) -> Result<bolt::Bucket> {
    Result<bolt::Bucket> b = tx.writable() ? tx.CreateBucketIfNotExists(name) : tx.GetBucket(name);
    if (!b.ok()) return b.status().WithContext(fmt::format("bucket {}", name));
    return b;
  };
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket jobs, get(keys::kJobBucket));
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket history, get(keys::kJobHistoryBucket));
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket executions, get(keys::kJobExecutionsBucket));
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket index, get(keys::kJobIndexBucket));
  return JobBuckets{jobs, history, executions, index};
}

std::string CreatedKey(const Job& job) {
  const std::uint64_t t =
      job.create_time_ns < 0 ? 0 : static_cast<std::uint64_t>(job.create_time_ns);
  return fmt::format("{}{}/{}", kCreatedPrefix, keys::Seq(t), job.id);
}

Result<Job> ReadJobIn(const JobBuckets& b, const std::string& id) {
  Result<std::string_view> raw = b.jobs.Get(id);
  if (!raw.ok()) {
    if (raw.status().IsNotFound()) return Status::NotFound(fmt::format("job {}", id));
    return raw.status();
  }
  Result<Job> job = DecodeJob(*raw);
  if (!job.ok()) return job.status().WithContext(fmt::format("job record {}", id));
  if (job->id != id)
    return Status::Corruption(fmt::format("job record {} holds id {}", id, job->id));
  return job;
}

Status AppendHistoryIn(JobBuckets& b, const std::string& job_id, JobHistoryEntry entry) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t last, LastSeq(b.history, job_id));
  entry.seq = last + 1;
  return b.history.Put(keys::HistoryKey(job_id, entry.seq), EncodeJobHistoryEntry(entry));
}

bool Matches(const Job& job, const JobQuery& q) {
  if (q.namespace_name.has_value() && job.namespace_name != *q.namespace_name) return false;
  for (const auto& [k, v] : q.labels) {
    auto it = job.labels.find(k);
    if (it == job.labels.end() || it->second != v) return false;
  }
  if (!q.states.empty() &&
      std::find(q.states.begin(), q.states.end(), job.state) == q.states.end()) {
    return false;
  }
  return true;
}

}  // namespace

class JobStore::Impl {
 public:
  explicit Impl(const JobStoreOptions& o) : options(o), hub(std::make_shared<WatchHub>()) {}

  std::int64_t Now() const {
    if (options.now_ns) return options.now_ns();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  Status CheckOpen() const { return db ? Status::Ok() : Status::TxClosed("job store is closed"); }

  // Runs `fn` in a write transaction and, when it commits, publishes the event it filled in.
  // Holding write_mu across commit and publish is what keeps events in commit order.
  Status Write(const std::function<Status(bolt::Tx&, JobEvent*)>& fn) {
    std::lock_guard<std::mutex> lock(write_mu);
    JobEvent event;
    LARDER_RETURN_IF_ERROR(db->Update([&](bolt::Tx& tx) { return fn(tx, &event); }));
    hub->Publish(std::move(event));
    return Status::Ok();
  }

  JobStoreOptions options;
  std::unique_ptr<bolt::DB> db;
  std::shared_ptr<WatchHub> hub;
  std::mutex write_mu;
};

JobStore::JobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobStore::~JobStore() { (void)Close(); }

Result<std::unique_ptr<JobStore>> JobStore::Open(const JobStoreOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  LARDER_ASSIGN_OR_RETURN(impl->db,
                          OpenStoreDb({options.config, options.file_system, options.no_sync}));
  LARDER_RETURN_IF_ERROR(impl->db->Update([](bolt::Tx& tx) { return BucketsIn(tx).status(); })
                             .WithContext("job store start-up"));
  return std::unique_ptr<JobStore>(new JobStore(std::move(impl)));
}

Status JobStore::Close() {
  impl_->hub->Close();
  if (!impl_->db) return Status::Ok();
  Status s = impl_->db->Close();
  impl_->db.reset();
  return s;
}

std::unique_ptr<JobWatcher> JobStore::Watch(std::size_t queue_limit) {
  return impl_->hub->NewWatcher(queue_limit);
}

Result<Job> JobStore::Create(Job job) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  if (job.id.empty()) job.id = NewId("j-");
  LARDER_RETURN_IF_ERROR(CheckId("job id", job.id));
  LARDER_RETURN_IF_ERROR(CheckId("job type", job.type));
  if (job.namespace_name.empty()) job.namespace_name = "default";
  if (job.spec.empty()) job.spec = "{}";
  LARDER_RETURN_IF_ERROR(CheckSpec(job.spec));
  job.spec = json_fields::Dump(json_fields::Json::parse(job.spec, nullptr, false));
  for (const auto& [k, v] : job.labels) {
    if (k.empty()) return Status::InvalidArgument("job label with an empty key");
  }
  job.version = 1;
  job.create_time_ns = job.modify_time_ns = impl_->Now();
  LARDER_RETURN_IF_ERROR(impl_->Write([&](bolt::Tx& tx, JobEvent* event) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    Result<std::string_view> existing = b.jobs.Get(job.id);
    if (existing.ok()) return Status::AlreadyExists(fmt::format("job {}", job.id));
    if (!existing.status().IsNotFound()) return existing.status();
    LARDER_RETURN_IF_ERROR(b.jobs.Put(job.id, EncodeJob(job)));
    LARDER_RETURN_IF_ERROR(b.index.Put(CreatedKey(job), ""));
    JobHistoryEntry h;
    h.time_ns = job.create_time_ns;
    h.new_state = JobStateName(job.state);
    h.comment = "created";
    LARDER_RETURN_IF_ERROR(AppendHistoryIn(b, job.id, h));
    *event = JobEvent{0, JobEvent::Kind::kCreated, job.id, job, std::nullopt};
    return Status::Ok();
  }));
  return job;
}

Result<Job> JobStore::Get(const std::string& id_or_prefix) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id or prefix", id_or_prefix));
  Result<Job> out = Status::NotFound(fmt::format("no job id starts with {}", id_or_prefix));
  LARDER_RETURN_IF_ERROR(impl_->db->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    bolt::Cursor c = b.jobs.NewCursor();
    c.Seek(id_or_prefix);
    if (!c.Valid() || !c.key().starts_with(id_or_prefix)) return c.status();
    std::string first(c.key());
    if (first != id_or_prefix) {
      std::size_t matches = 0;
      for (; c.Valid() && c.key().starts_with(id_or_prefix); c.Next()) ++matches;
      LARDER_RETURN_IF_ERROR(c.status());
      if (matches > 1) {
        out = Status::InvalidArgument(
            fmt::format("job id prefix {} is ambiguous: {} jobs match", id_or_prefix, matches));
        return Status::Ok();
      }
    }
    out = ReadJobIn(b, first);
    return Status::Ok();
  }));
  return out;
}

Result<JobPage> JobStore::List(const JobQuery& q) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  if (q.limit == 0 || q.limit > kMaxListLimit) {
    return Status::InvalidArgument(
        fmt::format("list limit {} is out of range 1..{}", q.limit, kMaxListLimit));
  }
  if (!q.page_token.empty() && !q.page_token.starts_with(kCreatedPrefix)) {
    return Status::InvalidArgument("page token was not returned by List");
  }
  JobPage page;
  LARDER_RETURN_IF_ERROR(impl_->db->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    bolt::Cursor c = b.index.NewCursor();
    if (q.page_token.empty()) {
      c.Seek(kCreatedPrefix);
    } else {
      c.Seek(q.page_token);
      if (c.Valid() && c.key() == q.page_token) c.Next();
    }
    std::string last_key;
    for (; c.Valid() && c.key().starts_with(kCreatedPrefix); c.Next()) {
      Result<Job> job = ReadJobIn(b, std::string(keys::LastPart(c.key())));
      if (!job.ok()) {
        if (job.status().IsNotFound()) continue;
        return job.status();
      }
      if (!Matches(*job, q)) continue;
      if (page.jobs.size() == q.limit) {  // one more match: there is a next page
        page.next_page_token = last_key;
        break;
      }
      last_key = std::string(c.key());
      page.jobs.push_back(std::move(*job));
    }
    return c.status();
  }));
  return page;
}

Result<Job> JobStore::UpdateState(const JobStateUpdate& u) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id", u.id));
  Job next;
  const std::int64_t now = impl_->Now();
  LARDER_RETURN_IF_ERROR(impl_->Write([&](bolt::Tx& tx, JobEvent* event) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(Job cur, ReadJobIn(b, u.id));
    if (u.expected_state.has_value() && cur.state != *u.expected_state) {
      return Status::Conflict(fmt::format("job {}: state is {}, expected {}", u.id,
                                          JobStateName(cur.state),
                                          JobStateName(*u.expected_state)));
    }
    if (u.expected_version.has_value() && cur.version != *u.expected_version) {
      return Status::Conflict(fmt::format("job {}: version is {}, expected {}", u.id, cur.version,
                                          *u.expected_version));
    }
    next = cur;
    next.state = u.new_state;
    next.version = cur.version + 1;
    next.modify_time_ns = now;
    LARDER_RETURN_IF_ERROR(b.jobs.Put(next.id, EncodeJob(next)));
    JobHistoryEntry h;
    h.time_ns = now;
    h.previous_state = JobStateName(cur.state);
    h.new_state = JobStateName(next.state);
    h.comment = u.comment;
    LARDER_RETURN_IF_ERROR(AppendHistoryIn(b, next.id, h));
    *event = JobEvent{0, JobEvent::Kind::kUpdated, next.id, next, std::nullopt};
    return Status::Ok();
  }));
  return next;
}

Status JobStore::Delete(const std::string& id) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id", id));
  return impl_->Write([&](bolt::Tx& tx, JobEvent* event) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(Job cur, ReadJobIn(b, id));
    LARDER_RETURN_IF_ERROR(b.jobs.Delete(id));
    LARDER_RETURN_IF_ERROR(b.index.Delete(CreatedKey(cur)));
    LARDER_RETURN_IF_ERROR(DeleteOwnerEntries(b.history, id).status());
    LARDER_RETURN_IF_ERROR(DeleteOwnerEntries(b.executions, id).status());
    *event = JobEvent{0, JobEvent::Kind::kDeleted, id, std::nullopt, std::nullopt};
    return Status::Ok();
  });
}

Result<std::vector<JobHistoryEntry>> JobStore::History(const std::string& id) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id", id));
  std::vector<JobHistoryEntry> out;
  LARDER_RETURN_IF_ERROR(impl_->db->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    LARDER_RETURN_IF_ERROR(ReadJobIn(b, id).status());
    const std::string prefix = keys::OwnerPrefix(id);
    bolt::Cursor c = b.history.NewCursor();
    for (c.Seek(prefix); c.Valid() && c.key().starts_with(prefix); c.Next()) {
      Result<JobHistoryEntry> e = DecodeJobHistoryEntry(c.value());
      if (!e.ok()) return e.status().WithContext(fmt::format("job-history {}", c.key()));
      out.push_back(std::move(*e));
    }
    return c.status();
  }));
  return out;
}

Status JobStore::UpsertExecution(const std::string& job_id, ExecutionSummary summary,
                                 const std::string& comment) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id", job_id));
  LARDER_RETURN_IF_ERROR(CheckId("execution id", summary.execution_id));
  summary.modify_time_ns = impl_->Now();
  return impl_->Write([&](bolt::Tx& tx, JobEvent* event) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(Job job, ReadJobIn(b, job_id));
    const std::string key = fmt::format("{}/{}", job_id, summary.execution_id);
    std::string previous;
    Result<std::string_view> raw = b.executions.Get(key);
    if (raw.ok()) {
      Result<ExecutionSummary> old = DecodeExecutionSummary(*raw);
      if (!old.ok()) return old.status().WithContext(fmt::format("job-executions {}", key));
      previous = ExecutionStateName(old->state);
    } else if (!raw.status().IsNotFound()) {
      return raw.status();
    }
    LARDER_RETURN_IF_ERROR(b.executions.Put(key, EncodeExecutionSummary(summary)));
    if (previous != ExecutionStateName(summary.state)) {
      JobHistoryEntry h;
      h.time_ns = summary.modify_time_ns;
      h.kind = JobHistoryEntry::Kind::kExecution;
      h.execution_id = summary.execution_id;
      h.previous_state = previous;
      h.new_state = ExecutionStateName(summary.state);
      h.comment = comment;
      LARDER_RETURN_IF_ERROR(AppendHistoryIn(b, job_id, h));
    }
    *event = JobEvent{0, JobEvent::Kind::kExecution, job_id, job, summary};
    return Status::Ok();
  });
}

Result<std::vector<ExecutionSummary>> JobStore::Executions(const std::string& job_id) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id", job_id));
  std::vector<ExecutionSummary> out;
  LARDER_RETURN_IF_ERROR(impl_->db->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(JobBuckets b, BucketsIn(tx));
    LARDER_RETURN_IF_ERROR(ReadJobIn(b, job_id).status());
    const std::string prefix = keys::OwnerPrefix(job_id);
    bolt::Cursor c = b.executions.NewCursor();
    for (c.Seek(prefix); c.Valid() && c.key().starts_with(prefix); c.Next()) {
      Result<ExecutionSummary> s = DecodeExecutionSummary(c.value());
      if (!s.ok()) return s.status().WithContext(fmt::format("job-executions {}", c.key()));
      out.push_back(std::move(*s));
    }
    return c.status();
  }));
  return out;
}

}  // namespace larder::stores
