#include "lsm/manifest_log.h"

#include <fmt/format.h>

#include <cstring>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::lsm {
namespace {

constexpr char kMagic[8] = {'L', 'a', 'r', 'd', 'e', 'r', 'M', 'F'};
constexpr std::uint32_t kVersion = 1;

std::string FileHeader() {
  std::string h(kMagic, sizeof kMagic);
  PutFixed32(&h, kVersion);
  PutFixed32(&h, crc32c::MaskedValue(h));
  return h;
}

// The payload length of a record at the front of `in` that could be intact (type and length
// plausible), +1; 0 when it cannot be.
std::uint64_t CandidateLength(std::string_view in) {
  if (in.size() < kLogHeaderSize) return 0;
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  const std::uint32_t len = LoadU32(p + 4);
  if (p[8] != static_cast<std::uint8_t>(kManifestRecordType) || len > kMaxRecordSize ||
      len > in.size() - kLogHeaderSize) {
    return 0;
  }
  return std::uint64_t{len} + 1;
}

// The length of the record at the front of `in` when it is intact.
bool IntactRecordAt(std::string_view in, std::uint32_t* length) {
  if (CandidateLength(in) == 0) return false;
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  const std::uint32_t len = LoadU32(p + 4);
  if (LoadU32(p) != LogRecordCrc(p, in.substr(kLogHeaderSize, len))) return false;
  *length = len;
  return true;
}

}  // namespace

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Create(FileSystem* fs,
                                                               const std::string& path) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                          fs->NewAppendWriter(path, {.buffer_size = 32 << 10, .truncate = true}));
  LARDER_RETURN_IF_ERROR(w->Append(FileHeader()));
  return std::unique_ptr<ManifestWriter>(new ManifestWriter(std::move(w)));
}

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Reopen(FileSystem* fs,
                                                               const std::string& path,
                                                               std::uint64_t size) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->Open(path, {}));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                          AppendWriter::Create(std::move(f), size, {.buffer_size = 32 << 10}));
  return std::unique_ptr<ManifestWriter>(new ManifestWriter(std::move(w)));
}

Status ManifestWriter::AddRecord(std::string_view payload) {
  return log_.AddRecord(kManifestRecordType, payload);
}

Status ManifestWriter::Sync() { return log_.Sync(); }
Status ManifestWriter::Close() { return log_.Close(); }

Status ParseManifest(std::string_view contents, const std::string& path, ParsedManifest* out) {
  *out = ParsedManifest();
  if (contents.size() < kManifestHeaderSize ||
      contents.substr(0, kManifestHeaderSize) != std::string_view(FileHeader())) {
    return Status::Corruption(
        fmt::format("{}: not a MANIFEST of this version (bad file header at offset 0)", path));
  }
  std::size_t pos = kManifestHeaderSize;
  while (pos < contents.size()) {
    std::uint32_t len = 0;
    if (IntactRecordAt(contents.substr(pos), &len)) {
      out->offsets.push_back(pos);
      out->records.push_back(contents.substr(pos + kManifestRecordHeaderSize, len));
      pos += kManifestRecordHeaderSize + len;
      continue;
    }
    // A bad record: a torn tail only when nothing intact follows it. The checksums tried are
    // bounded (a crafted file could make the scan quadratic); past the budget the damage is
    // reported rather than assumed torn.
    std::uint64_t budget = 16 * std::uint64_t{contents.size()} + (std::uint64_t{1} << 20);
    for (std::size_t later = pos + 1; later + kManifestRecordHeaderSize <= contents.size();
         ++later) {
      const std::uint64_t cost = CandidateLength(contents.substr(later));
      if (cost > budget) {
        return Status::Corruption(fmt::format(
            "{}: damaged record at offset {} (too much after it to rule out intact records)", path,
            pos));
      }
      budget -= cost;
      if (cost != 0 && IntactRecordAt(contents.substr(later), &len)) {
        return Status::Corruption(
            fmt::format("{}: damaged record at offset {} followed by intact records (at offset {})",
                        path, pos, later));
      }
    }
    out->torn_tail = true;
    break;
  }
  out->valid_bytes = pos;
  return Status::Ok();
}

}  // namespace larder::lsm
