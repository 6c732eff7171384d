// LogReplayer: the batches of one value-log file that recovery may apply, in order, and the
// offset to truncate the file at.
//
// It reads records with LogReader (log_reader.h) and returns each kBatch record's payload once
// it is known to be whole and consistent: it decodes (WriteBatchReader), and every value pointer
// naming this file names a kValue record of the right length read before it (value records
// precede their batch in the same append). The first batch that fails either check ends the
// replay like a damaged record does (point in time: nothing after it is applied).
//
// end_offset() is the offset just after the last batch returned: what follows it is either
// damage or value records that no durable batch points to (an append cut between a batch's
// values and the batch), so recovery truncates the file there.
//
// Thread-safety: not thread-safe. The File is not owned and must outlive the replayer.
#ifndef LARDER_LSM_LOG_REPLAY_H_
#define LARDER_LSM_LOG_REPLAY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "larder/file_system.h"
#include "larder/status.h"
#include "lsm/dbformat.h"
#include "lsm/log_reader.h"

namespace larder::lsm {

class LogReplayer {
 public:
  // Reads `file` (value-log number `file_number`) from offset 0 to `file_size`.
  LogReplayer(File* file, std::uint64_t file_number, std::uint64_t file_size);

  // The next batch: its bytes (WriteBatchInternal layout; a view valid until the next call) and
  // the offset of its record. False at the end: see end() and status().
  bool NextBatch(std::string_view* batch, std::uint64_t* record_offset = nullptr);

  // Why the replay ended: the reader's verdict, or kCorruption for a batch that failed a check.
  LogReader::End end() const { return end_; }
  // OK after a clean end of file, else Corruption (or the I/O error) naming file and offset;
  // only kIOError should fail recovery (see log_reader.h).
  const Status& status() const { return status_; }
  // Where recovery truncates the file before appending to it.
  std::uint64_t end_offset() const { return end_offset_; }

  // Over the batches returned so far.
  std::uint64_t batches() const { return batches_; }
  std::uint64_t entries() const { return entries_; }
  // The sequence number of the last entry returned (0 before any).
  SequenceNumber last_sequence() const { return last_sequence_; }

 private:
  // OK when every entry of `batch` decodes and its pointers into this file are to value records
  // seen; counts the entries.
  Status CheckBatch(std::string_view batch, std::uint32_t* count, SequenceNumber* first);

  File* file_;
  std::uint64_t file_number_;
  LogReader reader_;
  std::unordered_map<std::uint64_t, std::uint32_t> values_;  // value records: offset -> length
  LogReader::End end_ = LogReader::End::kNone;
  Status status_;
  std::uint64_t end_offset_ = 0;
  std::uint64_t batches_ = 0;
  std::uint64_t entries_ = 0;
  SequenceNumber last_sequence_ = 0;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_LOG_REPLAY_H_
