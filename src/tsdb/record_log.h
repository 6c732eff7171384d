// The record format shared by the engine's journals, series.meta and hot logs
// (docs/formats/tsdb.md, "Records"):
//
//   u32 masked CRC-32C of the rest   u32 payload length   u8 type   payload
//
// Files are append-only; a record is durable once a later Sync returns. Replay stops at the
// first record that is not intact (a torn tail, or zeros left by direct-I/O padding) and reports
// where: the caller cuts the file there, never skipping over damage to later records.
//
// Thread-safety: RecordWriter is not thread-safe (one thread, or an outside lock).
#ifndef LARDER_TSDB_RECORD_LOG_H_
#define LARDER_TSDB_RECORD_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::tsdb {

enum class RecordType : std::uint8_t {
  kCreateSeries = 1,  // series.meta: id, interval, name
  kSetInterval = 2,   // series.meta: id, interval
  kExtent = 3,        // journal: an extent and its pages
  kSamples = 4,       // hot log: samples of one series
  kDeleteRange = 5,   // series.meta: id, first and last deleted time
  kLateSample = 6,    // series.meta: id, time, value bits (Upsert at or before the last time)
  kDropSeries = 7,    // series.meta: id (the series is gone; its name free again)
};

inline constexpr std::size_t kRecordHeaderSize = 9;
inline constexpr std::uint32_t kMaxRecordPayload = std::uint32_t{64} << 20;

class RecordWriter {
 public:
  // Appends to `path` (created when missing) from its current size.
  static Result<std::unique_ptr<RecordWriter>> Open(FileSystem* fs, const std::string& path,
                                                    bool direct_io);
  Status Add(RecordType type, std::string_view payload);
  Status Sync() { return writer_->Sync(); }
  Status Close() { return writer_->Close(); }
  std::uint64_t size() const { return writer_->size(); }
  bool direct_io() const { return direct_io_; }

 private:
  RecordWriter(std::unique_ptr<AppendWriter> w, bool direct)
      : writer_(std::move(w)), direct_io_(direct) {}
  std::unique_ptr<AppendWriter> writer_;
  bool direct_io_;
};

struct ReplayResult {
  std::uint64_t valid_end = 0;  // the offset after the last intact record
  std::uint64_t file_size = 0;
  std::uint64_t records = 0;
  // Replay stopped at a bad record followed by an intact one: damage to synced data, not a
  // torn append. Callers must not cut the file then.
  bool damaged = false;
};

// Reads `path` record by record, calling `fn` for each intact one; an error from `fn` ends the
// replay with that error. Stops quietly at the first record that is not intact.
Result<ReplayResult> ReplayRecords(FileSystem* fs, const std::string& path,
                                   const std::function<Status(RecordType, std::string_view)>& fn);

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_RECORD_LOG_H_
