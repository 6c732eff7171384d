// Arbitrary bytes as an LSM backup file (DB::Backup, lsm::Restore): ParseBackup must return OK or
// Corruption, never crash or read outside the input; a file it accepts must encode back to the
// same bytes from its parsed header and entries (nothing accepted that the writer would not
// write). A crash, a sanitizer report or a broken contract (abort) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lsm/backup_format.h"

namespace fuzz_lsm_backup {

void Check(std::string_view input) {
  using namespace larder::lsm;
  ParsedBackup parsed;
  larder::Status s = ParseBackup(input, "fuzz.backup", &parsed);
  if (!s.ok()) {
    if (!s.IsCorruption()) std::abort();
    return;
  }
  std::string again = EncodeBackupHeader(parsed.sequence, parsed.since);
  for (const BackupEntry& e : parsed.entries) AppendBackupEntry(&again, e);
  AppendBackupEnd(&again, parsed.entries.size());
  if (again != input) std::abort();
}

}  // namespace fuzz_lsm_backup

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_lsm_backup::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
