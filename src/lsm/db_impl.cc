// DBImpl: Open (directory, lock, MANIFEST, value-log replay), Close and statistics. The lock
// rule is in db_impl.h.
#include "lsm/db_impl.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/logging.h"
#include "lsm/block_cache.h"
#include "lsm/compaction_picker.h"
#include "lsm/dir_lock.h"
#include "lsm/filename.h"
#include "lsm/log_replay.h"
#include "lsm/log_sync_mark.h"
#include "lsm/log_writer.h"
#include "lsm/memtable.h"
#include "lsm/table_cache.h"
#include "lsm/value_log_reader.h"
#include "lsm/version_set.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, const Options& options) {
  return DBImpl::OpenImpl(dir, options);
}

namespace {

Status CheckOptions(const Options& o) {
  if (o.in_memory && o.file_system != nullptr) {
    return Status::InvalidArgument("Options::in_memory takes no file_system");
  }
  if (o.num_levels < 2 || o.num_levels > kMaxNumLevels) {
    return Status::InvalidArgument("Options::num_levels must be in [2, " +
                                   std::to_string(kMaxNumLevels) + "]");
  }
  if (o.write_buffer_size < 1024) {
    return Status::InvalidArgument("Options::write_buffer_size must be at least 1024");
  }
  if (o.max_immutable_memtables < 1) {
    return Status::InvalidArgument("Options::max_immutable_memtables must be at least 1");
  }
  if (o.level0_compaction_trigger < 1 || o.level0_slowdown_trigger < o.level0_compaction_trigger ||
      o.level0_stop_trigger < o.level0_slowdown_trigger) {
    return Status::InvalidArgument(
        "Options: need 1 <= level0_compaction_trigger <= level0_slowdown_trigger <= "
        "level0_stop_trigger");
  }
  if (o.slowdown_write_rate == 0) {
    return Status::InvalidArgument("Options::slowdown_write_rate must be positive");
  }
  if (o.block_size == 0 || o.block_restart_interval < 1 || o.max_open_tables < 1 ||
      o.target_file_size == 0 || o.level_size_multiplier <= 1) {
    return Status::InvalidArgument(
        "Options: block_size, block_restart_interval, max_open_tables, target_file_size must "
        "be positive and level_size_multiplier above 1");
  }
  if (o.background_threads < 1 || o.background_threads > 64) {
    return Status::InvalidArgument("Options::background_threads must be in [1, 64]");
  }
  return Status::Ok();
}

}  // namespace

DBImpl::DBImpl(const std::string& dir, const Options& options)
    : dir_(dir), options_(options), pacer_(options.slowdown_write_rate) {
  if (options_.in_memory) {
    owned_fs_ = NewMemFileSystem();
    fs_ = owned_fs_.get();
    options_.log_preallocate_bytes = 0;  // saves no fsync, costs memory
  } else {
    fs_ = options_.file_system != nullptr ? options_.file_system : DefaultFileSystem();
  }
  clock_ = options_.clock != nullptr ? options_.clock : SystemClock();
  stats_.levels.resize(static_cast<std::size_t>(options_.num_levels));
}

DBImpl::~DBImpl() { (void)Close(); }

Result<std::unique_ptr<DB>> DBImpl::OpenImpl(const std::string& dir, const Options& options) {
  LARDER_RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<DBImpl> db(new DBImpl(dir, options));
  LARDER_RETURN_IF_ERROR(db->OpenDirectory());
  LARDER_RETURN_IF_ERROR(db->Recover());
  if (!options.read_only) {
    MutexLock l(&db->mu_);
    db->opened_writable_ = true;
    db->DeleteObsoleteFiles();
    for (int i = 0; i < options.background_threads; ++i) {
      db->bg_threads_.emplace_back([p = db.get()] { p->BackgroundThread(); });
    }
    db->MaybeScheduleWork();
  }
  return std::unique_ptr<DB>(std::move(db));
}

