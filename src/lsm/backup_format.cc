#include "lsm/backup_format.h"

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::lsm {

namespace {

constexpr std::string_view kBackupMagic = "LarderBK";

void AppendFramed(std::string* dst, std::string_view payload) {
  PutFixed32(dst, static_cast<std::uint32_t>(payload.size()));
  PutFixed32(dst, crc32c::MaskedValue(payload));
  dst->append(payload);
}

bool DecodeEntry(std::string_view payload, BackupEntry* e) {
  e->kind = static_cast<BackupKind>(payload[0]);
  payload.remove_prefix(1);
  if (!GetLengthPrefixed(&payload, &e->key)) return false;
  switch (e->kind) {
    case BackupKind::kUnchanged:
      return payload.empty();
    case BackupKind::kPutExpiring:
      if (payload.size() < 8) return false;
      e->expires = LoadU64(reinterpret_cast<const std::uint8_t*>(payload.data()));
      payload.remove_prefix(8);
      [[fallthrough]];
    case BackupKind::kPut:
      return GetLengthPrefixed(&payload, &e->value) && payload.empty();
    default:
      return false;
  }
}

}  // namespace

std::string EncodeBackupHeader(SequenceNumber sequence, SequenceNumber since) {
  std::string h(kBackupMagic);
  PutFixed32(&h, 1);
  PutFixed64(&h, sequence);
  PutFixed64(&h, since);
  PutFixed32(&h, crc32c::MaskedValue(h));
  return h;
}

void AppendBackupEntry(std::string* dst, const BackupEntry& e) {
  std::string payload(1, static_cast<char>(e.kind));
  PutLengthPrefixed(&payload, e.key);
  if (e.kind == BackupKind::kPutExpiring) PutFixed64(&payload, e.expires);
  if (e.kind != BackupKind::kUnchanged) PutLengthPrefixed(&payload, e.value);
  AppendFramed(dst, payload);
}

void AppendBackupEnd(std::string* dst, std::uint64_t count) {
  std::string payload(1, static_cast<char>(BackupKind::kEnd));
  PutFixed64(&payload, count);
  AppendFramed(dst, payload);
}

Status ParseBackup(std::string_view in, const std::string& path, ParsedBackup* out) {
  *out = ParsedBackup{};
  auto bad = [&](std::uint64_t offset, std::string_view what) {
    return Status::Corruption("backup file " + path + " at offset " + std::to_string(offset) +
                              ": " + std::string(what));
  };
  if (in.size() < kBackupHeaderSize || in.substr(0, 8) != kBackupMagic) {
    return bad(0, "not a backup file (bad magic)");
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  if (LoadU32(p + 28) != crc32c::MaskedValue(in.substr(0, 28)))
    return bad(0, "header checksum mismatch");
  if (LoadU32(p + 8) != 1) return bad(8, "unknown version");
  out->sequence = LoadU64(p + 12);
  out->since = LoadU64(p + 20);
  std::uint64_t pos = kBackupHeaderSize;
  while (true) {
    if (in.size() - pos < 8) return bad(pos, "truncated (no end record)");
    const std::uint32_t len = LoadU32(p + pos);
    if (len > in.size() - pos - 8) return bad(pos, "record length past the end of the file");
    std::string_view payload = in.substr(pos + 8, len);
    if (crc32c::MaskedValue(payload) != LoadU32(p + pos + 4))
      return bad(pos, "record checksum mismatch");
    if (payload.empty()) return bad(pos, "empty record");
    if (static_cast<BackupKind>(payload[0]) == BackupKind::kEnd) {
      if (payload.size() != 1 + 8 || LoadU64(p + pos + 9) != out->entries.size()) {
        return bad(pos, "end record does not match the records");
      }
      if (pos + 8 + len != in.size()) return bad(pos + 8 + len, "bytes after the end record");
      return Status::Ok();
    }
    BackupEntry e;
    if (!DecodeEntry(payload, &e)) return bad(pos, "malformed record");
    out->entries.push_back(e);
    pos += 8 + len;
  }
}

}  // namespace larder::lsm
