// ExecutionStore: records, history, indexes and compare-and-set updates. Start-up lives in
// execution_startup.cc.
#include "larder/stores/execution_store.h"

#include <chrono>

#include <fmt/format.h>

#include "stores/execution_codec.h"
#include "stores/execution_store_impl.h"
#include "stores/ids.h"
#include "stores/keys.h"
#include "stores/owner_entries.h"

namespace larder::stores {

std::string_view RecoveryDecisionName(RecoveryDecision decision) {
  switch (decision) {
    case RecoveryDecision::kFail:
      return "failed";
    case RecoveryDecision::kRecover:
      return "recovered";
    case RecoveryDecision::kKeep:
      return "kept";
  }
  return "unknown";
}

// ---- Impl: the in-transaction steps ----

std::int64_t ExecutionStore::Impl::Now() const {
  if (options.now_ns) return options.now_ns();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ExecutionStore::Impl::CheckOpen() const {
  return db ? Status::Ok() : Status::TxClosed("execution store is closed");
}

Result<ExecutionBuckets> ExecutionStore::Impl::BucketsIn(bolt::Tx& tx) {
  auto get = [&tx](std::string_view name) -> Result<bolt::Bucket> {
    Result<bolt::Bucket> b = tx.writable() ? tx.CreateBucketIfNotExists(name) : tx.GetBucket(name);
    if (!b.ok()) return b.status().WithContext(fmt::format("bucket {}", name));
    return b;
  };
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket records, get(keys::kExecutionBucket));
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket history, get(keys::kExecutionHistoryBucket));
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket index, get(keys::kExecutionIndexBucket));
  return ExecutionBuckets{records, history, index};
}

Result<Execution> ExecutionStore::Impl::ReadIn(const ExecutionBuckets& b, const std::string& id) {
  Result<std::string_view> raw = b.records.Get(id);
  if (!raw.ok()) {
    if (raw.status().IsNotFound()) return Status::NotFound(fmt::format("execution {}", id));
    return raw.status();
  }
  Result<Execution> e = DecodeExecution(*raw);
  if (!e.ok()) return e.status().WithContext(fmt::format("execution record {}", id));
  if (e->id != id) {
    return Status::Corruption(fmt::format("execution record {} holds id {}", id, e->id));
  }
  return e;
}

Status ExecutionStore::Impl::PutIn(ExecutionBuckets& b, const Execution& e) {
  LARDER_RETURN_IF_ERROR(b.records.Put(e.id, EncodeExecution(e)));
  LARDER_RETURN_IF_ERROR(b.index.Put(keys::ByJobKey(e.job_id, e.id), ""));
  return b.index.Put(keys::ByStateKey(ExecutionStateName(e.state), e.id), "");
}

Status ExecutionStore::Impl::RemoveIndexIn(ExecutionBuckets& b, const Execution& e) {
  LARDER_RETURN_IF_ERROR(b.index.Delete(keys::ByJobKey(e.job_id, e.id)));
  return b.index.Delete(keys::ByStateKey(ExecutionStateName(e.state), e.id));
}

Status ExecutionStore::Impl::AppendEventIn(ExecutionBuckets& b, const std::string& id,
                                           ExecutionEvent ev) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t last, LastSeq(b.history, id));
  ev.seq = last + 1;
  return b.history.Put(keys::HistoryKey(id, ev.seq), EncodeExecutionEvent(ev));
}

Status ExecutionStore::Impl::ReplaceIn(ExecutionBuckets& b, const Execution& cur,
                                       const Execution& next, const std::string* reason) {
  if (next.state != cur.state) LARDER_RETURN_IF_ERROR(RemoveIndexIn(b, cur));
  LARDER_RETURN_IF_ERROR(PutIn(b, next));
  if (reason == nullptr) return Status::Ok();
  ExecutionEvent ev;
  ev.time_ns = next.modify_time_ns;
  ev.previous_state = cur.state;
  ev.new_state = next.state;
  ev.revision = next.revision;
  ev.reason = *reason;
  return AppendEventIn(b, cur.id, ev);
}