Status DBImpl::OpenDirectory() {
  if (!options_.read_only && options_.create_if_missing) {
    LARDER_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  }
  LARDER_ASSIGN_OR_RETURN(bool dir_exists, fs_->Exists(dir_));
  if (!dir_exists) {
    return Status::NotFound("no LSM database in " + dir_ + " (the directory does not exist)");
  }
  LARDER_ASSIGN_OR_RETURN(lock_, DirLock::Acquire(fs_, dir_, options_.read_only));
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(ManifestFileName(dir_)));
  if (exists && options_.error_if_exists) {
    return Status::InvalidArgument("an LSM database already exists in " + dir_);
  }
  if (!exists && (options_.read_only || !options_.create_if_missing)) {
    return Status::NotFound("no LSM database in " + dir_ + " (no MANIFEST)");
  }
  if (!exists) {
    // Tables or value logs without a MANIFEST: the MANIFEST was lost, not never written (it
    // is created before any other file). A new, empty database over them would hide their data.
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
    for (const std::string& name : names) {
      std::uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) &&
          (type == FileType::kTable || type == FileType::kVlog)) {
        return Status::Corruption(dir_ + "/MANIFEST is missing, but the directory holds " + name +
                                  ": refusing to create a new database over the old one's files");
      }
    }
  }
  block_cache_ = options_.block_cache != nullptr
                     ? options_.block_cache
                     : std::make_shared<BlockCache>(options_.block_cache_bytes);
  table_cache_ = std::make_unique<TableCache>(dir_, fs_, block_cache_.get(),
                                              options_.max_open_tables, options_.mmap_reads);
  // A log holds about write_buffer_size bytes, plus the group that crossed it.
  vlog_reader_ = std::make_unique<ValueLogReader>(
      dir_, fs_, options_.mmap_reads, options_.write_buffer_size + options_.max_write_group_bytes);
  picker_ = std::make_unique<CompactionPicker>(options_);
  // Idle arena blocks: one whole memtable's (what the next memtable takes). A memtable is
  // switched when its log bytes reach write_buffer_size; its arena holds more than those (each
  // node's links and header: about 3% more at 1 KiB values, 25% at 100 bytes), so the cache
  // is sized for a third more.
  arena_cache_ = std::make_shared<ArenaBlockCache>(
      MemTableArena::BlockBytesFor(options_.write_buffer_size + options_.write_buffer_size / 3));
  versions_ = std::make_unique<VersionSet>(dir_, fs_, options_);
  if (!exists) return versions_->Create();
  return versions_->Recover();
}

Status DBImpl::Recover() {
  mem_ = std::make_shared<MemTable>(arena_cache_);
  // Sequences grow along the logs; `replayed` is the last one replayed so far.
  SequenceNumber replayed = 0;
  const std::uint64_t first_log = versions_->log_number();

  // The value logs to replay: every one numbered from the MANIFEST's log number on, in order.
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  std::vector<std::uint64_t> logs;
  std::set<std::uint64_t> tables;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    versions_->MarkFileNumberUsed(number);
    if (type == FileType::kVlog && number >= first_log) logs.push_back(number);
    if (type == FileType::kTable) tables.insert(number);
  }
  std::sort(logs.begin(), logs.end());
  // Every table the MANIFEST lists must be there: a missing one (deleted, or a MANIFEST cut
  // back to an older version whose tables compaction removed) would silently hide its keys.
  const std::shared_ptr<const Version> current = versions_->current();
  for (int level = 0; level < current->num_levels(); ++level) {
    for (const FileRef& f : current->files(level)) {
      if (!tables.contains(f->number)) {
        return Status::Corruption(fmt::format("{} lists table {}, which is missing",
                                              ManifestFileName(dir_),
                                              TableFileName(dir_, f->number)));
      }
    }
  }

  bool stopped = false;          // a damaged record ended the replay: later logs are not replayed
  std::uint64_t append_log = 0;  // the last log replayed: writes go on there
  std::uint64_t append_offset = 0;  // the end of its last intact record
  bool later_logs_checked = false;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const std::uint64_t number = logs[i];
    const std::string path = VlogFileName(dir_, number);
    if (stopped && !later_logs_checked) {
      later_logs_checked = true;
      // The first log after the one that stopped: a log is synced whole before the next one
      // takes writes, so an intact record in any later log proves the damage hit synced bytes.
      LARDER_RETURN_IF_ERROR(RefuseToDropLaterLogs(append_log, append_offset, logs, i));
    }
    if (stopped) {
      // Point-in-time recovery: writes after the first damaged record are not replayed; a
      // read-write open removes them so that new writes never follow a gap.
      if (!options_.read_only) LARDER_RETURN_IF_ERROR(fs_->Remove(path));
      continue;
    }
    bool has_values = false;
    std::uint64_t end = 0;
    LARDER_RETURN_IF_ERROR(ReplayLog(path, number, &replayed, &has_values, &end, &stopped));
    if (has_values) logs_with_values_.insert(number);
    mem_bytes_ += end;
    append_log = number;
    append_offset = end;
  }
  const SequenceNumber last = std::max(versions_->last_sequence(), replayed);
  last_sequence_.store(last, std::memory_order_release);
  versions_->SetLastSequence(last);
  mem_first_log_ = logs.empty() ? 0 : logs.front();

  if (!options_.read_only) {
    if (logs.empty()) {
      LARDER_RETURN_IF_ERROR(NewLogFile(versions_->NewFileNumber()));
      mem_first_log_ = log_number_;
    } else {
      // Go on appending to the last log replayed, after its last intact record (a damaged or
      // torn tail is cut off first, so that new records never follow garbage).
      const std::string path = VlogFileName(dir_, append_log);
      {
        LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs_->Open(path, OpenOptions{}));
        LARDER_ASSIGN_OR_RETURN(std::uint64_t size, f->Size());
        if (size > append_offset) {
          LARDER_RETURN_IF_ERROR(f->Truncate(append_offset));
          LARDER_RETURN_IF_ERROR(f->Sync());
        }
      }
      LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                              fs_->NewAppendWriter(path, LogAppendOptions()));
      log_ = std::make_unique<LogWriter>(std::move(w));
      log_number_ = append_log;
      log_file_number_ = append_log;
      log_has_values_ = logs_with_values_.count(append_log) != 0;
    }
    vlog_reader_->NoteOpenLog(log_file_number_, log_->size());
  }
  MutexLock l(&mu_);
  RebuildReadStateLocked();
  return Status::Ok();
}

