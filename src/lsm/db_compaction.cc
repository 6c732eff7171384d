// DBImpl::RunCompaction: merges a compaction's input tables into new tables of its output
// level, dropping what no read can see any more, then installs the result.
//
// What is dropped (entries arrive newest first within a user key):
//  - a version hidden by a newer version of its key that every read sees (the newer one's
//    sequence is at or below the oldest snapshot);
//  - a deletion or an expired value at or below the oldest snapshot, when no deeper level
//    holds the key (nothing older can show through);
//  - a version covered by a range tombstone for every read that could see it
//    (RangeTombstones::ShouldDrop);
//  - a range tombstone at or below the oldest snapshot when no deeper level holds its range.
// Value-pointer entries dropped count as discarded bytes of their value log (the MANIFEST's
// discard statistics, for value-log garbage collection).
//
// Output tables are cut at target_file_size, between user keys; range tombstones are clipped to
// each output's share of the key space, so the outputs never overlap.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "lsm/compaction_picker.h"
#include "lsm/db_impl.h"
#include "lsm/expiring_value.h"
#include "lsm/filename.h"
#include "lsm/merging_iterator.h"
#include "lsm/table.h"
#include "lsm/table_cache.h"
#include "lsm/table_output.h"
#include "lsm/version_set.h"
#include "lsm/vlog_pointer.h"

namespace larder::lsm {

namespace {

// Counts a dropped pointer entry's value bytes as garbage in its value log.
void NoteDiscard(ValueType type, std::string_view value,
                 std::map<std::uint64_t, std::uint64_t>* discards) {
  if (!IsPointerType(type)) return;
  std::string_view ptr = value;
  if (type == ValueType::kExpiringPointer) {
    if (ptr.size() < kExpiryPrefixSize) return;
    ptr.remove_prefix(kExpiryPrefixSize);
  }
  VlogPointer p;
  if (p.Decode(ptr)) (*discards)[p.file_number] += p.length;
}

// The outputs of one compaction: cut between user keys once target_file_size is reached.
class CompactionOutputs {
 public:
  CompactionOutputs(FileSystem* fs, const std::string& dir, const TableOptions& options,
                    std::uint64_t target, std::function<std::uint64_t()> new_number)
      : fs_(fs), dir_(dir), options_(options), target_(target), new_number_(new_number) {}

  // Adds a point entry; `new_user_key` when it starts a user key (a possible cut).
  Status Add(std::string_view ikey, std::string_view value, bool new_user_key) {
    if (out_ != nullptr && new_user_key && out_->FileSize() >= target_) {
      LARDER_RETURN_IF_ERROR(Cut(std::string(ExtractUserKey(ikey))));
    }
    if (out_ == nullptr) LARDER_RETURN_IF_ERROR(Start());
    out_->Add(ikey, value);
    return Status::Ok();
  }

  // The range tombstones to write, each clipped to every output's share of the key space.
  // REQUIRES: set before the first Add; `t` outlives the outputs.
  void SetTombstones(const std::vector<RangeTombstone>* t) { tombstones_ = t; }
  // Finishes the last output.
  Status Finish() {
    if (out_ == nullptr && tombstones_ != nullptr && !tombstones_->empty()) {
      LARDER_RETURN_IF_ERROR(Start());
    }
    if (out_ == nullptr) return Status::Ok();
    return Close(std::nullopt);
  }

  const std::vector<FileMetaData>& files() const { return files_; }
  const std::vector<std::uint64_t>& numbers() const { return numbers_; }
  std::uint64_t bytes() const {
    std::uint64_t b = 0;
    for (const FileMetaData& f : files_) b += f.file_size;
    return b;
  }

 private:
  Status Start() {
    const std::uint64_t number = new_number_();
    numbers_.push_back(number);
    out_ = std::make_unique<TableOutput>(fs_, dir_, options_);
    return out_->Open(number);
  }
  Status Cut(std::string next_start) {
    LARDER_RETURN_IF_ERROR(Close(next_start));
    start_ = std::move(next_start);
    return Status::Ok();
  }
  // Adds the tombstones' parts within [start_, end) and finishes the output.
  Status Close(const std::optional<std::string>& end) {
    if (tombstones_ != nullptr) {
      std::string key;
      for (const RangeTombstone& t : *tombstones_) {
        std::string_view b = t.begin, e = t.end;
        if (start_.has_value() && b < *start_) b = *start_;
        if (end.has_value() && e > *end) e = *end;
        if (b >= e) continue;
        key.clear();
        AppendInternalKey(&key, b, t.seq, ValueType::kRangeDeletion);
        out_->Add(key, e);
      }
    }
    if (out_->empty()) {
      out_->Abandon();
      out_.reset();
      return Status::Ok();
    }
    FileMetaData meta;
    LARDER_RETURN_IF_ERROR(out_->Finish(&meta));
    files_.push_back(std::move(meta));
    out_.reset();
    return Status::Ok();
  }

