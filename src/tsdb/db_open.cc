// DBImpl's Open: the lock, series.meta, the journals, the hot logs (docs/tsdb.md, "Recovery").
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdio>

#include "base/coding.h"
#include "base/logging.h"
#include "tsdb/db_impl.h"

namespace larder::tsdb {
namespace {

constexpr char kMetaName[] = "series.meta";

// The number in `name` when it is "<prefix><10 digits><suffix>", else 0.
std::uint32_t FileNumber(const std::string& name, std::string_view prefix,
                         std::string_view suffix) {
  if (name.size() != prefix.size() + 10 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return 0;
  }
  std::uint64_t n = 0;
  for (char c : name.substr(prefix.size(), 10)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n > 0xffffffffu ? 0 : static_cast<std::uint32_t>(n);
}

// Cuts `path` at `r.valid_end` when replay stopped before its end.
Status CutTail(FileSystem* fs, const std::string& path, const ReplayResult& r, bool read_only) {
  if (r.valid_end >= r.file_size || read_only) return Status::Ok();
  if (r.damaged) {
    LARDER_LOG_ERROR(
        "tsdb: {}: the record at offset {} is damaged and later bytes follow; "
        "replay stopped there, the file is left as it is",
        path, r.valid_end);
    return Status::Ok();
  }
  LARDER_LOG_WARN("tsdb: {}: cutting {} bytes after offset {} (a torn tail)", path,
                  r.file_size - r.valid_end, r.valid_end);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->Open(path, {}));
  LARDER_RETURN_IF_ERROR(f->Truncate(r.valid_end));
  return f->SyncAll();
}

}  // namespace

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, const Options& options) {
  if (options.page_samples < 8 || options.page_samples > 65536 ||
      options.max_pages_per_extent == 0 || options.max_pages_per_extent > 65535) {
    return Status::InvalidArgument(
        "tsdb: page_samples must be 8..65536, max_pages_per_extent 1..65535");
  }
  auto db = std::make_unique<DBImpl>(dir, options);
  LARDER_RETURN_IF_ERROR(db->Open());
  return std::unique_ptr<DB>(std::move(db));
}

Status DBImpl::Open() {
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(Path(kMetaName)));
  if (!exists && (!options_.create_if_missing || options_.read_only)) {
    return Status::NotFound(fmt::format("tsdb: no engine in {}", dir_));
  }
  const bool ro = options_.read_only;
  if (!ro) LARDER_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  LARDER_ASSIGN_OR_RETURN(lock_, fs_->Open(Path("LOCK"), {.create = !ro, .read_only = ro}));
  LARDER_RETURN_IF_ERROR(lock_->TryLock(ro ? LockMode::kShared : LockMode::kExclusive));

  LARDER_RETURN_IF_ERROR(ReplayMeta());
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  std::vector<std::uint32_t> journals, datafiles, hotlogs;
  for (const std::string& n : names) {
    if (std::uint32_t k = FileNumber(n, "journalfile-1-", ".njf")) journals.push_back(k);
    if (std::uint32_t k = FileNumber(n, "datafile-1-", ".ndf")) datafiles.push_back(k);
    if (std::uint32_t k = FileNumber(n, "hotlog-", ".log")) hotlogs.push_back(k);
  }
  std::uint32_t last = 0;
  for (std::uint32_t k : journals) {
    last = std::max(last, k);
    auto pair = std::make_shared<Pair>();
    pair->number = k;
    pair->data_path = Path(DataName(k));
    pair->journal_path = Path(JournalName(k));
    if (!std::binary_search(datafiles.begin(), datafiles.end(), k)) {
      // The user removed the datafile alone: its journal points nowhere.
      LARDER_LOG_WARN("tsdb: {}: no datafile; removing the journal", pair->journal_path);
      if (!ro) LARDER_RETURN_IF_ERROR(fs_->Remove(pair->journal_path));
      continue;
    }
    LARDER_RETURN_IF_ERROR(ReplayJournal(pair.get()));
    pairs_[k] = std::move(pair);
  }
  for (std::uint32_t k : datafiles) {
    last = std::max(last, k);
    if (!std::binary_search(journals.begin(), journals.end(), k)) {
      LARDER_LOG_WARN("tsdb: {}: no journal (an unfinished rotation); removing it", DataName(k));
      if (!ro) LARDER_RETURN_IF_ERROR(fs_->Remove(Path(DataName(k))));
    }
  }
  if (ro) {
    // Inspection: the hot logs' samples into memory, nothing written, no background thread.
    std::lock_guard<std::mutex> h(hot_mu_);
    return ReplayHotLogs(hotlogs);
  }
  {
    std::lock_guard<std::mutex> f(flush_mu_);
    LARDER_RETURN_IF_ERROR(OpenNewPairLocked(last + 1));
    if (options_.direct_io && !stats_.direct_io) {
      LARDER_LOG_WARN("tsdb {}: the file system refused direct I/O; using buffered I/O", dir_);
    }
  }
  {
    std::lock_guard<std::mutex> h(hot_mu_);
    LARDER_RETURN_IF_ERROR(ReplayHotLogs(hotlogs));
    hot_log_number_ = hotlogs.empty() ? 0 : hotlogs.back();
    // A new hot log with the recovered samples, then the old ones go.
    LARDER_RETURN_IF_ERROR(RotateHotLogLocked());
    for (std::uint32_t k : hotlogs) {
      if (k != hotlogs.back()) LARDER_RETURN_IF_ERROR(fs_->Remove(Path(HotLogName(k))));
    }
  }
  {
    std::lock_guard<std::mutex> f(flush_mu_);
    LARDER_RETURN_IF_ERROR(FlushPendingLocked(/*all=*/false));
  }
  bg_ = std::thread([this] { BackgroundLoop(); });
  return Status::Ok();
}

