// The backup file of DB::Backup and lsm::Restore (docs/formats/lsm.md, "Backup file"): encoding
// of the header and records, and the checked parse of a whole file.
//
// Thread-safety: pure functions and values.
#ifndef LARDER_LSM_BACKUP_FORMAT_H_
#define LARDER_LSM_BACKUP_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/status.h"
#include "lsm/dbformat.h"

namespace larder::lsm {

inline constexpr std::size_t kBackupHeaderSize = 32;
enum class BackupKind : std::uint8_t { kPut = 1, kPutExpiring = 2, kUnchanged = 3, kEnd = 4 };

struct BackupEntry {
  BackupKind kind = BackupKind::kPut;
  std::string_view key;
  std::uint64_t expires = 0;  // kPutExpiring
  std::string_view value;     // kPut, kPutExpiring
};

// The file header for a backup at `sequence` (`since`: 0 for a full backup).
std::string EncodeBackupHeader(SequenceNumber sequence, SequenceNumber since);
// Appends one framed record holding `e` (or the end record, with `count`) to *dst.
void AppendBackupEntry(std::string* dst, const BackupEntry& e);
void AppendBackupEnd(std::string* dst, std::uint64_t count);

// A parsed backup file: views into the contents given to ParseBackup.
struct ParsedBackup {
  SequenceNumber sequence = 0;
  SequenceNumber since = 0;
  std::vector<BackupEntry> entries;
};

// Parses and checks a whole backup file: magic, version, header and record checksums, lengths
// within the file, every record well formed, the end record last with the right count.
// Corruption naming `path` and the offset otherwise.
[[nodiscard]] Status ParseBackup(std::string_view contents, const std::string& path,
                                 ParsedBackup* out);

}  // namespace larder::lsm

#endif  // LARDER_LSM_BACKUP_FORMAT_H_
