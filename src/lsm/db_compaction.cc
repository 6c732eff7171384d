// DBImpl::RunCompaction: merges a compaction's input tables into new tables of its output
// level through the CompactionIterator (compaction_iterator.h says what is dropped: versions no
// snapshot can see, versions covered by range tombstones, and at the bottommost level
// tombstones and expired values in the oldest snapshot stripe), then installs the result.
// Value-pointer entries dropped count as discarded bytes of their value log (the MANIFEST's
// discard statistics, for value-log garbage collection).
//
// Output tables are cut as table_outputs.h says (at target_file_size, where the
// table_cut_prefix_length prefix changes when set, and where a whole table of the level below
// the output level lies between two keys); they never overlap.
#include <algorithm>
#include <map>

#include "lsm/compaction_iterator.h"
#include "lsm/compaction_picker.h"
#include "lsm/db_impl.h"
#include "lsm/expiring_value.h"
#include "lsm/filename.h"
#include "lsm/merging_iterator.h"
#include "lsm/table.h"
#include "lsm/table_cache.h"
#include "lsm/table_outputs.h"
#include "lsm/version_set.h"
#include "lsm/vlog_pointer.h"

namespace larder::lsm {

namespace {

// Counts the value bytes of dropped pointer entries as garbage in their value logs.
class DiscardCounter final : public DroppedPointers {
 public:
  void OnDroppedPointer(std::string_view pointer_bytes) override {
    VlogPointer p;
    if (p.Decode(pointer_bytes)) bytes[p.file_number] += p.length;
  }
  std::map<std::uint64_t, std::uint64_t> bytes;
};

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
    LARDER_RETURN_IF_ERROR(ApplyEdit(&edit));
    RebuildReadStateLocked();
    ++stats_.compactions;
    return Status::Ok();
  }

  CompactionIteratorOptions cio;
  cio.snapshots = SnapshotList();
  cio.bottommost =
      KeyRangeFreeBelow(*c->version, c->output_level, c->smallest_user_key, c->largest_user_key);
  cio.now_ms = NowMillis();
  DiscardCounter discards;
  cio.dropped_pointers = &discards;
  std::vector<std::uint64_t> reserved;
  TableOutputs outputs(fs_, dir_, TableOutputOptions(options_, c->output_level),
                       {.target_size = options_.target_file_size,
                        .cut_prefix_length = options_.table_cut_prefix_length,
                        .tables_below = c->output_level + 1 < c->version->num_levels()
                                            ? KeyRangesOf(c->version->files(c->output_level + 1))
                                            : std::vector<UserKeyRange>{},
                        .gap_cut_size = CompactionGapCutSize(options_)},
                       OutputNumbers(&reserved));
  Status s;
  mu_.Unlock();
  {
    // The inputs' point entries and range tombstones, merged.
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
        if (auto r = (*t)->NewRangeTombstoneIterator(); r != nullptr) {
          if (s.ok()) s = CollectRangeTombstones(r.get(), &tombstones);
          children.push_back((*t)->NewRangeTombstoneIterator());
        }
        tables.push_back(std::move(*t));
      }
    }
    const RangeTombstones covering(tombstones);
    if (!covering.empty()) cio.tombstones = &covering;
    std::unique_ptr<InternalIterator> input = NewMergingIterator(std::move(children));
    CompactionIterator it(input.get(), std::move(cio));
    // Range tombstones kept, in begin order: each output gets its clipped share when it
    // closes (every tombstone beginning before a cut has been seen by then).
    std::vector<RangeTombstone> kept;
    outputs.SetTombstones(&kept);
    std::string current_key;
    bool has_current = false;
    for (it.SeekToFirst(); s.ok() && it.Valid(); it.Next()) {
      ParsedInternalKey k;
      if (!ParseInternalKey(it.key(), &k)) {
        s = Status::Corruption("a malformed key in a compaction input of " + dir_);
        break;
      }
      if (k.type == ValueType::kRangeDeletion) {
        kept.push_back({std::string(k.user_key), std::string(it.value()), k.sequence});
        continue;
      }
      const bool new_key = !has_current || k.user_key != current_key;
      if (new_key) {
        current_key.assign(k.user_key);
        has_current = true;
      }
      s = outputs.Add(it.key(), it.value(), new_key);
    }
    if (s.ok()) s = it.status();
    if (s.ok()) s = outputs.Finish();
    if (s.ok()) s = outputs.SyncNames();
  }
  mu_.Lock();
  if (!s.ok()) {
    ReleaseOutputNumbers(reserved);
    outputs.RemoveAll();
    return s;
  }
  for (const FileMetaData& f : outputs.files()) edit.AddFile(c->output_level, f);
  for (const auto& [vlog, bytes] : discards.bytes) edit.AddVlogDiscard(vlog, bytes);
  s = ApplyEdit(&edit);
  // The outputs are listed by the Version now, or (on an error) left for deletion.
  ReleaseOutputNumbers(reserved);
  LARDER_RETURN_IF_ERROR(s);
  RebuildReadStateLocked();
  ++stats_.compactions;
  stats_.disk_bytes_written += outputs.bytes();
  DeleteObsoleteFiles();
  return Status::Ok();
}

}  // namespace larder::lsm