Result<std::uint64_t> ExecutionStore::Impl::DeleteIn(ExecutionBuckets& b, const Execution& e) {
  LARDER_RETURN_IF_ERROR(b.records.Delete(e.id));
  LARDER_RETURN_IF_ERROR(RemoveIndexIn(b, e));
  return DeleteOwnerEntries(b.history, e.id);
}

void ExecutionStore::Impl::CountOnCommit(bolt::Tx& tx, std::optional<ExecutionState> from,
                                         std::optional<ExecutionState> to) {
  if (from == to) return;
  tx.OnCommit([this, from, to] {
    if (from.has_value()) counters[static_cast<std::size_t>(*from)].fetch_sub(1);
    if (to.has_value()) counters[static_cast<std::size_t>(*to)].fetch_add(1);
  });
}

// ---- public operations ----

ExecutionStore::ExecutionStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ExecutionStore::~ExecutionStore() { (void)Close(); }

Result<std::unique_ptr<ExecutionStore>> ExecutionStore::Open(const ExecutionStoreOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  LARDER_ASSIGN_OR_RETURN(impl->db, OpenStoreDb(impl->DbOptions()));
  std::unique_ptr<ExecutionStore> store(new ExecutionStore(std::move(impl)));
  Result<StartupReport> report = store->RunStartup();
  if (!report.ok()) return report.status().WithContext("execution store start-up");
  return store;
}

Status ExecutionStore::Close() {
  if (!impl_->db) return Status::Ok();
  Status s = impl_->db->Close();
  impl_->db.reset();
  return s;
}

const StoreConfig& ExecutionStore::config() const { return impl_->options.config; }
const StartupReport& ExecutionStore::startup_report() const { return impl_->report; }

StateCounters ExecutionStore::Counters() const {
  StateCounters out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = impl_->counters[i].load();
  return out;
}

Result<Execution> ExecutionStore::Create(Execution e) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  if (e.id.empty()) e.id = NewId("e-");
  LARDER_RETURN_IF_ERROR(CheckId("execution id", e.id));
  LARDER_RETURN_IF_ERROR(CheckId("job id", e.job_id));
  LARDER_RETURN_IF_ERROR(CheckId("job type", e.job_type));
  e.revision = 1;
  e.create_time_ns = e.modify_time_ns = impl_->Now();
  LARDER_RETURN_IF_ERROR(impl_->db->Update([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    Result<std::string_view> existing = b.records.Get(e.id);
    if (existing.ok()) return Status::AlreadyExists(fmt::format("execution {}", e.id));
    if (!existing.status().IsNotFound()) return existing.status();
    LARDER_RETURN_IF_ERROR(Impl::PutIn(b, e));
    ExecutionEvent ev;
    ev.time_ns = e.create_time_ns;
    ev.new_state = e.state;
    ev.revision = e.revision;
    ev.reason = "created";
    LARDER_RETURN_IF_ERROR(Impl::AppendEventIn(b, e.id, ev));
    impl_->CountOnCommit(tx, std::nullopt, e.state);
    return Status::Ok();
  }));
  return e;
}

Result<Execution> ExecutionStore::Get(const std::string& id) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("execution id", id));
  Result<Execution> out = Status::NotFound(fmt::format("execution {}", id));
  LARDER_RETURN_IF_ERROR(impl_->db->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    out = Impl::ReadIn(b, id);
    return Status::Ok();
  }));
  return out;
}

namespace {

// The executions named by the index entries under `prefix`, in id order. An entry whose record
// is gone is skipped (start-up removes such entries).
Result<std::vector<Execution>> ListIndexed(bolt::DB& db, const std::string& prefix) {
  std::vector<Execution> out;
  LARDER_RETURN_IF_ERROR(db.View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, ExecutionStore::Impl::BucketsIn(tx));
    bolt::Cursor c = b.index.NewCursor();
    for (c.Seek(prefix); c.Valid() && c.key().starts_with(prefix); c.Next()) {
      std::string id(c.key().substr(prefix.size()));
      Result<Execution> e = ExecutionStore::Impl::ReadIn(b, id);
      if (e.ok()) {
        out.push_back(std::move(*e));
      } else if (!e.status().IsNotFound()) {
        return e.status();
      }
    }
    return c.status();
  }));
  return out;
}

}  // namespace

