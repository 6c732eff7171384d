#include "lsm/filename.h"

#include <fmt/format.h>

namespace larder::lsm {
namespace {

constexpr std::string_view kManifestName = "MANIFEST";
constexpr std::string_view kManifestTmpName = "MANIFEST.tmp";
constexpr std::string_view kLockName = "LOCK";

std::string_view Suffix(FileType type) {
  switch (type) {
    case FileType::kVlog:
      return "vlog";
    case FileType::kTable:
      return "sst";
    default:
      return "tmp";
  }
}

std::string Join(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (!path.empty() && path.back() != '/') path.push_back('/');
  path.append(name);
  return path;
}

}  // namespace

std::string NumberedFileName(std::uint64_t number, FileType type) {
  return fmt::format("{:06}.{}", number, Suffix(type));
}

std::string VlogFileName(std::string_view dir, std::uint64_t number) {
  return Join(dir, NumberedFileName(number, FileType::kVlog));
}
std::string TableFileName(std::string_view dir, std::uint64_t number) {
  return Join(dir, NumberedFileName(number, FileType::kTable));
}
std::string TempFileName(std::string_view dir, std::uint64_t number) {
  return Join(dir, NumberedFileName(number, FileType::kTemp));
}
std::string ManifestFileName(std::string_view dir) { return Join(dir, kManifestName); }
std::string ManifestTmpFileName(std::string_view dir) { return Join(dir, kManifestTmpName); }
std::string LockFileName(std::string_view dir) { return Join(dir, kLockName); }

bool ParseFileName(std::string_view name, std::uint64_t* number, FileType* type) {
  if (name == kManifestName || name == kManifestTmpName || name == kLockName) {
    *number = 0;
    *type = name == kLockName       ? FileType::kLock
            : name == kManifestName ? FileType::kManifest
                                    : FileType::kManifestTmp;
    return true;
  }
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot < 6 || dot > 20) return false;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < dot; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (n > (~std::uint64_t{0} - digit) / 10) return false;  // overflow
    n = n * 10 + digit;
  }
  const std::string_view suffix = name.substr(dot + 1);
  FileType t;
  if (suffix == "vlog") {
    t = FileType::kVlog;
  } else if (suffix == "sst") {
    t = FileType::kTable;
  } else if (suffix == "tmp") {
    t = FileType::kTemp;
  } else {
    return false;
  }
  // One name per number: more than six digits only when the number needs them.
  if (dot > 6 && name[0] == '0') return false;
  *number = n;
  *type = t;
  return true;
}

}  // namespace larder::lsm
