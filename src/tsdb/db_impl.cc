#include "tsdb/db_impl.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/coding.h"
#include "base/logging.h"
#include "tsdb/aggregate.h"
#include "tsdb/extent.h"
#include "tsdb/page_codec.h"

namespace larder::tsdb {
namespace {

constexpr std::size_t kMaxSamplesPerHotLogRecord = std::size_t{1} << 20;

}  // namespace

DBImpl::DBImpl(std::string dir, const Options& options)
    : dir_(std::move(dir)),
      options_(options),
      fs_(options.file_system != nullptr ? options.file_system : DefaultFileSystem()),
      clock_(options.clock != nullptr ? options.clock : SystemClock()),
      quota_bytes_(std::uint64_t{std::max<std::size_t>(options.disk_space_mb, 1)} << 20),
      datafile_target_(options.datafile_bytes_for_testing > 0 ? options.datafile_bytes_for_testing
                                                              : quota_bytes_ / 15),
      hot_log_limit_(options.hot_log_bytes_for_testing > 0
                         ? options.hot_log_bytes_for_testing
                         : std::max<std::uint64_t>(quota_bytes_ / 40, 16 << 10)),
      // Pending pages wait in the hot log as raw samples (~15 bytes each), so a small quota
      // takes fewer pages to an extent: one page per 256 KiB of quota, up to the option.
      extent_pages_(static_cast<std::uint32_t>(
          std::clamp<std::uint64_t>(quota_bytes_ >> 18, 1, options.max_pages_per_extent))),
      // Samples gathered before an Add writes them to the hot log (without a sync), so that
      // the buffer (24 bytes a sample) and each write (~15) stay small whatever the ingest
      // rate: a 64th of the hot log's limit.
      unlogged_threshold_(std::clamp<std::size_t>(hot_log_limit_ / 64 / 15, 64, 65536)),
      cache_(options.page_cache_mb << 20) {
  stats_.datafile_target = datafile_target_;
}

DBImpl::~DBImpl() { (void)Close(); }

std::string DBImpl::DataName(std::uint32_t n) const {
  return fmt::format("datafile-1-{:010}.ndf", n);
}
std::string DBImpl::JournalName(std::uint32_t n) const {
  return fmt::format("journalfile-1-{:010}.njf", n);
}
std::string DBImpl::HotLogName(std::uint32_t n) const {
  return fmt::format("hotlog-{:010}.log", n);
}

Status DBImpl::CheckOpenLocked() const {
  if (closed_) return Status::InvalidArgument("tsdb: the engine is closed");
  if (options_.read_only) return Status::ReadOnly("tsdb: opened read-only");
  return bg_error_;
}

DBImpl::Series* DBImpl::LiveLocked(SeriesId id) const {
  if (id >= series_.size() || series_[id]->dropped) return nullptr;
  return series_[id].get();
}

void DBImpl::SetBackgroundError(const Status& s) {
  std::lock_guard<std::mutex> l(mu_);
  if (bg_error_.ok()) {
    LARDER_LOG_ERROR("tsdb {}: {}; writes refused until reopened", dir_, s.ToString());
    bg_error_ = Status::Poisoned(s.ToString());
  }
}

// --- Series ------------------------------------------------------------------------------------

Result<SeriesId> DBImpl::CreateSeries(std::string_view name, std::int64_t interval_ms) {
  if (name.empty()) return Status::InvalidArgument("tsdb: empty series name");
  if (interval_ms < 0) return Status::InvalidArgument("tsdb: negative interval");
  std::lock_guard<std::mutex> l(mu_);
  LARDER_RETURN_IF_ERROR(CheckOpenLocked());
  if (names_.count(std::string(name)) != 0) {
    return Status::AlreadyExists(fmt::format("tsdb: series {} exists", name));
  }
  const auto id = static_cast<SeriesId>(series_.size());
  std::string rec;
  PutVarint64(&rec, id);
  PutVarint64(&rec, static_cast<std::uint64_t>(interval_ms));
  rec.append(name);
  LARDER_RETURN_IF_ERROR(meta_->Add(RecordType::kCreateSeries, rec));
  LARDER_RETURN_IF_ERROR(meta_->Sync());
  LARDER_RETURN_IF_ERROR(ApplyMetaRecord(RecordType::kCreateSeries, rec));
  return id;
}

Result<SeriesId> DBImpl::FindSeries(std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = names_.find(std::string(name));
  if (it == names_.end()) return Status::NotFound(fmt::format("tsdb: no series {}", name));
  return it->second;
}

Status DBImpl::DropSeries(SeriesId id) {
  std::lock_guard<std::mutex> d(delete_mu_);  // no Delete of it between its count and record
  std::lock_guard<std::mutex> l(mu_);
  LARDER_RETURN_IF_ERROR(CheckOpenLocked());
  if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
  std::string rec;
  PutVarint64(&rec, id);
  LARDER_RETURN_IF_ERROR(meta_->Add(RecordType::kDropSeries, rec));
  LARDER_RETURN_IF_ERROR(meta_->Sync());
  return ApplyMetaRecord(RecordType::kDropSeries, rec);
}

Status DBImpl::SetInterval(SeriesId id, std::int64_t interval_ms) {
  if (interval_ms < 0) return Status::InvalidArgument("tsdb: negative interval");
  std::unique_lock<std::mutex> l(mu_);
  LARDER_RETURN_IF_ERROR(CheckOpenLocked());
  if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
  std::string rec;
  PutVarint64(&rec, id);
  PutVarint64(&rec, static_cast<std::uint64_t>(interval_ms));
  LARDER_RETURN_IF_ERROR(meta_->Add(RecordType::kSetInterval, rec));
  LARDER_RETURN_IF_ERROR(meta_->Sync());
  CutLocked(*series_[id]);
  series_[id]->interval = interval_ms;
  cv_.notify_all();
  return Status::Ok();
}

// --- Adding ------------------------------------------------------------------------------------

void DBImpl::CutLocked(Series& s) {
  if (s.hot.empty()) return;
  auto p = std::make_shared<PendingPage>();
  p->id = s.id;
  p->interval = s.hot.interval();
  p->samples.reserve(s.hot.count());
  s.hot.AppendTo(0, kMaxTime, &p->samples);
  s.hot.Clear();
  pending_.push_back(std::move(p));
}

Status DBImpl::AddLocked(Series& s, std::int64_t t, double v) {
  if (t < 0 || t > kMaxTime) return Status::InvalidArgument("tsdb: time out of range");
  if (t <= s.last_time) {
    return Status::InvalidArgument(
        fmt::format("tsdb: time {} is not after the series' last sample ({})", t, s.last_time));
  }
  if (!s.hot.Add(t, v, s.interval, options_.page_samples)) {
    CutLocked(s);
    (void)s.hot.Add(t, v, s.interval, options_.page_samples);  // an empty page takes any sample
  }
  s.last_time = t;
  if (s.hot.Full(options_.page_samples)) CutLocked(s);
  return Status::Ok();
}

Status DBImpl::Add(SeriesId id, std::int64_t time_ms, double value) {
  bool flush_now = false, write_log = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    LARDER_RETURN_IF_ERROR(CheckOpenLocked());
    if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
    const std::size_t pending = pending_.size();
    LARDER_RETURN_IF_ERROR(AddLocked(*series_[id], time_ms, value));
    unlogged_.push_back({id, time_ms, value});
    write_log = unlogged_.size() >= unlogged_threshold_;
    if (pending_.size() > pending && pending_.size() >= extent_pages_) {
      // Backpressure: when the background flusher is four extents behind, the adder flushes
      // too (waiting for flush_mu_), so pending pages stay bounded.
      if (options_.background_flush && pending_.size() < 4 * std::size_t{extent_pages_}) {
        cv_.notify_all();
      } else {
        flush_now = true;
      }
    }
  }
  if (write_log) {
    // The adder writes the hot log itself (no sync), unless a sync is under way: the buffer
    // stays near unlogged_threshold_ however fast samples come.
    std::unique_lock<std::mutex> h(hot_mu_, std::try_to_lock);
    if (h.owns_lock()) {
      const Status s = WriteHotLogLocked(/*sync=*/false, /*may_rotate=*/true);
      if (!s.ok()) {
        SetBackgroundError(s);
        return s;
      }
    }
  }
  if (!flush_now) return Status::Ok();
  std::lock_guard<std::mutex> f(flush_mu_);
  return FlushPendingLocked(/*all=*/false);
}

