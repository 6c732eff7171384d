#include "server/wal.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "base/coding.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "server/wal_record.h"

namespace larder::server {
namespace {

constexpr std::string_view kPrefix = "wal-";
constexpr std::string_view kSuffix = ".log";
constexpr std::size_t kSeqDigits = 20;

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

// A log file known to the log: its first sequence and its size in bytes.
struct LogFile {
  std::uint64_t first_seq = 0;
  std::uint64_t size = 0;
};

class WalImpl final : public WriteAheadLog {
 public:
  WalImpl(FileSystem* fs, std::string dir, const WalOptions& options)
      : fs_(fs), dir_(std::move(dir)), options_(options), mode_(options.mode) {}

  ~WalImpl() override {
    {
      MutexLock l(&mu_);
      stop_ = true;
    }
    wake_.SignalAll();
    if (syncer_.joinable()) syncer_.join();
  }

  Status Recover(std::uint64_t checkpoint_seq, const ReplayFn& apply);
  void StartSyncer();

  Result<std::uint64_t> Append(const kv::WriteBatch& batch) override;
  Status WaitDurable(std::uint64_t seq) override;
  Status Sync() override;
  Status Rotate(std::uint64_t checkpoint_seq) override;

  Status health() const override {
    MutexLock l(&mu_);
    return error_;
  }
  void SetMode(AppendFsync mode) override {
    MutexLock l(&mu_);
    mode_ = mode;
  }
  AppendFsync mode() const override {
    MutexLock l(&mu_);
    return mode_;
  }
  std::uint64_t last_seq() const override {
    MutexLock l(&mu_);
    return last_seq_;
  }
  std::uint64_t ReadBarrierSeq() const override {
    MutexLock l(&mu_);
    return mode_ == AppendFsync::kAlways && durable_seq_ < last_seq_ ? last_seq_ : 0;
  }
  std::uint64_t log_bytes() const override {
    MutexLock l(&mu_);
    return stats_.log_bytes;
  }
  WalStats stats() const override {
    MutexLock l(&mu_);
    WalStats s = stats_;
    s.last_seq = last_seq_;
    s.durable_seq = durable_seq_;
    return s;
  }

 private:
  // Returns once every sequence <= seq is durable (group commit; see the lock rules in wal.h).
  Status SyncLocked(std::uint64_t seq) REQUIRES(mu_);
  // Creates the file for records from `first_seq` (exclusive create) and syncs the directory.
  Result<std::shared_ptr<File>> CreateFile(std::uint64_t first_seq);
  // Removes the files (not the newest) whose records are all <= checkpoint_seq.
  void DeleteObsolete(std::uint64_t checkpoint_seq) REQUIRES(write_mu_);
  void BackgroundSync();

  FileSystem* const fs_;
  const std::string dir_;
  const WalOptions options_;

  // Writer side: Append, Rotate, recovery.
  Mutex write_mu_ ACQUIRED_BEFORE(mu_);
  std::vector<LogFile> files_ GUARDED_BY(write_mu_);  // oldest first; back() is current
  std::string record_ GUARDED_BY(write_mu_);          // encoding buffer, reused

  // Durability state.
  mutable Mutex mu_;
  CondVar synced_;  // a sync finished (or an error was recorded)
  CondVar wake_;    // the background syncer: stop_ changed
  std::shared_ptr<File> current_ GUARDED_BY(mu_);
  std::uint64_t last_seq_ GUARDED_BY(mu_) = 0;
  std::uint64_t durable_seq_ GUARDED_BY(mu_) = 0;
  bool syncing_ GUARDED_BY(mu_) = false;
  Status error_ GUARDED_BY(mu_);
  AppendFsync mode_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  WalStats stats_ GUARDED_BY(mu_);

