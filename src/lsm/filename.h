// The names of the files in an LSM database directory (docs/formats/lsm.md, "Directory and
// LOCK").
//
//   000007.vlog    a value log (also the write-ahead log), numbered from the shared counter
//   000012.sst     a sorted table
//   000013.tmp     a file being written that is renamed or deleted before it is used
//   MANIFEST       the version edits; MANIFEST.tmp while it is rewritten
//   LOCK           the directory lock, holding the holder's pid
//
// Numbers take six digits at least (000007), more when needed (1234567.sst); every number has
// exactly one name, so ParseFileName(VlogFileName(d, n)) gives n back and "0000007.sst" (seven
// digits for a number that fits six) is not a database file.
//
// Thread-safety: pure functions.
#ifndef LARDER_LSM_FILENAME_H_
#define LARDER_LSM_FILENAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace larder::lsm {

enum class FileType { kVlog, kTable, kTemp, kManifest, kManifestTmp, kLock };

// Paths "dir/NAME". `dir` may end with a slash.
std::string VlogFileName(std::string_view dir, std::uint64_t number);
std::string TableFileName(std::string_view dir, std::uint64_t number);
std::string TempFileName(std::string_view dir, std::uint64_t number);
std::string ManifestFileName(std::string_view dir);
std::string ManifestTmpFileName(std::string_view dir);
std::string LockFileName(std::string_view dir);

// The bare name of a numbered file: "000007.vlog". REQUIRES: type is kVlog, kTable or kTemp.
std::string NumberedFileName(std::uint64_t number, FileType type);

// Parses a directory entry's name (not a path). Sets *number (0 for the unnumbered files) and
// *type and returns true for the names above; false for anything else.
bool ParseFileName(std::string_view name, std::uint64_t* number, FileType* type);

}  // namespace larder::lsm

#endif  // LARDER_LSM_FILENAME_H_
