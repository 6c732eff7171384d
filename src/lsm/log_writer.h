// LogWriter: appends records (log_format.h) to a value-log file through an AppendWriter.
//
// AddRecord only copies into the AppendWriter's user-space buffer (a write(2) happens when the
// buffer fills); group commit is several AddRecord calls, then one Flush and at most one Sync.
// A record is durable once a Sync after it has returned OK; until then a crash may keep any
// prefix of the appended bytes, torn: the reader (log_reader.h) stops at the first record that
// is not intact.
//
// Errors are sticky (the AppendWriter's): after a failed write or sync every later call fails
// with the first error, and the log must not be appended to again (the DB poisons itself).
//
// Thread-safety: not thread-safe; the DB's write leader holds it. The exception is a sync by
// another thread (DBImpl::SyncWrites): with the leader's role it calls Flush and reads size(),
// then, without it, calls file()->Sync() and NoteSynced(that size), which is thread-safe. The
// LogWriter must stay alive meanwhile (the DB pins it).
#ifndef LARDER_LSM_LOG_WRITER_H_
#define LARDER_LSM_LOG_WRITER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "larder/file_system.h"
#include "larder/lsm/write_batch.h"
#include "larder/status.h"
#include "lsm/log_format.h"

namespace larder::lsm {

class LogWriter {
 public:
  // Appends after dest->size() (a new file: 0; a recovered one: the end of its last intact
  // record, after truncating there). REQUIRES: dest != nullptr.
  explicit LogWriter(std::unique_ptr<AppendWriter> dest);
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends one record; *record_offset (when not null) receives the offset of its header, where
  // a VlogPointer to a kValue record points. InvalidArgument when the payload exceeds
  // kMaxRecordSize (nothing appended).
  [[nodiscard]] Status AddRecord(LogRecordType type, std::string_view payload,
                                 std::uint64_t* record_offset = nullptr);
  // Writes the buffered records to the file (not durable yet).
  [[nodiscard]] Status Flush() { return dest_->Flush(); }
  // Flush, then fdatasync: every record added so far is durable.
  [[nodiscard]] Status Sync();
  // Appends a kSyncMark record naming the offset the last successful Sync reached, when no
  // mark has named it yet (nothing otherwise). AddBatchRecord calls it first, so the first
  // append after each sync carries one. A recovered file's earlier bytes count as unsynced
  // until this writer syncs.
  [[nodiscard]] Status AddSyncMarkIfBehind();
  // Flush and release the file (no sync).
  [[nodiscard]] Status Close() { return dest_->Close(); }

  // Bytes of the log: records flushed or not.
  std::uint64_t size() const { return dest_->size(); }
  // Bytes appended and not yet written to the file.
  std::size_t buffered() const { return dest_->buffered(); }
  // True when the last Sync covered every byte (a recovered file: only once this writer synced).
  bool fully_synced() const { return synced_size_.load() == dest_->size(); }
  const std::string& path() const { return dest_->path(); }

  // For a sync by another thread (see Thread-safety): the file, and the note that a File::Sync
  // begun after the first `offset` bytes were flushed has returned OK. Thread-safe.
  File* file() const { return dest_->file(); }
  void NoteSynced(std::uint64_t offset);
  // The offset every byte before which is durable. Thread-safe.
  std::uint64_t synced_size() const { return synced_size_.load(); }

 private:
  std::unique_ptr<AppendWriter> dest_;
  // The offset every byte before which is durable: raised by Sync and NoteSynced, never lowered.
  std::atomic<std::uint64_t> synced_size_{0};
  std::uint64_t marked_size_ = 0;  // the offset the last kSyncMark named
};

// Appends `batch` to the log in the form the engine stores it (docs/formats/lsm.md): a sync
// mark when the log was synced since the last one (LogWriter::AddSyncMarkIfBehind), each value
// of at least `value_threshold` bytes (0: none) first, as a kValue record of its own, then the
// batch as one kBatch record whose entries point to those records (kValuePointer,
// kExpiringPointer, in file `file_number`). *stored is set to the batch as written: `&batch`
// when no value moved, else `scratch`, rebuilt (same sequence, same entries in order). The DB
// inserts *stored's entries (WriteBatchInternal::ForEach) into the memtable, as recovery does
// from the log. *batch_offset (when not null) receives the kBatch record's offset.
[[nodiscard]] Status AddBatchRecord(LogWriter* log, std::uint64_t file_number,
                                    const WriteBatch& batch, std::size_t value_threshold,
                                    WriteBatch* scratch, const WriteBatch** stored,
                                    std::uint64_t* batch_offset = nullptr);

}  // namespace larder::lsm

#endif  // LARDER_LSM_LOG_WRITER_H_
