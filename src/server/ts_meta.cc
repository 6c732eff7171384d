#include "server/ts_meta.h"

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::server {
namespace {

constexpr std::string_view kMagic = "LTSM";
constexpr std::uint32_t kVersion = 2;
constexpr std::size_t kHeaderBytes = 8;
constexpr std::size_t kRecordHeaderBytes = 8;

// Frames a payload: CRC32C, length, payload.
void Frame(const std::string& b, std::string* out) {
  PutFixed32(out, Crc32c(AsBytes(b)));
  PutFixed32(out, static_cast<std::uint32_t>(b.size()));
  *out += b;
}

// One record: CRC32C, length, payload.
void AppendRecord(const std::string& name, const TsSeriesMeta& m, std::string* out) {
  std::string b;
  PutLengthPrefixed(&b, name);
  PutVarint64(&b, static_cast<std::uint64_t>(m.retention_ms));
  b.push_back(static_cast<char>(m.duplicate_policy));
  PutVarint64(&b, m.labels.size());
  for (const auto& [k, v] : m.labels) {
    PutLengthPrefixed(&b, k);
    PutLengthPrefixed(&b, v);
  }
  PutVarint64(&b, m.rules.size());
  for (const TsRule& r : m.rules) {
    PutLengthPrefixed(&b, r.dest);
    b.push_back(static_cast<char>(r.aggregation));
    PutVarint64(&b, static_cast<std::uint64_t>(r.bucket_ms));
    PutVarint64(&b, static_cast<std::uint64_t>(r.align_ms));
  }
  Frame(b, out);
}

// Reads one value of the body; false at a truncated or out-of-range field.
bool GetString(std::string_view* in, std::string* out) {
  std::string_view v;
  if (!GetLengthPrefixed(in, &v)) return false;
  out->assign(v);
  return true;
}

bool GetTime(std::string_view* in, std::int64_t* out) {
  std::uint64_t v;
  if (!GetVarint64(in, &v) || v > static_cast<std::uint64_t>(tsdb::kMaxTime)) return false;
  *out = static_cast<std::int64_t>(v);
  return true;
}

bool GetByte(std::string_view* in, std::uint8_t max, std::uint8_t* out) {
  if (in->empty() || static_cast<std::uint8_t>((*in)[0]) > max) return false;
  *out = static_cast<std::uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return true;
}

bool DecodeSeries(std::string_view* in, TsMetaTable* table) {
  std::string name;
  TsSeriesMeta m;
  std::uint8_t policy;
  std::uint64_t labels, rules;
  if (!GetString(in, &name)) return false;
  if (in->empty()) {  // a deletion (AppendTsMetaDeletion)
    table->erase(name);
    return true;
  }
  if (!GetTime(in, &m.retention_ms) ||
      !GetByte(in, static_cast<std::uint8_t>(DuplicatePolicy::kSum), &policy) ||
      !GetVarint64(in, &labels) || labels > in->size()) {
    return false;
  }
  m.duplicate_policy = static_cast<DuplicatePolicy>(policy);
  for (std::uint64_t i = 0; i < labels; ++i) {
    std::string k, v;
    if (!GetString(in, &k) || !GetString(in, &v)) return false;
    m.labels.emplace_back(std::move(k), std::move(v));
  }
  if (!GetVarint64(in, &rules) || rules > in->size()) return false;
  for (std::uint64_t i = 0; i < rules; ++i) {
    TsRule r;
    std::uint8_t agg;
    if (!GetString(in, &r.dest) ||
        !GetByte(in, static_cast<std::uint8_t>(tsdb::Aggregation::kTwa), &agg) ||
        !GetTime(in, &r.bucket_ms) || !GetTime(in, &r.align_ms)) {
      return false;
    }
    r.aggregation = static_cast<tsdb::Aggregation>(agg);
    m.rules.push_back(std::move(r));
  }
  (*table)[std::move(name)] = std::move(m);
  return true;
}

}  // namespace

Result<TsMetaLog> LoadTsMeta(FileSystem* fs, const std::string& path) {
  TsMetaLog log;
  LARDER_ASSIGN_OR_RETURN(log.exists, fs->Exists(path));
  if (!log.exists) return log;
  OpenOptions options;
  options.read_only = true;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(path, options));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  auto corrupt = [&](std::uint64_t offset, std::string_view what) {
    return Status::Corruption(fmt::format("{} at offset {}: {}", path, offset, what));
  };
  if (size < kHeaderBytes || size > (std::uint64_t{1} << 32)) return corrupt(0, "bad file size");
  std::string data(size, '\0');
  LARDER_ASSIGN_OR_RETURN(
      std::size_t n, file->ReadAt(0, {reinterpret_cast<std::uint8_t*>(data.data()), data.size()}));
  if (n != size) return corrupt(n, "short read");
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  if (std::string_view(data).substr(0, 4) != kMagic) return corrupt(0, "bad magic");
  if (LoadU32(p + 4) != kVersion) return corrupt(4, "unknown version");
  std::uint64_t at = kHeaderBytes;
  while (at < size) {
    const std::uint64_t left = size - at;
    const std::uint64_t length = left >= kRecordHeaderBytes ? LoadU32(p + at + 4) : left;
    if (left < kRecordHeaderBytes || length > left - kRecordHeaderBytes) {
      log.torn_tail = true;  // cut short: the last append did not complete
      break;
    }
    const std::uint64_t end = at + kRecordHeaderBytes + length;
    std::string_view payload = std::string_view(data).substr(at + kRecordHeaderBytes, length);
    if (Crc32c(AsBytes(payload)) != LoadU32(p + at)) {
      if (end == size) {
        log.torn_tail = true;
        break;
      }
      return corrupt(at, "record checksum mismatch");
    }
    if (!DecodeSeries(&payload, &log.table) || !payload.empty()) {
      return corrupt(at, "bad record");
    }
    ++log.records;
    at = end;
  }
  return log;
}

Status RewriteTsMeta(FileSystem* fs, const std::string& path, const TsMetaTable& table) {
  std::string data(kMagic);
  PutFixed32(&data, kVersion);
  for (const auto& [name, meta] : table) AppendRecord(name, meta, &data);
  const std::string tmp = path + ".tmp";
  OpenOptions options;
  options.create = true;
  {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(tmp, options));
    LARDER_RETURN_IF_ERROR(file->Truncate(0));
    LARDER_RETURN_IF_ERROR(file->WriteAt(0, AsBytes(data)));
    LARDER_RETURN_IF_ERROR(file->Sync());
  }
  return InstallFile(fs, tmp, path);
}

namespace {
Status AppendAndSync(FileSystem* fs, const std::string& path, const std::string& record) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(path, OpenOptions{}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  LARDER_RETURN_IF_ERROR(file->WriteAt(size, AsBytes(record)));
  return file->Sync();
}
}  // namespace

Status AppendTsMeta(FileSystem* fs, const std::string& path, const std::string& name,
                    const TsSeriesMeta& meta) {
  std::string record;
  AppendRecord(name, meta, &record);
  return AppendAndSync(fs, path, record);
}

Status AppendTsMetaDeletion(FileSystem* fs, const std::string& path, const std::string& name) {
  std::string b, record;
  PutLengthPrefixed(&b, name);
  Frame(b, &record);
  return AppendAndSync(fs, path, record);
}

}  // namespace larder::server