Status DBImpl::ReplayLog(const std::string& path, std::uint64_t number, SequenceNumber* replayed,
                         bool* has_values, std::uint64_t* end, bool* stopped) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_->Open(path, {.read_only = true}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  LogReplayer replayer(file.get(), number, size);
  std::string_view payload;
  std::uint64_t offset = 0;
  while (replayer.NextBatch(&payload, &offset)) {
    // Sequences grow along the logs: a batch that does not follow the last one is damage,
    // and the replay stops before it (point in time).
    WriteBatchReader batch(payload);
    if (batch.sequence() <= *replayed) {
      *stopped = true;
      *end = offset;
      return RefuseToDropSynced(file.get(), path, offset, size, Status::Ok());
    }
    SequenceNumber seq = batch.sequence();
    WriteBatchEntry e;
    while (batch.Next(&e)) {
      if (e.type == ValueType::kValuePointer || e.type == ValueType::kExpiringPointer) {
        *has_values = true;
      }
      mem_->Add(seq++, e.type, e.key, e.value);
    }
    if (seq > batch.sequence()) *replayed = seq - 1;
  }
  // An I/O error fails the open; damage or a torn tail ends the replay (point in time), and
  // the logs after it are not replayed (Recover checks they hold nothing synced).
  if (replayer.end() == LogReader::End::kIOError) return replayer.status();
  *end = replayer.end_offset();
  *stopped = replayer.end() != LogReader::End::kEndOfFile;
  if (*stopped) return RefuseToDropSynced(file.get(), path, *end, size, replayer.status());
  return Status::Ok();
}

Status DBImpl::RefuseToDropLaterLogs(std::uint64_t stopped_log, std::uint64_t damaged,
                                     const std::vector<std::uint64_t>& logs, std::size_t from) {
  for (std::size_t i = from; i < logs.size(); ++i) {
    const std::string path = VlogFileName(dir_, logs[i]);
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_->Open(path, {.read_only = true}));
    LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
    LogReader reader(file.get(), 0, size);
    LogRecordType type;
    std::string_view payload;
    if (!reader.ReadRecord(&type, &payload)) {
      if (reader.end() == LogReader::End::kIOError) return reader.status();
      continue;  // empty or torn from its first record: nothing synced in it
    }
    const std::string what = fmt::format(
        "{}: the record at offset {} is damaged, but the later log {} holds intact records, so "
        "the damaged one had been synced: acknowledged writes after the damage would be lost",
        VlogFileName(dir_, stopped_log), damaged, path);
    return SyncedDamageVerdict(what);
  }
  return Status::Ok();
}

Status DBImpl::SyncedDamageVerdict(const std::string& what) const {
  if (!options_.drop_synced_writes_after_damage) {
    return Status::Corruption(what +
                              "; restore from a backup, or open with "
                              "drop_synced_writes_after_damage to recover without them");
  }
  LARDER_LOG_ERROR("{}; dropped (drop_synced_writes_after_damage)", what);
  return Status::Ok();
}

Status DBImpl::RefuseToDropSynced(File* file, const std::string& path, std::uint64_t damaged,
                                  std::uint64_t size, const Status& why) {
  LARDER_ASSIGN_OR_RETURN(std::optional<SyncMarkHit> mark,
                          FindSyncMarkCovering(file, damaged, size));
  if (!mark) return Status::Ok();  // nothing says the damaged bytes were synced: a torn tail
  const std::string what = fmt::format(
      "{}: the record at offset {} is damaged ({}), but the sync mark at offset {} shows the "
      "file was synced through offset {}: acknowledged writes after the damage would be lost",
      path, damaged, why.ok() ? "a batch out of sequence" : why.message(), mark->offset,
      mark->synced);
  return SyncedDamageVerdict(what);
}

AppendWriterOptions DBImpl::LogAppendOptions() const {
  return {.buffer_size = options_.max_write_group_bytes + (64 << 10),
          .writeback_bytes = options_.writeback_bytes,
          .preallocate_bytes = options_.log_preallocate_bytes};
}

