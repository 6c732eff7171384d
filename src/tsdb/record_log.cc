#include "tsdb/record_log.h"

#include <algorithm>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::tsdb {

Result<std::unique_ptr<RecordWriter>> RecordWriter::Open(FileSystem* fs, const std::string& path,
                                                         bool direct_io) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                          fs->NewAppendWriter(path, {.direct_io = direct_io}));
  return std::unique_ptr<RecordWriter>(new RecordWriter(std::move(w), direct_io));
}

Status RecordWriter::Add(RecordType type, std::string_view payload) {
  if (payload.size() > kMaxRecordPayload) return Status::InvalidArgument("record too large");
  std::string rec(kRecordHeaderSize, '\0');
  auto* h = reinterpret_cast<std::uint8_t*>(rec.data());
  StoreU32(h + 4, static_cast<std::uint32_t>(payload.size()));
  h[8] = static_cast<std::uint8_t>(type);
  rec += payload;
  h = reinterpret_cast<std::uint8_t*>(rec.data());  // the append may have moved it
  StoreU32(h, crc32c::MaskedValue(std::string_view(rec).substr(4)));
  return writer_->Append(rec);
}

Result<ReplayResult> ReplayRecords(FileSystem* fs, const std::string& path,
                                   const std::function<Status(RecordType, std::string_view)>& fn) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->Open(path, {.read_only = true}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, f->Size());
  std::string data(size, '\0');
  LARDER_ASSIGN_OR_RETURN(std::size_t got,
                          f->ReadAt(0, {reinterpret_cast<std::uint8_t*>(data.data()), size}));
  data.resize(got);
  ReplayResult r;
  r.file_size = size;
  std::string_view rest(data);
  while (rest.size() >= kRecordHeaderSize) {
    const auto* h = reinterpret_cast<const std::uint8_t*>(rest.data());
    const std::uint32_t len = LoadU32(h + 4);
    if (len > kMaxRecordPayload || len > rest.size() - kRecordHeaderSize) break;
    const std::string_view body = rest.substr(4, 5 + std::size_t{len});
    if (LoadU32(h) != crc32c::MaskedValue(body)) break;
    LARDER_RETURN_IF_ERROR(fn(static_cast<RecordType>(h[8]), body.substr(5)));
    rest.remove_prefix(kRecordHeaderSize + len);
    r.valid_end += kRecordHeaderSize + len;
    ++r.records;
  }
  // Damage rather than a torn tail: an intact record follows the bad one (a crash tears only
  // what was not synced, and records are synced in order). Looked for within 1 MiB.
  const std::size_t limit = std::min<std::size_t>(rest.size(), std::size_t{1} << 20);
  for (std::size_t pos = 1; pos + kRecordHeaderSize <= limit && !r.damaged; ++pos) {
    const auto* h = reinterpret_cast<const std::uint8_t*>(rest.data()) + pos;
    const std::uint32_t len = LoadU32(h + 4);
    if (len > rest.size() - pos - kRecordHeaderSize) continue;
    const std::string_view body = rest.substr(pos + 4, 5 + std::size_t{len});
    r.damaged = LoadU32(h) == crc32c::MaskedValue(body);
  }
  return r;
}

}  // namespace larder::tsdb
