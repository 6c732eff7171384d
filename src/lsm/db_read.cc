// DBImpl's reads: Get, iterators and snapshots. Readers take the read state (db_impl.h) and read
// without locks; a registered snapshot keeps compaction from dropping what it sees.
#include <algorithm>

#include "lsm/db_impl.h"
#include "lsm/db_iter.h"
#include "lsm/expiring_value.h"
#include "lsm/level_iterator.h"
#include "lsm/memtable.h"
#include "lsm/merging_iterator.h"
#include "lsm/range_tombstones.h"
#include "lsm/table.h"
#include "lsm/table_cache.h"
#include "lsm/value_log_reader.h"
#include "lsm/version.h"

namespace larder::lsm {

namespace {

Status CollectMemTombstones(const MemTable& mem, std::vector<RangeTombstone>* out) {
  std::unique_ptr<InternalIterator> it = mem.NewRangeTombstoneIterator();
  return it != nullptr ? CollectRangeTombstones(it.get(), out) : Status::Ok();
}

}  // namespace

// --- Read state ----------------------------------------------------------------------------

Status ReadState::Frozen(TableCache* tables, const std::vector<RangeTombstone>** list,
                         const RangeTombstones** set) const {
  std::call_once(frozen_once_, [&] {
    auto collect = [&](std::unique_ptr<InternalIterator> it) {
      if (it != nullptr && frozen_status_.ok()) {
        frozen_status_ = CollectRangeTombstones(it.get(), &frozen_list_);
      }
    };
    for (const auto& m : imm) {
      collect(m->NewRangeTombstoneIterator());
    }
    for (int level = 0; level < version->num_levels(); ++level) {
      for (const FileRef& f : version->files(level)) {
        if (f->num_range_deletions == 0) continue;
        auto table = tables->Get(f->number, f->file_size);
        if (!table.ok()) {
          frozen_status_ = table.status();
          return;
        }
        collect((*table)->NewRangeTombstoneIterator());
      }
    }
    frozen_set_ = RangeTombstones(frozen_list_);
  });
  *list = &frozen_list_;
  *set = &frozen_set_;
  return frozen_status_;
}

// --- Get -----------------------------------------------------------------------------------

Status DBImpl::Get(std::string_view key, std::string* value) {
  return Get(ReadOptions{}, key, value);
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  std::shared_ptr<const ReadState> state = GetReadState();
  if (state == nullptr) return Status::InvalidArgument("the LSM database " + dir_ + " is closed");
  const SequenceNumber seq =
      options.snapshot != nullptr ? options.snapshot->sequence() : LastSequence();
  return GetAt(*state, seq, options, key, value);
}

Status DBImpl::FindNewest(const ReadState& state, const LookupKey& lk, bool verify, Found* found) {
  found->ok = false;
  std::string_view v;
  if (state.mem->Get(lk, &found->type, &v, &found->seq)) {
    found->ok = true;
    found->value.assign(v);
    return Status::Ok();
  }
  for (const auto& m : state.imm) {
    if (m->Get(lk, &found->type, &v, &found->seq)) {
      found->ok = true;
      found->value.assign(v);
      return Status::Ok();
    }
  }
  Status s;
  thread_local std::string ikey;  // reused: no allocation per read
  state.version->ForEachFileForGet(lk, [&](int, const FileMetaData& f) {
    auto table = table_cache_->Get(f.number, f.file_size);
    if (!table.ok()) {
      s = table.status();
      return false;
    }
    if (!(*table)->KeyMayMatch(lk.user_key())) return true;
    bool hit = false;
    s = (*table)->Get(lk, verify, &hit, &ikey, &found->value);
    if (!s.ok()) return false;
    if (!hit) return true;
    ParsedInternalKey parsed;
    if (!ParseInternalKey(ikey, &parsed)) {
      s = Status::Corruption("a malformed key in table " + (*table)->path());
      return false;
    }
    found->ok = true;
    found->type = parsed.type;
    found->seq = parsed.sequence;
    return false;
  });
  return s;
}

Status DBImpl::GetAt(const ReadState& state, SequenceNumber seq, const ReadOptions& options,
                     std::string_view key, std::string* value) {
  const LookupKey lk(key, seq);
  thread_local Found f;  // reused (its value's capacity): no allocation per read
  LARDER_RETURN_IF_ERROR(
      FindNewest(state, lk, options.verify_checksums || options_.verify_checksums, &f));
  if (!f.ok) return Status::NotFound();
  // A newer range tombstone visible at `seq` hides it.
  LARDER_ASSIGN_OR_RETURN(SequenceNumber covering, CoveringTombstone(state, key, seq));
  if (covering > f.seq) return Status::NotFound();
  return ResolveValue(f.type, f.value, value);
}

Result<SequenceNumber> DBImpl::CoveringTombstone(const ReadState& state, std::string_view key,
                                                 SequenceNumber seq) {
  SequenceNumber covering = 0;
  if (state.frozen_tombstones) {
    const std::vector<RangeTombstone>* list;
    const RangeTombstones* set;
    LARDER_RETURN_IF_ERROR(state.Frozen(table_cache_.get(), &list, &set));
    covering = set->MaxCoveringSeq(key, seq);
  }
  if (state.mem->num_range_deletions() > 0) {
    std::vector<RangeTombstone> mem_list;
    LARDER_RETURN_IF_ERROR(CollectMemTombstones(*state.mem, &mem_list));
    covering = std::max(covering, RangeTombstones(mem_list).MaxCoveringSeq(key, seq));
  }
  return covering;
}

Status DBImpl::ResolveValue(ValueType type, std::string_view stored, std::string* value) {
  switch (type) {
    case ValueType::kValue:
      value->assign(stored);
      return Status::Ok();
    case ValueType::kValuePointer:
      return vlog_reader_->Resolve(stored, value);
    case ValueType::kExpiringValue:
    case ValueType::kExpiringPointer: {
      std::uint64_t expires;
      std::string_view payload;
      if (!SplitExpiringValue(stored, &expires, &payload)) {
        return Status::Corruption("a short expiring value in " + dir_);
      }
      if (IsExpired(expires, NowMillis())) return Status::NotFound();
      if (type == ValueType::kExpiringValue) {
        value->assign(payload);
        return Status::Ok();
      }
      return vlog_reader_->Resolve(payload, value);
    }
    case ValueType::kDeletion:
    case ValueType::kRangeDeletion:
      return Status::NotFound();
  }
  return Status::Corruption("an entry of unknown type in " + dir_);
}

// --- Snapshots -----------------------------------------------------------------------------

SequenceNumber DBImpl::AcquireSnapshot() {
  MutexLock l(&mu_);
  const SequenceNumber seq = LastSequence();
  snapshots_.insert(seq);
  return seq;
}

void DBImpl::ReleaseSnapshot(SequenceNumber seq) {
  MutexLock l(&mu_);
  auto it = snapshots_.find(seq);
  if (it != snapshots_.end()) snapshots_.erase(it);
}

namespace {

// Keeps a registered snapshot (and the read state) alive for as long as an iterator lives.
class SnapshotPins final : public IteratorPins {
 public:
  SnapshotPins(DBImpl* db, std::shared_ptr<const ReadState> state, bool owns_snapshot,
               SequenceNumber seq, std::shared_ptr<void> extra)
      : db_(db),
        state_(std::move(state)),
        owns_snapshot_(owns_snapshot),
        seq_(seq),
        extra_(std::move(extra)) {}
  ~SnapshotPins() override {
    if (owns_snapshot_) db_->ReleaseSnapshot(seq_);
  }