// --- Late samples and deleting
// ------------------------------------------------------------------------------------

Status DBImpl::Upsert(SeriesId id, std::int64_t time_ms, double value) {
  if (time_ms < 0 || time_ms > kMaxTime) return Status::InvalidArgument("tsdb: time out of range");
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu_);
      LARDER_RETURN_IF_ERROR(CheckOpenLocked());
      if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
      if (time_ms <= series_[id]->last_time) {
        std::string rec;
        PutVarint64(&rec, id);
        PutVarint64(&rec, static_cast<std::uint64_t>(time_ms));
        PutFixed64(&rec, std::bit_cast<std::uint64_t>(value));
        LARDER_RETURN_IF_ERROR(meta_->Add(RecordType::kLateSample, rec));
        LARDER_RETURN_IF_ERROR(meta_->Sync());
        return ApplyMetaRecord(RecordType::kLateSample, rec);
      }
    }
    // After the last sample: an Add, unless another Add overtook it meanwhile (then late).
    const Status s = Add(id, time_ms, value);
    if (!s.IsInvalidArgument()) return s;
  }
}

Result<std::uint64_t> DBImpl::Delete(SeriesId id, std::int64_t from_ms, std::int64_t to_ms) {
  if (from_ms < 0 || to_ms > kMaxTime || from_ms > to_ms) {
    return Status::InvalidArgument("tsdb: bad range to delete");
  }
  std::lock_guard<std::mutex> d(delete_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    LARDER_RETURN_IF_ERROR(CheckOpenLocked());
    if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
    // Only what exists now: a later Add (after last_time) must not fall in the range.
    to_ms = std::min(to_ms, series_[id]->last_time);
  }
  if (to_ms < from_ms) return std::uint64_t{0};
  // Counting reads the range (deletes of this series wait on delete_mu_, adds land after it).
  std::vector<Sample> doomed;
  LARDER_RETURN_IF_ERROR(Range(id, from_ms, to_ms, {}, &doomed));
  if (doomed.empty()) return std::uint64_t{0};
  std::string rec;
  PutVarint64(&rec, id);
  PutVarint64(&rec, static_cast<std::uint64_t>(from_ms));
  PutVarint64(&rec, static_cast<std::uint64_t>(to_ms));
  std::lock_guard<std::mutex> l(mu_);
  LARDER_RETURN_IF_ERROR(CheckOpenLocked());
  if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
  LARDER_RETURN_IF_ERROR(meta_->Add(RecordType::kDeleteRange, rec));
  LARDER_RETURN_IF_ERROR(meta_->Sync());
  LARDER_RETURN_IF_ERROR(ApplyMetaRecord(RecordType::kDeleteRange, rec));
  return std::uint64_t{doomed.size()};
}