Status DBImpl::ApplyMetaRecord(RecordType type, std::string_view payload) {
  std::string_view in = payload;
  std::uint64_t id = 0, a = 0, b = 0;
  auto bad = [&] {
    return Status::Corruption(fmt::format("tsdb: {}: bad series record", Path(kMetaName)));
  };
  if (type == RecordType::kDeleteRange) {
    // id, first and last deleted time.
    if (!GetVarint64(&in, &id) || !GetVarint64(&in, &a) || !GetVarint64(&in, &b) || !in.empty() ||
        id >= series_.size() || series_[id]->dropped || a > b ||
        b > static_cast<std::uint64_t>(kMaxTime)) {
      return bad();
    }
    Series& s = *series_[id];
    s.deleted.Add(static_cast<std::int64_t>(a), static_cast<std::int64_t>(b));
    s.late.erase(s.late.lower_bound(static_cast<std::int64_t>(a)),
                 s.late.upper_bound(static_cast<std::int64_t>(b)));
    std::erase_if(s.pages, [&](const PageRef& r) { return s.deleted.Covers(r.start, r.end); });
    return Status::Ok();
  }
  if (type == RecordType::kDropSeries) {
    if (!GetVarint64(&in, &id) || !in.empty() || id >= series_.size() || series_[id]->dropped) {
      return bad();
    }
    Series& s = *series_[id];
    s.dropped = true;
    names_.erase(s.name);
    s.pages.clear();
    s.hot.Clear();
    s.deleted = DeletedRanges();
    s.late.clear();
    return Status::Ok();
  }
  if (type == RecordType::kLateSample) {
    // id, time, value bits.
    if (!GetVarint64(&in, &id) || !GetVarint64(&in, &a) || !GetFixed64(&in, &b) || !in.empty() ||
        id >= series_.size() || series_[id]->dropped || a > static_cast<std::uint64_t>(kMaxTime)) {
      return bad();
    }
    series_[id]->late[static_cast<std::int64_t>(a)] = std::bit_cast<double>(b);
    return Status::Ok();
  }
  if (!GetVarint64(&in, &id) || !GetVarint64(&in, &a) || a > (std::uint64_t{1} << 40)) {
    return bad();
  }
  const std::uint64_t interval = a;
  if (type == RecordType::kCreateSeries) {
    if (id != series_.size() || in.empty() || names_.count(std::string(in)) != 0) {
      return Status::Corruption(
          fmt::format("tsdb: {}: series {} out of order", Path(kMetaName), id));
    }
    auto s = std::make_unique<Series>();
    s->id = static_cast<SeriesId>(id);
    s->name = std::string(in);
    s->interval = static_cast<std::int64_t>(interval);
    names_[s->name] = s->id;
    series_.push_back(std::move(s));
    return Status::Ok();
  }
  if (type == RecordType::kSetInterval && id < series_.size() && !series_[id]->dropped) {
    series_[id]->interval = static_cast<std::int64_t>(interval);
    return Status::Ok();
  }
  return Status::Corruption(fmt::format("tsdb: {}: unknown record", Path(kMetaName)));
}

Status DBImpl::ReplayMeta() {
  const std::string path = Path(kMetaName);
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(path));
  if (exists) {
    LARDER_ASSIGN_OR_RETURN(ReplayResult r,
                            ReplayRecords(fs_, path, [&](RecordType t, std::string_view p) {
                              return ApplyMetaRecord(t, p);
                            }));
    if (r.damaged) {
      return Status::Corruption(
          fmt::format("tsdb: {}: the record at offset {} is damaged", path, r.valid_end));
    }
    LARDER_RETURN_IF_ERROR(CutTail(fs_, path, r, options_.read_only));
    const std::uint64_t needed = MetaRecordsNeeded();
    const std::uint64_t superseded = r.records - std::min(r.records, needed);
    if (!options_.read_only && options_.meta_compaction_records > 0 &&
        superseded >= options_.meta_compaction_records && superseded >= needed) {
      LARDER_RETURN_IF_ERROR(CompactMeta(path));
      stats_.meta_records_compacted = superseded;
    }
  }
  if (options_.read_only) return Status::Ok();
  // A rewrite that a crash interrupted before its rename: series.meta is whole without it.
  LARDER_ASSIGN_OR_RETURN(bool leftover, fs_->Exists(path + ".compact"));
  if (leftover) LARDER_RETURN_IF_ERROR(fs_->Remove(path + ".compact"));
  LARDER_ASSIGN_OR_RETURN(meta_, RecordWriter::Open(fs_, path, false));
  LARDER_RETURN_IF_ERROR(meta_->Sync());
  return fs_->SyncDir(dir_);
}