Result<std::vector<Execution>> ExecutionStore::ListByJob(const std::string& job_id) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("job id", job_id));
  return ListIndexed(*impl_->db, keys::ByJobPrefix(job_id));
}

Result<std::vector<Execution>> ExecutionStore::ListByState(ExecutionState state) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  return ListIndexed(*impl_->db, keys::ByStatePrefix(ExecutionStateName(state)));
}

Result<Execution> ExecutionStore::Update(const ExecutionUpdate& u) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("execution id", u.id));
  Execution next;
  const std::int64_t now = impl_->Now();
  LARDER_RETURN_IF_ERROR(impl_->db->Update([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(Execution cur, Impl::ReadIn(b, u.id));
    if (u.expected_state.has_value() && cur.state != *u.expected_state) {
      return Status::Conflict(fmt::format("execution {}: state is {}, expected {}", u.id,
                                          ExecutionStateName(cur.state),
                                          ExecutionStateName(*u.expected_state)));
    }
    if (u.expected_revision.has_value() && cur.revision != *u.expected_revision) {
      return Status::Conflict(fmt::format("execution {}: revision is {}, expected {}", u.id,
                                          cur.revision, *u.expected_revision));
    }
    next = cur;
    if (u.new_state.has_value()) next.state = *u.new_state;
    if (u.new_desired_state.has_value()) next.desired_state = *u.new_desired_state;
    if (u.result.has_value()) next.result = u.result;
    if (u.error.has_value()) next.error = *u.error;
    next.revision = cur.revision + 1;
    next.modify_time_ns = now;
    LARDER_RETURN_IF_ERROR(
        Impl::ReplaceIn(b, cur, next, next.state != cur.state ? &u.reason : nullptr));
    impl_->CountOnCommit(tx, cur.state, next.state);
    return Status::Ok();
  }));
  return next;
}

Status ExecutionStore::AppendHistory(const std::string& id, const std::string& reason) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("execution id", id));
  const std::int64_t now = impl_->Now();
  return impl_->db->Update([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(Execution cur, Impl::ReadIn(b, id));
    ExecutionEvent ev;
    ev.time_ns = now;
    ev.previous_state = cur.state;
    ev.new_state = cur.state;
    ev.revision = cur.revision;
    ev.reason = reason;
    return Impl::AppendEventIn(b, id, ev);
  });
}

Result<std::vector<ExecutionEvent>> ExecutionStore::History(const std::string& id) const {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("execution id", id));
  std::vector<ExecutionEvent> out;
  LARDER_RETURN_IF_ERROR(impl_->db->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    LARDER_RETURN_IF_ERROR(Impl::ReadIn(b, id).status());
    const std::string prefix = keys::OwnerPrefix(id);
    bolt::Cursor c = b.history.NewCursor();
    for (c.Seek(prefix); c.Valid() && c.key().starts_with(prefix); c.Next()) {
      Result<ExecutionEvent> ev = DecodeExecutionEvent(c.value());
      if (!ev.ok()) return ev.status().WithContext(fmt::format("execution-history {}", c.key()));
      out.push_back(std::move(*ev));
    }
    return c.status();
  }));
  return out;
}

Status ExecutionStore::Delete(const std::string& id) {
  LARDER_RETURN_IF_ERROR(impl_->CheckOpen());
  LARDER_RETURN_IF_ERROR(CheckId("execution id", id));
  return impl_->db->Update([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(ExecutionBuckets b, Impl::BucketsIn(tx));
    LARDER_ASSIGN_OR_RETURN(Execution cur, Impl::ReadIn(b, id));
    LARDER_RETURN_IF_ERROR(Impl::DeleteIn(b, cur).status());
    impl_->CountOnCommit(tx, cur.state, std::nullopt);
    return Status::Ok();
  });
}

}  // namespace larder::stores