// --- Flushing ----------------------------------------------------------------------------------

Status DBImpl::FlushPendingLocked(bool all) {
  for (;;) {
    std::vector<std::shared_ptr<PendingPage>> batch;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!all && pending_.size() < extent_pages_) return Status::Ok();
      for (const auto& p : pending_) {
        if (batch.size() >= extent_pages_) break;
        batch.push_back(p);
      }
    }
    if (batch.empty()) return Status::Ok();
    // Encode the pages, then the extent; keep the raw bytes under a quarter of a datafile.
    std::string raw;
    std::vector<PageRef> refs;
    std::vector<SeriesId> ids;
    for (const auto& p : batch) {
      if (!refs.empty() &&
          raw.size() > std::min<std::uint64_t>(datafile_target_ / 4, kMaxExtentRaw / 2))
        break;
      const std::string page = EncodePage(p->samples, p->interval);
      PageRef r;
      r.pair = open_pair_;
      r.raw_offset = static_cast<std::uint32_t>(raw.size());
      r.raw_length = static_cast<std::uint32_t>(page.size());
      r.start = p->samples.front().time_ms;
      r.end = p->samples.back().time_ms;
      raw += page;
      refs.push_back(r);
      ids.push_back(p->id);
    }
    const std::string extent =
        EncodeExtent(raw, static_cast<std::uint16_t>(refs.size()), ExtentCompression::kZstd);
    const std::uint64_t offset = data_writer_->size();
    Status s = data_writer_->Append(extent);
    if (s.ok()) s = data_writer_->Sync();
    std::string rec;
    PutVarint64(&rec, offset);
    PutVarint64(&rec, extent.size());
    PutVarint64(&rec, refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
      refs[i].extent_offset = offset;
      refs[i].extent_size = static_cast<std::uint32_t>(extent.size());
      PutVarint64(&rec, ids[i]);
      PutVarint64(&rec, refs[i].raw_offset);
      PutVarint64(&rec, refs[i].raw_length);
      PutVarint64(&rec, static_cast<std::uint64_t>(refs[i].start));
      PutVarint64(&rec, static_cast<std::uint64_t>(refs[i].end - refs[i].start));
    }
    if (s.ok()) s = journal_->Add(RecordType::kExtent, rec);
    if (s.ok()) s = journal_->Sync();
    if (!s.ok()) {
      SetBackgroundError(s);
      return s;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      for (std::size_t i = 0; i < refs.size(); ++i) {
        if (!series_[ids[i]]->dropped) series_[ids[i]]->pages.push_back(refs[i]);
        pending_.pop_front();
      }
      stats_.pages_flushed += refs.size();
    }
    if (data_writer_->size() + journal_->size() >= datafile_target_) {
      LARDER_RETURN_IF_ERROR(ClosePairWritersLocked());
      LARDER_RETURN_IF_ERROR(OpenNewPairLocked(open_pair_ + 1));
    }
    s = EnforceQuotaLocked();
    if (!s.ok()) {
      SetBackgroundError(s);
      return s;
    }
  }
}