  std::thread syncer_;
};

Result<std::shared_ptr<File>> WalImpl::CreateFile(std::uint64_t first_seq) {
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<File> file,
      fs_->Open(JoinPath(dir_, WalFileName(first_seq)), {.create = true, .exclusive = true}));
  LARDER_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  return std::shared_ptr<File>(std::move(file));
}

Status WalImpl::Recover(std::uint64_t checkpoint_seq, const ReplayFn& apply) {
  MutexLock w(&write_mu_);
  LARDER_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  for (const std::string& name : names) {
    LogFile f;
    if (!ParseWalFileName(name, &f.first_seq)) continue;
    LARDER_ASSIGN_OR_RETURN(f.size, fs_->FileSize(JoinPath(dir_, name)));
    files_.push_back(f);
  }
  std::sort(files_.begin(), files_.end(),
            [](const LogFile& a, const LogFile& b) { return a.first_seq < b.first_seq; });

  // Files whose records the checkpoint holds entirely are not read.
  std::size_t start = 0;
  while (start + 1 < files_.size() && files_[start + 1].first_seq <= checkpoint_seq + 1) ++start;

  std::uint64_t last_good = checkpoint_seq;  // the last sequence recovered (engine or log)
  std::uint64_t prev_file_last = 0;          // the previous file's last good sequence
  std::uint64_t replayed = 0, dropped = 0;
  kv::WriteBatch batch;
  for (std::size_t i = start; i < files_.size(); ++i) {
    LogFile& f = files_[i];
    const std::string path = JoinPath(dir_, WalFileName(f.first_seq));
    if (f.first_seq > last_good + 1) {
      return Status::Corruption(
          "write-ahead log gap: " + path + " starts at sequence " + std::to_string(f.first_seq) +
          " but sequence " + std::to_string(last_good + 1) + " is neither checkpointed nor logged");
    }
    if (i > start && f.first_seq <= prev_file_last) {
      return Status::Corruption("write-ahead log: " + path + " overlaps the file before it");
    }
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_->Open(path, {}));
    WalFileReader reader(file.get(), f.size);
    std::uint64_t expected = f.first_seq, seq = 0;
    std::string_view payload;
    while (true) {
      LARDER_ASSIGN_OR_RETURN(bool more, reader.Next(expected, &seq, &payload));
      if (!more) break;
      ++expected;
      if (seq <= checkpoint_seq) continue;
      LARDER_RETURN_IF_ERROR(DecodeWalPayload(payload, &batch));
      LARDER_RETURN_IF_ERROR(apply(seq, batch));
      ++replayed;
    }
    prev_file_last = expected - 1;
    const bool holds_new = prev_file_last > last_good;
    last_good = std::max(last_good, prev_file_last);
    const std::uint64_t tail = f.size - reader.good_end();
    if (tail > 0) {
      dropped += tail;
      LARDER_LOG_WARN("write-ahead log {}: dropped {} bytes after sequence {} (a torn tail)", path,
                      tail, expected - 1);
      if (i + 1 == files_.size()) {  // the newest file: cut the tail so appends follow records
        LARDER_RETURN_IF_ERROR(file->Truncate(reader.good_end()));
        LARDER_RETURN_IF_ERROR(file->SyncAll());
        f.size = reader.good_end();
      }
    }
    // Replayed records may sit unsynced in the page cache (a kill -9 under everysec): make them
    // durable before later records, synced in a newer file, can depend on them being there.
    if (holds_new) LARDER_RETURN_IF_ERROR(file->Sync());
    // The next file, if any, must continue at last_good + 1 (checked at the loop's top).
  }

  // Continue at last_good + 1: in the newest file when it is empty and named for it, else in a
  // new file.
  std::shared_ptr<File> current;
  if (!files_.empty() && files_.back().size == 0 && files_.back().first_seq == last_good + 1) {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                            fs_->Open(JoinPath(dir_, WalFileName(last_good + 1)), {}));
    current = std::move(file);
  } else {
    LARDER_ASSIGN_OR_RETURN(current, CreateFile(last_good + 1));
    files_.push_back({last_good + 1, 0});
  }
  std::uint64_t bytes = 0;
  for (const LogFile& f : files_) bytes += f.size;
  if (replayed > 0 || dropped > 0) {
    LARDER_LOG_INFO("write-ahead log {}: replayed {} records after checkpoint {}, dropped {} bytes",
                    dir_, replayed, checkpoint_seq, dropped);
  }

  MutexLock l(&mu_);
  current_ = std::move(current);
  last_seq_ = last_good;
  durable_seq_ = last_good;  // checkpointed, or replayed from a file synced above
  stats_.replayed = replayed;
  stats_.dropped_bytes = dropped;
  stats_.log_bytes = bytes;
  return Status::Ok();
}

void WalImpl::StartSyncer() {
  if (options_.sync_interval_ms > 0) syncer_ = std::thread([this] { BackgroundSync(); });
}

void WalImpl::BackgroundSync() {
  MutexLock l(&mu_);
  while (!stop_) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.sync_interval_ms);
    while (!stop_ && wake_.WaitUntil(mu_, deadline)) {
    }
    if (stop_) break;
    if (mode_ == AppendFsync::kEverySec && error_.ok() && durable_seq_ < last_seq_) {
      Status s = SyncLocked(last_seq_);
      if (!s.ok()) LARDER_LOG_ERROR("write-ahead log {}: background sync: {}", dir_, s.ToString());
    }
  }
}

Result<std::uint64_t> WalImpl::Append(const kv::WriteBatch& batch) {
  MutexLock w(&write_mu_);
  std::shared_ptr<File> file;
  std::uint64_t seq;
  {
    MutexLock l(&mu_);
    LARDER_RETURN_IF_ERROR(error_);
    file = current_;
    seq = last_seq_ + 1;
  }
  record_.clear();
  LARDER_RETURN_IF_ERROR(AppendWalRecord(seq, batch, &record_));
  LogFile& f = files_.back();
  Status s = file->WriteAt(f.size, AsBytes(record_));
  MutexLock l(&mu_);
  if (!s.ok()) {
    if (error_.ok()) error_ = s;
    synced_.SignalAll();
    return s;
  }
  f.size += record_.size();
  last_seq_ = seq;
  ++stats_.appends;
  stats_.log_bytes += record_.size();
  return seq;
}