 private:
  DBImpl* db_;
  std::shared_ptr<const ReadState> state_;
  bool owns_snapshot_;
  SequenceNumber seq_;
  std::shared_ptr<void> extra_;
};

// A level's tables as the level iterator sees them, from a pinned Version.
class VersionLevelFiles final : public LevelFiles {
 public:
  VersionLevelFiles(std::shared_ptr<const Version> v, int level, TableCache* tables, bool verify,
                    bool fill_cache)
      : v_(std::move(v)),
        level_(level),
        tables_(tables),
        verify_(verify),
        fill_cache_(fill_cache) {}
  std::size_t size() const override { return v_->files(level_).size(); }
  std::string_view smallest(std::size_t i) const override { return v_->files(level_)[i]->smallest; }
  std::string_view largest(std::size_t i) const override { return v_->files(level_)[i]->largest; }
  std::unique_ptr<InternalIterator> NewIterator(std::size_t i) override {
    const FileRef& f = v_->files(level_)[i];
    return tables_->NewIterator(f->number, f->file_size, verify_, fill_cache_);
  }

 private:
  std::shared_ptr<const Version> v_;
  int level_;
  TableCache* tables_;
  bool verify_, fill_cache_;
};

class SnapshotImpl final : public Snapshot {
 public:
  SnapshotImpl(DBImpl* db, SequenceNumber seq) : db_(db), seq_(seq) {}
  ~SnapshotImpl() override { db_->ReleaseSnapshot(seq_); }
  std::uint64_t sequence() const override { return seq_; }
  Status Get(std::string_view key, std::string* value) override {
    ReadOptions ro;
    ro.snapshot = this;
    return db_->Get(ro, key, value);
  }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override {
    ReadOptions ro;
    ro.snapshot = this;
    IteratorOptions io;
    static_cast<kv::IteratorOptions&>(io) = options;
    return db_->NewIterator(ro, io);
  }

