// DBImpl's compaction of series.meta (docs/formats/tsdb.md, "Compaction of series.meta").
//
// The log gains a record for every interval change, deletion and late sample, and Open replays
// all of them. The replayed state is small: per series its name and current interval, its merged
// deleted ranges and the late samples no later record replaced or deleted. Writing exactly that
// (CreateSeries with the current interval, then the ranges, then the late samples: replaying
// the ranges first deletes none of the late samples, which survived every range recorded after
// them) gives the same state. A dropped series keeps its CreateSeries, followed at once by its
// DropSeries (ids are dense: later ids must stay the same, and its name is free for a later one).
// The rewrite goes to series.meta.compact, is synced (file and directory), renamed over series.meta
// and the directory synced again: a crash before the rename leaves the old log whole (the leftover
// is removed at the next Open), after it the new one; both replay to the same state.
#include <fmt/format.h>

#include <bit>

#include "base/coding.h"
#include "base/logging.h"
#include "tsdb/db_impl.h"

namespace larder::tsdb {

std::uint64_t DBImpl::MetaRecordsNeeded() const {
  std::uint64_t n = 0;
  for (const auto& s : series_) {
    n += 1 + (s->dropped ? 1 : 0) + s->deleted.ranges().size() + s->late.size();
  }
  return n;
}

Status DBImpl::CompactMeta(const std::string& path) {
  const std::string tmp = path + ".compact";
  LARDER_ASSIGN_OR_RETURN(bool leftover, fs_->Exists(tmp));
  if (leftover) LARDER_RETURN_IF_ERROR(fs_->Remove(tmp));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<RecordWriter> w, RecordWriter::Open(fs_, tmp, false));
  std::string rec;
  for (const auto& s : series_) {
    rec.clear();
    PutVarint64(&rec, s->id);
    PutVarint64(&rec, static_cast<std::uint64_t>(s->interval));
    rec.append(s->name);
    LARDER_RETURN_IF_ERROR(w->Add(RecordType::kCreateSeries, rec));
    if (s->dropped) {
      // Kept so that later ids stay the same; a dropped series has nothing else.
      rec.clear();
      PutVarint64(&rec, s->id);
      LARDER_RETURN_IF_ERROR(w->Add(RecordType::kDropSeries, rec));
      continue;
    }
    for (const auto& [from, to] : s->deleted.ranges()) {
      rec.clear();
      PutVarint64(&rec, s->id);
      PutVarint64(&rec, static_cast<std::uint64_t>(from));
      PutVarint64(&rec, static_cast<std::uint64_t>(to));
      LARDER_RETURN_IF_ERROR(w->Add(RecordType::kDeleteRange, rec));
    }
    for (const auto& [t, v] : s->late) {
      rec.clear();
      PutVarint64(&rec, s->id);
      PutVarint64(&rec, static_cast<std::uint64_t>(t));
      PutFixed64(&rec, std::bit_cast<std::uint64_t>(v));
      LARDER_RETURN_IF_ERROR(w->Add(RecordType::kLateSample, rec));
    }
  }
  LARDER_RETURN_IF_ERROR(w->Sync());
  const std::uint64_t size = w->size();
  LARDER_RETURN_IF_ERROR(w->Close());
  LARDER_RETURN_IF_ERROR(InstallFile(fs_, tmp, path));
  LARDER_LOG_INFO("tsdb: {}: compacted to {} records ({} bytes)", path, MetaRecordsNeeded(), size);
  return Status::Ok();
}

}  // namespace larder::tsdb