Status DBImpl::ClosePairWritersLocked() {
  Status s = data_writer_ != nullptr ? data_writer_->Close() : Status::Ok();
  if (journal_ != nullptr) {
    const Status j = journal_->Close();
    if (s.ok()) s = j;
  }
  data_writer_.reset();
  journal_.reset();
  return s;
}

Status DBImpl::OpenNewPairLocked(std::uint32_t number) {
  auto pair = std::make_shared<Pair>();
  pair->number = number;
  pair->data_path = Path(DataName(number));
  pair->journal_path = Path(JournalName(number));
  // The journal first: a datafile without a journal is an orphan and removed at Open.
  LARDER_ASSIGN_OR_RETURN(journal_,
                          RecordWriter::Open(fs_, pair->journal_path, options_.direct_io));
  LARDER_ASSIGN_OR_RETURN(data_writer_,
                          fs_->NewAppendWriter(pair->data_path, {.direct_io = options_.direct_io}));
  LARDER_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  LARDER_ASSIGN_OR_RETURN(std::shared_ptr<File> reader, Reader(pair.get()));
  open_pair_ = number;
  std::lock_guard<std::mutex> l(mu_);
  stats_.direct_io = reader->direct_io();
  pairs_[number] = std::move(pair);
  return Status::Ok();
}

Status DBImpl::EnforceQuotaLocked() {
  for (;;) {
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
    // The hot logs count as the most they grow to (a rotation keeps two for a moment), so that
    // the pairs get a steady share of the quota.
    const std::uint64_t reserve = std::max(hot_log_limit_, 2 * hot_log_base_.load());
    std::uint64_t total = 0, counted = reserve;
    for (const std::string& n : names) {
      auto size = fs_->FileSize(Path(n));
      if (!size.ok()) continue;
      total += *size;
      if (!n.starts_with("hotlog-")) counted += *size;
    }
    std::shared_ptr<Pair> victim;
    {
      std::lock_guard<std::mutex> l(mu_);
      stats_.disk_bytes = total;
      if (counted <= quota_bytes_ || pairs_.size() <= 1) return Status::Ok();
      victim = pairs_.begin()->second;
      if (victim->number == open_pair_) return Status::Ok();
      pairs_.erase(pairs_.begin());
      for (auto& s : series_) {
        while (!s->pages.empty() && s->pages.front().pair <= victim->number) s->pages.pop_front();
      }
      ++stats_.pairs_deleted;
    }
    cache_.ErasePair(victim->number);
    LARDER_RETURN_IF_ERROR(fs_->Remove(victim->journal_path));
    LARDER_RETURN_IF_ERROR(fs_->Remove(victim->data_path));
    LARDER_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  }
}

Status DBImpl::FlushFullPages() {
  std::lock_guard<std::mutex> f(flush_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    LARDER_RETURN_IF_ERROR(CheckOpenLocked());
  }
  return FlushPendingLocked(/*all=*/true);
}

// --- The hot log -------------------------------------------------------------------------------

Status DBImpl::SyncHotLog() {
  std::lock_guard<std::mutex> h(hot_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    LARDER_RETURN_IF_ERROR(CheckOpenLocked());
  }
  return SyncHotLogLocked();
}

Status DBImpl::SyncHotLogLocked() { return WriteHotLogLocked(/*sync=*/true, /*may_rotate=*/true); }

Status DBImpl::WriteHotLogLocked(bool sync, bool may_rotate) {
  std::vector<Logged> batch;
  {
    std::lock_guard<std::mutex> l(mu_);
    batch.swap(unlogged_);
  }
  for (std::size_t i = 0; i < batch.size(); i += kMaxSamplesPerHotLogRecord) {
    const std::size_t n = std::min(kMaxSamplesPerHotLogRecord, batch.size() - i);
    std::string rec;
    PutVarint64(&rec, n);
    for (std::size_t j = i; j < i + n; ++j) {
      PutVarint64(&rec, batch[j].id);
      PutVarint64(&rec, static_cast<std::uint64_t>(batch[j].time));
      PutFixed64(&rec, std::bit_cast<std::uint64_t>(batch[j].value));
    }
    LARDER_RETURN_IF_ERROR(hot_log_->Add(RecordType::kSamples, rec));
  }
  // Rotate once the log holds well more than the hot data it was started with.
  if (may_rotate && hot_log_->size() > std::max(hot_log_limit_, 2 * hot_log_base_)) {
    return RotateHotLogLocked();  // syncs the new log
  }
  if (sync) LARDER_RETURN_IF_ERROR(hot_log_->Sync());
  return Status::Ok();
}