 private:
  DBImpl* db_;
  SequenceNumber seq_;
};

}  // namespace

Result<std::unique_ptr<kv::Snapshot>> DBImpl::GetSnapshot() {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Snapshot> s, NewSnapshot());
  return std::unique_ptr<kv::Snapshot>(std::move(s));
}

Result<std::unique_ptr<Snapshot>> DBImpl::NewSnapshot() {
  {
    MutexLock l(&mu_);
    if (closed_) return Status::InvalidArgument("the LSM database " + dir_ + " is closed");
  }
  return std::unique_ptr<Snapshot>(new SnapshotImpl(this, AcquireSnapshot()));
}

// --- Iterators -----------------------------------------------------------------------------

Result<std::unique_ptr<kv::Iterator>> DBImpl::NewIterator(const kv::IteratorOptions& options) {
  IteratorOptions io;
  static_cast<kv::IteratorOptions&>(io) = options;
  return NewIterator(ReadOptions{}, io);
}

Result<std::unique_ptr<kv::Iterator>> DBImpl::NewIterator(const ReadOptions& read,
                                                          const IteratorOptions& options) {
  SequenceNumber seq;
  bool owns = false;
  std::shared_ptr<const ReadState> state;
  {
    MutexLock l(&mu_);
    if (closed_) return Status::InvalidArgument("the LSM database " + dir_ + " is closed");
    state = read_state_;
    if (read.snapshot != nullptr) {
      seq = read.snapshot->sequence();
    } else {
      // The iterator's implicit snapshot, registered until it is destroyed.
      seq = LastSequence();
      snapshots_.insert(seq);
      owns = true;
    }
  }
  return NewIteratorAt(std::move(state), seq, read, options, owns, nullptr);
}

Result<std::unique_ptr<kv::Iterator>> DBImpl::NewIteratorAt(
    std::shared_ptr<const ReadState> state, SequenceNumber seq, const ReadOptions& read,
    const IteratorOptions& options, bool owns_snapshot, std::shared_ptr<void> extra) {
  // Until the pins own the snapshot, release it on an error.
  struct Release {
    DBImpl* db;
    SequenceNumber seq;
    bool armed;
    ~Release() {
      if (armed) db->ReleaseSnapshot(seq);
    }
  } release{this, seq, owns_snapshot};

  const bool verify = read.verify_checksums || options_.verify_checksums;
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(state->mem->NewIterator());
  for (const auto& m : state->imm) children.push_back(m->NewIterator());
  // Level 0's tables overlap: each is merged, but for those wholly outside the iterator's
  // bounds, which hold no entry it could return (their range tombstones, which may reach into
  // the bounds, are read apart below); deeper levels are read as one concatenation each, opening
  // a table only when the iterator reaches it.
  for (const FileRef& f : state->version->files(0)) {
    if ((options.lower_bound && f->largest_user_key() < *options.lower_bound) ||
        (options.upper_bound && f->smallest_user_key() >= *options.upper_bound)) {
      continue;
    }
    children.push_back(table_cache_->NewIterator(f->number, f->file_size, verify, read.fill_cache));
  }
  for (int level = 1; level < state->version->num_levels(); ++level) {
    if (state->version->files(level).empty()) continue;
    children.push_back(NewLevelIterator(std::make_unique<VersionLevelFiles>(
        state->version, level, table_cache_.get(), verify, read.fill_cache)));
  }
  DBIteratorArgs args;
  if (state->frozen_tombstones || state->mem->num_range_deletions() > 0) {
    const std::vector<RangeTombstone>* list;
    const RangeTombstones* set;
    LARDER_RETURN_IF_ERROR(state->Frozen(table_cache_.get(), &list, &set));
    std::vector<RangeTombstone> all(*list);
    if (state->mem->num_range_deletions() > 0) {
      LARDER_RETURN_IF_ERROR(CollectMemTombstones(*state->mem, &all));
    }
    args.tombstones = std::make_shared<const RangeTombstones>(all);
  }
  args.input = NewMergingIterator(std::move(children));
  args.sequence = seq;
  args.resolver = vlog_reader_.get();
  args.now_ms = NowMillis();
  args.options = options;
  release.armed = false;
  args.pins =
      std::make_unique<SnapshotPins>(this, std::move(state), owns_snapshot, seq, std::move(extra));
  return NewDBIterator(std::move(args));
}

}  // namespace larder::lsm
