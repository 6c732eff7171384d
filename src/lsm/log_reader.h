// LogReader: reads a value-log file's records (log_format.h) in order, for recovery and for
// value-log garbage collection, and tells where and why it stopped.
//
// Recovery rule (point in time): records are returned while they are intact; the first record
// that is not ends the log, whatever follows it. The reader never skips a bad record to go on
// with later ones: a later record may depend on it (a batch on its value records, a batch on
// the batches before it). ReadRecord then returns false, end() says why and end_offset() is
// the offset just after the last intact record, where recovery truncates the file before
// appending to it again.
//
// Why a read stops (end()):
//   kEndOfFile   the last record ends exactly at the end of the file: a clean log.
//   kTornTail    what follows the last intact record is what a crash during an append leaves:
//                fewer bytes than a header, a record cut off by the end of the file, zeros to
//                the end of the file (the tail of a preallocated or direct-I/O file, or flushes
//                that never reached the disk), or a last record whose checksum fails with
//                nothing but zeros after it. Unsynced records are lost; nothing else is.
//   kCorruption  a record with data after it is damaged: a bad checksum, an unknown type, a
//                zeroed header or an impossible length (above kMaxRecordSize).
//   kIOError     a read failed (status() has the error).
// The kind is a diagnosis, not a verdict: a power loss may lose or tear any unsynced append
// independently of the others (an earlier flush lost, a later one kept), so what follows the
// last synced record can look like damage in the middle. Recovery therefore treats kTornTail
// and kCorruption alike (stop and truncate: RocksDB's default point-in-time recovery) and
// reports which one it saw; only kIOError fails it.
// status() is OK for kEndOfFile, else Corruption (or the I/O error) naming the file and the
// offset of the bad record.
//
// Bounds: every length read from the file is checked against the file's size before anything
// is allocated or read; memory is one 256 KiB chunk, or the record being read when it is larger
// (given back once past it).
// A kBatch payload is only checksummed here: its entries are decoded by WriteBatchReader, whose
// Corruption the DB treats as the end of the log at that record (end_offset() before it is the
// record's offset, record_offset from ReadRecord).
//
// Thread-safety: not thread-safe. The File is not owned and must outlive the reader.
#ifndef LARDER_LSM_LOG_READER_H_
#define LARDER_LSM_LOG_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/status.h"
#include "lsm/log_format.h"

namespace larder::lsm {

class LogReader {
 public:
  enum class End : std::uint8_t { kNone, kEndOfFile, kTornTail, kCorruption, kIOError };

  // Reads `file` from `offset` (a record boundary) to `file_size` (its size, from File::Size;
  // bytes appended later are not read).
  LogReader(File* file, std::uint64_t offset, std::uint64_t file_size);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // The next intact record: its type, its payload (a view valid until the next call or the
  // reader's destruction) and the offset of its header. False once the log ends (see end()).
  bool ReadRecord(LogRecordType* type, std::string_view* payload,
                  std::uint64_t* record_offset = nullptr);

  End end() const { return end_; }
  const Status& status() const { return status_; }
  // The offset just after the last record returned (the start offset before the first).
  std::uint64_t end_offset() const { return pos_; }

 private:
  static constexpr std::size_t kChunk = std::size_t{256} << 10;

  // Makes the n bytes at pos_ available at buf_ + (pos_ - buf_off_). REQUIRES: pos_ + n <=
  // file_size_. False with end_ = kIOError on a failed or short read.
  bool Fill(std::size_t n);
  // Whether [from, file_size_) holds only zero bytes (reads it in chunks).
  bool ZerosFrom(std::uint64_t from);
  bool Stop(End why, std::string_view what);

  File* file_;
  std::uint64_t pos_;  // the next record's offset
  std::uint64_t file_size_;
  std::string buf_;  // file bytes [buf_off_, buf_off_ + buf_len_)
  std::uint64_t buf_off_ = 0;
  std::size_t buf_len_ = 0;
  End end_ = End::kNone;
  Status status_;
};

// "end of file", "torn tail", ... for messages and reports.
std::string_view LogEndName(LogReader::End end);

}  // namespace larder::lsm

#endif  // LARDER_LSM_LOG_READER_H_