// Starts a new hot log holding every sample not in a flushed page (pending and hot pages),
// then removes the old one: the log stays about as large as the hot data.
Status DBImpl::RotateHotLogLocked() {
  std::vector<Logged> snapshot;
  {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Sample> samples;
    for (const auto& p : pending_) {
      for (const Sample& x : p->samples) snapshot.push_back({p->id, x.time_ms, x.value});
    }
    for (const auto& s : series_) {
      samples.clear();
      s->hot.AppendTo(0, kMaxTime, &samples);
      for (const Sample& x : samples) snapshot.push_back({s->id, x.time_ms, x.value});
    }
    unlogged_.clear();  // all in the snapshot
  }
  const std::uint32_t old = hot_log_number_;
  if (hot_log_ != nullptr) LARDER_RETURN_IF_ERROR(hot_log_->Close());
  LARDER_ASSIGN_OR_RETURN(hot_log_, RecordWriter::Open(fs_, Path(HotLogName(old + 1)), false));
  hot_log_number_ = old + 1;
  {
    std::lock_guard<std::mutex> l(mu_);
    unlogged_.insert(unlogged_.begin(), snapshot.begin(), snapshot.end());
  }
  LARDER_RETURN_IF_ERROR(WriteHotLogLocked(/*sync=*/true, /*may_rotate=*/false));
  hot_log_base_ = hot_log_->size();
  LARDER_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  if (old > 0) {
    LARDER_RETURN_IF_ERROR(fs_->Remove(Path(HotLogName(old))));
    LARDER_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  }
  return Status::Ok();
}

// --- The background thread ---------------------------------------------------------------------

void DBImpl::BackgroundLoop() {
  const std::uint64_t interval_ns = std::uint64_t{options_.hot_log_sync_ms} * 1'000'000;
  std::uint64_t next_sync = clock_->NowNanos() + interval_ns;
  for (;;) {
    bool flush = false;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(50),
                   [&] { return stop_ || (options_.background_flush && !pending_.empty()); });
      if (stop_) return;
      if (!bg_error_.ok()) continue;
      flush = options_.background_flush && pending_.size() >= extent_pages_;
    }
    if (flush) {
      std::lock_guard<std::mutex> f(flush_mu_);
      (void)FlushPendingLocked(/*all=*/false);  // errors are kept in bg_error_
    }
    if (interval_ns > 0 && clock_->NowNanos() >= next_sync) {
      std::lock_guard<std::mutex> h(hot_mu_);
      const Status s = SyncHotLogLocked();
      if (!s.ok()) SetBackgroundError(s);
      next_sync = clock_->NowNanos() + interval_ns;
    }
  }
}

// --- Closing -----------------------------------------------------------------------------------

Status DBImpl::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    stop_ = true;
    cv_.notify_all();
  }
  if (bg_.joinable()) bg_.join();
  Status s;
  {
    std::lock_guard<std::mutex> l(mu_);
    s = bg_error_;
    for (auto& series : series_) CutLocked(*series);
  }
  std::lock_guard<std::mutex> f(flush_mu_);
  std::lock_guard<std::mutex> h(hot_mu_);
  if (s.ok() && data_writer_ != nullptr) s = FlushPendingLocked(/*all=*/true);
  const Status w = ClosePairWritersLocked();
  if (s.ok()) s = w;
  if (hot_log_ != nullptr) (void)hot_log_->Close();
  hot_log_.reset();
  if (s.ok() && hot_log_number_ > 0 && !options_.read_only) {
    // Every sample is in a flushed page now: the hot log is no longer needed.
    s = fs_->Remove(Path(HotLogName(hot_log_number_)));
    if (s.ok()) s = fs_->SyncDir(dir_);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (meta_ != nullptr) {
      const Status m = meta_->Close();
      if (s.ok()) s = m;
      meta_.reset();
    }
  }
  if (lock_ != nullptr) {
    (void)lock_->Unlock();
    lock_.reset();
  }
  return s;
}

}  // namespace larder::tsdb