Status DBImpl::NewLogFile(std::uint64_t number) {
  AppendWriterOptions append = LogAppendOptions();
  append.exclusive = true;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                          fs_->NewAppendWriter(VlogFileName(dir_, number), append));
  log_ = std::make_unique<LogWriter>(std::move(w));
  // The new file's name must be durable before a synced write in it is acknowledged.
  LARDER_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  log_number_ = number;
  log_file_number_ = number;
  return Status::Ok();
}
void DBImpl::RebuildReadStateLocked() {
  auto rs = std::make_shared<ReadState>();
  rs->mem = mem_;
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) rs->imm.push_back(it->mem);
  rs->version = versions_->current();
  for (const Frozen& f : imm_) rs->frozen_tombstones |= f.mem->num_range_deletions() > 0;
  for (int level = 0; level < rs->version->num_levels(); ++level) {
    for (const FileRef& f : rs->version->files(level)) {
      rs->frozen_tombstones |= f->num_range_deletions > 0;
    }
  }
  l0_runs_ = rs->version->Level0Runs();
  read_state_ = std::move(rs);
}

std::shared_ptr<const ReadState> DBImpl::GetReadState() {
  MutexLock l(&mu_);
  return read_state_;
}

Status DBImpl::Close() {
  {
    MutexLock l(&mu_);
    if (closed_) return Status::Ok();
    // Refuse new writes, let the queued writers finish (with an error), then stop the
    // background work.
    closed_ = true;
    bg_cv_.SignalAll();
    while (!writers_.empty()) bg_cv_.Wait(mu_);
    bg_stop_ = true;
    bg_cv_.SignalAll();
  }
  for (std::thread& t : bg_threads_) t.join();
  bg_threads_.clear();
  if (gc_thread_.joinable()) gc_thread_.join();
  Status s;
  MutexLock l(&mu_);
  while (log_sync_pins_ > 0) log_sync_cv_.Wait(mu_);  // a SyncWrites still syncing log_
  // Tables a reader's older Version kept alive when the last compaction ended are garbage
  // now: a cleanly closed directory holds only what its MANIFEST lists (lsm::Check's rule).
  if (opened_writable_) DeleteObsoleteFiles();
  if (log_ != nullptr) {
    // Unsynced writes become durable at a clean close (cheap: one fsync).
    if (poisoned_.ok()) s = log_->Sync();
    Status c = log_->Close();
    if (s.ok()) s = c;
    log_.reset();
  }
  read_state_.reset();
  imm_.clear();
  mem_.reset();
  table_cache_.reset();
  lock_.reset();  // releases the LOCK
  return s;
}

Stats DBImpl::GetStats() {
  MutexLock l(&mu_);
  Stats s = stats_;
  s.last_sequence = LastSequence();
  s.disk_bytes_written +=
      log_bytes_written_.load(std::memory_order_relaxed) + versions_->manifest_bytes_written();
  std::shared_ptr<const Version> v = versions_->current();
  s.levels.assign(static_cast<std::size_t>(v->num_levels()), {});
  s.level0_flushes = v->Level0Runs();
  std::uint64_t live = 0;
  for (int level = 0; level < v->num_levels(); ++level) {
    s.levels[static_cast<std::size_t>(level)].tables = v->NumFiles(level);
    s.levels[static_cast<std::size_t>(level)].bytes = v->LevelBytes(level);
    live += v->LevelBytes(level);
  }
  s.memtable_bytes = mem_ != nullptr ? mem_->ApproximateMemoryUsage() : 0;
  for (const Frozen& f : imm_) s.memtable_bytes += f.mem->ApproximateMemoryUsage();
  // Value logs: every one on disk (the current one, those waiting for a flush, those that
  // hold values).
  if (auto names = fs_->ListDir(dir_); names.ok()) {
    for (const std::string& name : *names) {
      std::uint64_t number;
      FileType type;
      if (!ParseFileName(name, &number, &type) || type != FileType::kVlog) continue;
      auto size = fs_->FileSize(VlogFileName(dir_, number));
      if (!size.ok()) continue;
      ++s.vlog_files;
      s.vlog_bytes += *size;
    }
  }
  live += s.vlog_bytes + versions_->manifest_bytes();
  s.live_disk_bytes = live;
  s.block_cache_bytes = block_cache_->usage();
  s.block_cache_hits = block_cache_->hits();
  s.block_cache_misses = block_cache_->misses();
  s.open_tables = table_cache_->open_tables();
  return s;
}

double Stats::write_amplification() const {
  return user_bytes_written == 0
             ? 0
             : static_cast<double>(disk_bytes_written) / static_cast<double>(user_bytes_written);
}

}  // namespace larder::lsm
