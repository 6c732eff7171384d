// Queue backups (QBACKUP/QRESTORE, `larder queue backup|restore`) and the copy of a store's
// records that backups, restores and QREBALANCE share. A backup directory holds
//   dir/QUEUE               "larder-queue-backup 1\n", a masked CRC-32C (4 bytes, little-endian)
//                           of the record, then the queue record (formats/queue.md)
//   dir/partition-NNNNNN    one LSM store per partition holding all its records
// QUEUE is written (and synced) last, so a backup without it is not whole.
//
// QueueBackup is an online backup as of one moment, taken in three steps so that the copy
// runs without the owner's lock (queue_manager.h: StartBackup, Write, FinishBackup).
#ifndef LARDER_QUEUE_QUEUE_BACKUP_H_
#define LARDER_QUEUE_QUEUE_BACKUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"
#include "queue/storage_layout.h"
#include "queue/store_opener.h"

namespace larder::queue {

// The store of partition `i` in backup directory `dir`, and the location it is opened with.
std::string BackupPartitionDir(const std::string& dir, std::uint32_t i);
StorageLocation BackupLocation(const std::string& dir);

// The bytes of `dir/QUEUE` for queue record `record`.
std::string EncodeBackupFile(std::string_view record);
// The queue record inside the QUEUE file `file` of `dir` (a view into `file`); InvalidArgument
// naming dir when it is not a backup file or its checksum does not match.
Result<std::string_view> DecodeBackupFile(const std::string& dir, std::string_view file);

// Removes directory `dir` and everything under it (a missing one is no error).
Status RemoveTree(FileSystem* fs, const std::string& dir);

// Copies every record `from` shows into a new store in `dir` at `location` (opened through
// `opener`; a store left there by a copy a crash cut short is removed first), synced and
// closed. Through kv.h, so the driver may change on the way.
Status CopyRecords(kv::ReadView& from, const StoreOpener& opener, FileSystem* fs,
                   const StorageLocation& location, const std::string& dir);

// A backup of one queue as of the moment its snapshots were taken (QueueManager::StartBackup).
//
// Lifetime: holds a snapshot of each partition's store; QueueManager::FinishBackup releases
// them, and the stores must stay open until then (the manager refuses QDELETE and QREBALANCE of
// the queue meanwhile). Thread-safety: Write runs on one thread, without the manager's lock; the
// rest is called with it.
class QueueBackup {
 public:
  QueueBackup(std::string queue, std::string dir, std::string record,
              std::vector<std::unique_ptr<kv::Snapshot>> snapshots, std::uint64_t items,
              StoreOpener opener, FileSystem* fs);
  ~QueueBackup();
  QueueBackup(const QueueBackup&) = delete;
  QueueBackup& operator=(const QueueBackup&) = delete;

  const std::string& queue() const { return queue_; }
  const std::string& dir() const { return dir_; }
  // The items copied (ready, leased, scheduled and outbox entries at the snapshot).
  std::uint64_t items() const { return items_; }

  // Copies each snapshot into dir/partition-NNNNNN, then writes dir/QUEUE, every file synced.
  // Once only.
  Status Write();
  // Releases the snapshots (FinishBackup, with the lock).
  void ReleaseSnapshots() { snapshots_.clear(); }

 private:
  const std::string queue_, dir_, record_;
  std::vector<std::unique_ptr<kv::Snapshot>> snapshots_;
  const std::uint64_t items_;
  const StoreOpener opener_;
  FileSystem* const fs_;
};

}  // namespace larder::queue

#endif  // LARDER_QUEUE_QUEUE_BACKUP_H_
