// The MANIFEST's file framing (docs/formats/lsm.md, "MANIFEST and version edits"): a 16-byte
// file header, then records, each one encoded VersionEdit:
//
//   header  "LarderMF" | fixed32 version (1) | fixed32 masked CRC32C of the 12 bytes before
//   record  fixed32 length | fixed32 masked CRC32C of the length's 4 bytes
//           | fixed32 masked CRC32C of the payload | payload (length bytes)
//
// The length has its own checksum so that a damaged length is told from a torn tail: a record
// whose length is wrong is not taken as "the file ends here".
//
// Recovery rule (ParseManifest): records are taken in order up to the first bad one (bad header
// checksum, length past the end, bad payload checksum). That bad record is a torn tail, left by
// a crash in the middle of the last append (whose edit was never acknowledged), only when no
// intact record starts anywhere after it; then it and everything after it are ignored. Otherwise
// the MANIFEST is damaged in the middle and the parse fails with Corruption naming the file and
// the offset: later, acknowledged edits are never dropped silently. (A damaged LAST record is
// indistinguishable from a torn one and is ignored too.)
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

namespace larder::lsm {

inline constexpr std::size_t kManifestHeaderSize = 16;
inline constexpr std::size_t kManifestRecordHeaderSize = 12;

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
  std::uint64_t size() const { return writer_->size(); }

 private:
  explicit ManifestWriter(std::unique_ptr<AppendWriter> w) : writer_(std::move(w)) {}
  std::unique_ptr<AppendWriter> writer_;
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

// Reads the whole file at `path` into *contents (NotFound when absent).
[[nodiscard]] Status ReadWholeFile(FileSystem* fs, const std::string& path, std::string* contents);

}  // namespace larder::lsm

#endif  // LARDER_LSM_MANIFEST_LOG_H_
