#include "queue/queue_backup.h"

#include <fmt/format.h>

#include <utility>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::queue {

namespace {

constexpr std::string_view kBackupMagic = "larder-queue-backup 1\n";

}  // namespace

std::string BackupPartitionDir(const std::string& dir, std::uint32_t i) {
  return fmt::format("{}/partition-{:06d}", dir, i);
}

StorageLocation BackupLocation(const std::string& dir) {
  return {.name = "backup", .driver = Driver::kLsm, .affinity = 0, .dir = dir};
}

std::string EncodeBackupFile(std::string_view record) {
  std::string file(kBackupMagic);
  PutFixed32(&file, crc32c::MaskedValue(record));
  file += record;
  return file;
}

Result<std::string_view> DecodeBackupFile(const std::string& dir, std::string_view file) {
  if (file.size() < kBackupMagic.size() + 4 || !file.starts_with(kBackupMagic)) {
    return Status::InvalidArgument(fmt::format("{}/QUEUE is not a queue backup", dir));
  }
  file.remove_prefix(kBackupMagic.size());
  std::uint32_t crc = 0;
  (void)GetFixed32(&file, &crc);
  if (crc != crc32c::MaskedValue(file)) {
    return Status::InvalidArgument(fmt::format("{}/QUEUE: checksum mismatch", dir));
  }
  return file;
}

Status RemoveTree(FileSystem* fs, const std::string& dir) {
  LARDER_ASSIGN_OR_RETURN(bool exists, fs->Exists(dir));
  if (!exists) return Status::Ok();
  auto entries = fs->ListDir(dir);
  if (!entries.ok())
    return entries.status().code() == Code::kNotFound ? Status::Ok() : entries.status();
  for (const std::string& e : *entries) {
    const std::string child = dir + "/" + e;
    if (!fs->Remove(child).ok()) LARDER_RETURN_IF_ERROR(RemoveTree(fs, child));  // a directory
  }
  Status s = fs->RemoveDir(dir);
  return s.code() == Code::kNotFound ? Status::Ok() : s;
}

Status CopyRecords(kv::ReadView& from, const StoreOpener& opener, FileSystem* fs,
                   const StorageLocation& location, const std::string& dir) {
  LARDER_RETURN_IF_ERROR(RemoveTree(fs, dir));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> dest, opener(location, dir));
  LARDER_ASSIGN_OR_RETURN(auto it, from.NewIterator());
  kv::WriteBatch batch;
  Status s;
  for (it->SeekToFirst(); it->Valid() && s.ok(); it->Next()) {
    batch.Put(it->key(), it->value());
    if (batch.ByteSize() >= (std::size_t{1} << 20)) {
      s = dest->Write({.sync = false}, batch);
      batch.Clear();
    }
  }
  if (s.ok()) s = it->status();
  if (s.ok()) s = dest->Write({.sync = false}, batch);
  if (s.ok()) s = dest->SyncWrites();
  it.reset();
  Status closed = dest->Close();
  return s.ok() ? closed : s;
}

QueueBackup::QueueBackup(std::string queue, std::string dir, std::string record,
                         std::vector<std::unique_ptr<kv::Snapshot>> snapshots, std::uint64_t items,
                         StoreOpener opener, FileSystem* fs)
    : queue_(std::move(queue)),
      dir_(std::move(dir)),
      record_(std::move(record)),
      snapshots_(std::move(snapshots)),
      items_(items),
      opener_(std::move(opener)),
      fs_(fs) {}

QueueBackup::~QueueBackup() = default;

Status QueueBackup::Write() {
  for (std::uint32_t i = 0; i < snapshots_.size(); ++i) {
    LARDER_RETURN_IF_ERROR(CopyRecords(*snapshots_[i], opener_, fs_, BackupLocation(dir_),
                                       BackupPartitionDir(dir_, i)));
  }
  // The record last: a backup without it is not whole, and Restore says so.
  const std::string path = dir_ + "/QUEUE";
  LARDER_RETURN_IF_ERROR(WriteWholeFile(fs_, path, EncodeBackupFile(record_)));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs_->Open(path, {.read_only = true}));
  LARDER_RETURN_IF_ERROR(f->Sync());
  return fs_->SyncDir(dir_);
}

}  // namespace larder::queue
