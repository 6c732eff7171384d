// The MANIFEST's file framing (docs/formats/lsm.md, "MANIFEST and version edits"): a 16-byte
// file header, then records in the value log's framing (log_format.h), each one encoded
// VersionEdit in a record of type kManifestRecordType:
//
//   header  "LarderMF" | fixed32 version (1) | fixed32 masked CRC32C of the 12 bytes before
//   record  masked CRC32C | fixed32 length | type | payload    (log_format.h)
//
// Recovery rule (ParseManifest), stricter than the value log's: records are taken in order up
// to the first one that is not intact. That one is a torn tail, left by a crash in the middle of
// the last append (whose edit was never acknowledged), only when no intact record starts
// anywhere after it; then it and everything after it are ignored. Otherwise the MANIFEST is
// damaged in the middle and the parse fails with Corruption naming the file and the offset:
// later, acknowledged edits are never dropped silently, even when the damage is to a length. (A
// damaged LAST record is indistinguishable from a torn one and is ignored too.)
//
// Thread-safety: ManifestWriter is used by one thread at a time; ParseManifest is pure.
#ifndef LARDER_LSM_MANIFEST_LOG_H_
#define LARDER_LSM_MANIFEST_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"
#include "lsm/log_format.h"
#include "lsm/log_writer.h"

namespace larder::lsm {

inline constexpr std::size_t kManifestHeaderSize = 16;
inline constexpr std::size_t kManifestRecordHeaderSize = kLogHeaderSize;
// MANIFEST records reuse the log's type 1; a MANIFEST is never read as a value log (its file
// header differs) and the payload is a VersionEdit.
inline constexpr LogRecordType kManifestRecordType = LogRecordType::kBatch;

// Appends records to a MANIFEST through an AppendWriter.
class ManifestWriter {
 public:
  // Creates `path` (replacing any file there) and writes the file header; nothing is durable
  // until Sync.
  static Result<std::unique_ptr<ManifestWriter>> Create(FileSystem* fs, const std::string& path);
  // Appends to an existing MANIFEST of `size` bytes whose records all parsed (no torn tail).
  static Result<std::unique_ptr<ManifestWriter>> Reopen(FileSystem* fs, const std::string& path,
                                                        std::uint64_t size);

  // Buffers one record (flushed to the file by Sync).
  [[nodiscard]] Status AddRecord(std::string_view payload);
  // Writes and fsyncs everything added.
  [[nodiscard]] Status Sync();
  [[nodiscard]] Status Close();
  std::uint64_t size() const { return log_.size(); }

 private:
  explicit ManifestWriter(std::unique_ptr<AppendWriter> w) : log_(std::move(w)) {}
  LogWriter log_;
};

// One MANIFEST's records, as parsed.
struct ParsedManifest {
  std::vector<std::string_view> records;  // views into the contents given to ParseManifest
  std::vector<std::uint64_t> offsets;     // file offset of each record's header
  std::uint64_t valid_bytes = 0;          // the end of the last intact record
  bool torn_tail = false;                 // bytes after valid_bytes were ignored
};

// Parses a MANIFEST's whole contents (see the recovery rule above). Corruption names `path`.
[[nodiscard]] Status ParseManifest(std::string_view contents, const std::string& path,
                                   ParsedManifest* out);

}  // namespace larder::lsm

#endif  // LARDER_LSM_MANIFEST_LOG_H_