Status WalImpl::SyncLocked(std::uint64_t seq) {
  while (true) {
    LARDER_RETURN_IF_ERROR(error_);
    if (durable_seq_ >= seq) return Status::Ok();
    if (syncing_) {  // wait for the sync in flight; it may cover seq
      synced_.Wait(mu_);
      continue;
    }
    syncing_ = true;
    const std::uint64_t target = last_seq_;
    std::shared_ptr<File> file = current_;
    mu_.Unlock();
    Status s = file->Sync();
    file.reset();  // a rotated-away file closes here, outside mu_
    mu_.Lock();
    syncing_ = false;
    ++stats_.syncs;
    if (s.ok()) {
      durable_seq_ = std::max(durable_seq_, target);
    } else if (error_.ok()) {
      error_ = s;
    }
    synced_.SignalAll();
  }
}

Status WalImpl::WaitDurable(std::uint64_t seq) {
  MutexLock l(&mu_);
  if (mode_ != AppendFsync::kAlways) return error_;
  return SyncLocked(seq);
}

Status WalImpl::Sync() {
  MutexLock l(&mu_);
  return SyncLocked(last_seq_);
}

Status WalImpl::Rotate(std::uint64_t checkpoint_seq) {
  MutexLock w(&write_mu_);
  std::uint64_t last;
  {
    MutexLock l(&mu_);
    LARDER_RETURN_IF_ERROR(error_);
    last = last_seq_;
  }
  if (checkpoint_seq > last) {
    return Status::InvalidArgument("write-ahead log: checkpoint past the last record");
  }
  if (checkpoint_seq < last) {
    // Records after the checkpoint stay in the current file, which is about to stop being
    // synced: make them durable first.
    MutexLock l(&mu_);
    LARDER_RETURN_IF_ERROR(SyncLocked(last));
  }
  std::shared_ptr<File> old;
  if (files_.back().size > 0) {
    LARDER_ASSIGN_OR_RETURN(std::shared_ptr<File> file, CreateFile(last + 1));
    files_.push_back({last + 1, 0});
    MutexLock l(&mu_);
    old = std::exchange(current_, std::move(file));
    ++stats_.rotations;
  }
  {
    MutexLock l(&mu_);
    durable_seq_ = std::max(durable_seq_, checkpoint_seq);
    synced_.SignalAll();
  }
  old.reset();  // closed here unless a sync in flight still holds it
  DeleteObsolete(checkpoint_seq);
  return Status::Ok();
}

void WalImpl::DeleteObsolete(std::uint64_t checkpoint_seq) {
  std::size_t n = 0;  // files_[0, n) are removed
  std::uint64_t freed = 0;
  while (n + 1 < files_.size() && files_[n + 1].first_seq <= checkpoint_seq + 1) {
    const std::string path = JoinPath(dir_, WalFileName(files_[n].first_seq));
    Status s = fs_->Remove(path);
    if (!s.ok() && !s.IsNotFound()) {
      // Harmless: recovery skips it (its records are checkpointed); the next rotation retries.
      LARDER_LOG_WARN("write-ahead log: cannot remove {}: {}", path, s.ToString());
      break;
    }
    freed += files_[n].size;
    ++n;
  }
  files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
  MutexLock l(&mu_);
  stats_.log_bytes -= freed;
}

}  // namespace

std::string WalFileName(std::uint64_t first_seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "wal-%020" PRIu64 ".log", first_seq);
  return buf;
}

bool ParseWalFileName(const std::string& name, std::uint64_t* first_seq) {
  if (name.size() != kPrefix.size() + kSeqDigits + kSuffix.size()) return false;
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return false;
  const char* begin = name.data() + kPrefix.size();
  const char* end = begin + kSeqDigits;
  if (!std::all_of(begin, end, [](char c) { return c >= '0' && c <= '9'; })) return false;
  auto [ptr, ec] = std::from_chars(begin, end, *first_seq);
  return ec == std::errc() && ptr == end;
}

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(FileSystem* fs, const std::string& dir,
                                                           const WalOptions& options,
                                                           std::uint64_t checkpoint_seq,
                                                           const ReplayFn& apply) {
  if (fs == nullptr) fs = DefaultFileSystem();
  auto wal = std::make_unique<WalImpl>(fs, dir, options);
  LARDER_RETURN_IF_ERROR(wal->Recover(checkpoint_seq, apply));
  wal->StartSyncer();
  return std::unique_ptr<WriteAheadLog>(std::move(wal));
}

}  // namespace larder::server