  FileSystem* fs_;
  const std::string& dir_;
  TableOptions options_;
  std::uint64_t target_;
  std::function<std::uint64_t()> new_number_;
  std::unique_ptr<TableOutput> out_;
  std::optional<std::string> start_;  // the current output's share starts here (none: -inf)
  const std::vector<RangeTombstone>* tombstones_ = nullptr;
  std::vector<FileMetaData> files_;
  std::vector<std::uint64_t> numbers_;
};

bool Expired(ValueType type, std::string_view value, std::uint64_t now) {
  std::uint64_t expires;
  std::string_view payload;
  return IsExpiringType(type) && SplitExpiringValue(value, &expires, &payload) &&
         IsExpired(expires, now);
}

}  // namespace

Status DBImpl::RunCompaction(Compaction* c) {
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  // A single table with nothing to merge below moves down as it is.
  if (c->inputs[0].size() == 1 && c->inputs[1].empty() && c->level != c->output_level &&
      c->reason != CompactionReason::kDeletionDensity &&
      c->grandparent_overlap_bytes <= 10 * options_.target_file_size) {
    FileMetaData moved = *c->inputs[0][0];
    moved.being_compacted = false;  // a new FileMetaData in the next Version
    edit.AddFile(c->output_level, std::move(moved));
    LARDER_RETURN_IF_ERROR(versions_->LogAndApply(&edit));
    RebuildReadStateLocked();
    ++stats_.compactions;
    return Status::Ok();
  }

  const std::vector<SequenceNumber> snapshots = SnapshotList();
  const SequenceNumber oldest = snapshots.empty() ? LastSequence() : snapshots.front();
  const bool bottommost =
      KeyRangeFreeBelow(*c->version, c->output_level, c->smallest_user_key, c->largest_user_key);
  const std::uint64_t now = NowMillis();
  std::vector<std::uint64_t> reserved;
  auto new_number = [&] {
    MutexLock l(&mu_);
    const std::uint64_t n = versions_->NewFileNumber();
    pending_outputs_.insert(n);
    reserved.push_back(n);
    return n;
  };

  std::map<std::uint64_t, std::uint64_t> discards;
  CompactionOutputs outputs(fs_, dir_, TableOutputOptions(options_, c->output_level),
                            options_.target_file_size, new_number);
  Status s;
  mu_.Unlock();
  {
    std::vector<std::unique_ptr<InternalIterator>> children;
    std::vector<std::shared_ptr<const Table>> tables;
    std::vector<RangeTombstone> tombstones;
    for (const auto& inputs : c->inputs) {
      for (const FileRef& f : inputs) {
        auto t = table_cache_->Get(f->number, f->file_size);
        if (!t.ok()) {
          s = t.status();
          break;
        }
        children.push_back((*t)->NewIterator(true, false));
        if (auto r = (*t)->NewRangeTombstoneIterator(); r != nullptr && s.ok()) {
          s = CollectRangeTombstones(r.get(), &tombstones);
        }
        tables.push_back(std::move(*t));
      }
    }
    // Range tombstones every read already sees, with nothing below them, are done.
    std::vector<RangeTombstone> kept;
    for (const RangeTombstone& t : tombstones) {
      if (!(bottommost && t.seq <= oldest)) kept.push_back(t);
    }
    outputs.SetTombstones(&kept);
    const RangeTombstones covering(tombstones);
    RangeTombstones::Cursor cursor(&covering);
    std::unique_ptr<InternalIterator> it = NewMergingIterator(std::move(children));
    std::string current_key;
    bool has_current = false;
    SequenceNumber last_seq_for_key = kMaxSequenceNumber;
    for (it->SeekToFirst(); s.ok() && it->Valid(); it->Next()) {
      ParsedInternalKey k;
      if (!ParseInternalKey(it->key(), &k)) {
        s = Status::Corruption("a malformed key in a compaction input of " + dir_);
        break;
      }
      const bool new_key = !has_current || k.user_key != current_key;
      if (new_key) {
        current_key.assign(k.user_key);
        has_current = true;
        last_seq_for_key = kMaxSequenceNumber;
      }
      bool drop = false;
      if (last_seq_for_key != kMaxSequenceNumber && last_seq_for_key <= oldest) {
        drop = true;  // a newer version every read sees hides it
      } else if (k.sequence <= oldest && bottommost &&
                 (k.type == ValueType::kDeletion || Expired(k.type, it->value(), now))) {
        drop = true;  // nothing older below can show through
      } else if (!covering.empty() && cursor.ShouldDrop(k.user_key, k.sequence, snapshots)) {
        drop = true;
      }
      last_seq_for_key = k.sequence;
      if (drop) {
        NoteDiscard(k.type, it->value(), &discards);
        continue;
      }
      s = outputs.Add(it->key(), it->value(), new_key);
    }
    if (s.ok()) s = it->status();
    if (s.ok()) s = outputs.Finish();
    // The tables' names must be durable before the MANIFEST lists them.
    if (s.ok() && !outputs.files().empty()) s = fs_->SyncDir(dir_);
  }
  mu_.Lock();
  for (std::uint64_t n : reserved) pending_outputs_.erase(n);
  if (!s.ok()) {
    for (std::uint64_t n : outputs.numbers()) (void)fs_->Remove(TableFileName(dir_, n));
    return s;
  }
  for (const FileMetaData& f : outputs.files()) edit.AddFile(c->output_level, f);
  for (const auto& [vlog, bytes] : discards) edit.AddVlogDiscard(vlog, bytes);
  LARDER_RETURN_IF_ERROR(versions_->LogAndApply(&edit));
  RebuildReadStateLocked();
  ++stats_.compactions;
  stats_.disk_bytes_written += outputs.bytes();
  DeleteObsoleteFiles();
  return Status::Ok();
}

}  // namespace larder::lsm