Status DBImpl::ReplayJournal(Pair* pair) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t data_size, fs_->FileSize(pair->data_path));
  // An extent past the datafile's end, or a record that does not parse, ends the replay there,
  // as a torn tail would: later records are never used.
  bool stopped = false;
  std::uint64_t good_end = 0;
  auto apply = [&](RecordType type, std::string_view payload) -> Status {
    if (stopped) return Status::Ok();
    std::string_view in = payload;
    std::uint64_t offset = 0, size = 0, n = 0;
    bool ok = type == RecordType::kExtent && GetVarint64(&in, &offset) && GetVarint64(&in, &size) &&
              GetVarint64(&in, &n) && size <= kMaxRecordPayload && offset + size <= data_size &&
              n <= 65535;
    std::vector<std::pair<std::uint64_t, PageRef>> refs;
    for (std::uint64_t i = 0; ok && i < n; ++i) {
      std::uint64_t id = 0, raw_off = 0, raw_len = 0, start = 0, span = 0;
      ok = GetVarint64(&in, &id) && GetVarint64(&in, &raw_off) && GetVarint64(&in, &raw_len) &&
           GetVarint64(&in, &start) && GetVarint64(&in, &span) && id < series_.size() &&
           raw_off <= 0xffffffffu && raw_len <= 0xffffffffu && start <= kMaxTime &&
           span <= static_cast<std::uint64_t>(kMaxTime) - start;
      PageRef r;
      r.pair = pair->number;
      r.extent_offset = offset;
      r.extent_size = static_cast<std::uint32_t>(size);
      r.raw_offset = static_cast<std::uint32_t>(raw_off);
      r.raw_length = static_cast<std::uint32_t>(raw_len);
      r.start = static_cast<std::int64_t>(start);
      r.end = static_cast<std::int64_t>(start + span);
      refs.emplace_back(id, r);
    }
    if (!ok || !in.empty()) {
      LARDER_LOG_WARN("tsdb: {}: journal record after offset {} is not valid; replay stops there",
                      pair->journal_path, good_end);
      stopped = true;
      return Status::Ok();
    }
    for (const auto& [id, r] : refs) {
      Series& s = *series_[id];
      if (s.dropped || r.start <= s.last_time) continue;
      // A page wholly deleted stays out of the index; its times still bound later adds.
      if (!s.deleted.Covers(r.start, r.end)) s.pages.push_back(r);
      s.last_time = r.end;
    }
    good_end += kRecordHeaderSize + payload.size();
    return Status::Ok();
  };
  LARDER_ASSIGN_OR_RETURN(ReplayResult r, ReplayRecords(fs_, pair->journal_path, apply));
  r.valid_end = good_end;
  r.damaged = r.damaged || stopped;  // a checksummed record that makes no sense: keep the evidence
  return CutTail(fs_, pair->journal_path, r, options_.read_only);
}

Status DBImpl::ReplayHotLogs(const std::vector<std::uint32_t>& numbers) {
  for (std::uint32_t k : numbers) {
    const std::string path = Path(HotLogName(k));
    auto apply = [&](RecordType type, std::string_view payload) -> Status {
      std::string_view in = payload;
      std::uint64_t n = 0;
      if (type != RecordType::kSamples || !GetVarint64(&in, &n)) return Status::Ok();
      std::lock_guard<std::mutex> l(mu_);
      for (std::uint64_t i = 0; i < n; ++i) {
        std::uint64_t id = 0, t = 0, bits = 0;
        if (!GetVarint64(&in, &id) || !GetVarint64(&in, &t) || !GetFixed64(&in, &bits)) break;
        if (id >= series_.size() || t > static_cast<std::uint64_t>(kMaxTime)) continue;
        Series& s = *series_[id];
        if (s.dropped) continue;
        if (static_cast<std::int64_t>(t) <= s.last_time) continue;  // already in a page
        (void)AddLocked(s, static_cast<std::int64_t>(t), std::bit_cast<double>(bits));
        ++stats_.samples_recovered;
      }
      return Status::Ok();
    };
    LARDER_ASSIGN_OR_RETURN(ReplayResult r, ReplayRecords(fs_, path, apply));
    if (r.valid_end < r.file_size) {
      LARDER_LOG_WARN("tsdb: {}: hot log ends at offset {} of {} (a torn tail)", path, r.valid_end,
                      r.file_size);
    }
  }
  return Status::Ok();
}

}  // namespace larder::tsdb
