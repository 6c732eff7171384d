#include "lsm/vlog_pointer.h"

#include <fmt/format.h>

#include <limits>

#include "base/coding.h"
#include "lsm/log_format.h"

namespace larder::lsm {

void VlogPointer::EncodeTo(std::string* dst) const {
  char buf[kMaxEncodedLength];
  dst->append(buf, EncodeTo(buf));
}

std::size_t VlogPointer::EncodeTo(char* dst) const {
  auto* p = reinterpret_cast<std::uint8_t*>(dst);
  std::uint8_t* end = EncodeVarint64(p, file_number);
  end = EncodeVarint64(end, offset);
  end = EncodeVarint32(end, length);
  return static_cast<std::size_t>(end - p);
}

bool VlogPointer::DecodeFrom(std::string_view* in) {
  std::string_view rest = *in;
  VlogPointer p;
  if (!GetVarint64(&rest, &p.file_number) || !GetVarint64(&rest, &p.offset) ||
      !GetVarint32(&rest, &p.length)) {
    return false;
  }
  *this = p;
  *in = rest;
  return true;
}

namespace {

Status CorruptRecord(std::string_view path, const VlogPointer& ptr, std::string_view what) {
  return Status::Corruption(
      fmt::format("{}: value record at offset {}: {}", path, ptr.offset, what));
}

// The checks of a record's header: length within the limit, the record whole in `record`, type
// kValue, length equal to the pointer's.
Status CheckValueHeader(std::span<const std::uint8_t> record, const VlogPointer& ptr,
                        std::string_view path) {
  if (ptr.length > kMaxRecordSize) {
    return CorruptRecord(path, ptr, "pointer length exceeds the record limit");
  }
  const std::size_t total = kLogHeaderSize + ptr.length;
  if (record.size() < total) {
    return CorruptRecord(
        path, ptr,
        fmt::format("file ends after {} of the record's {} bytes", record.size(), total));
  }
  const std::uint8_t* buf = record.data();
  if (buf[8] != static_cast<std::uint8_t>(LogRecordType::kValue)) {
    return CorruptRecord(path, ptr, fmt::format("record type {} is not a value", buf[8]));
  }
  const std::uint32_t length = LoadU32(buf + 4);
  if (length != ptr.length) {
    return CorruptRecord(
        path, ptr, fmt::format("record length {} but the pointer says {}", length, ptr.length));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string_view> CheckValueRecord(std::span<const std::uint8_t> record,
                                          const VlogPointer& ptr, std::string_view path) {
  LARDER_RETURN_IF_ERROR(CheckValueHeader(record, ptr, path));
  const std::string_view payload(reinterpret_cast<const char*>(record.data()) + kLogHeaderSize,
                                 ptr.length);
  if (LoadU32(record.data()) != LogRecordCrc(record.data(), payload)) {
    return CorruptRecord(path, ptr, "checksum mismatch");
  }
  return payload;
}

Status CopyValueRecord(std::span<const std::uint8_t> record, const VlogPointer& ptr,
                       std::string_view path, std::string* out) {
  LARDER_RETURN_IF_ERROR(CheckValueHeader(record, ptr, path));
  out->assign(reinterpret_cast<const char*>(record.data()) + kLogHeaderSize, ptr.length);
  if (LoadU32(record.data()) != LogRecordCrc(record.data(), *out)) {
    out->clear();
    return CorruptRecord(path, ptr, "checksum mismatch");
  }
  return Status::Ok();
}

Status ReadValue(File& file, const VlogPointer& ptr, std::string* out) {
  if (ptr.length > kMaxRecordSize) {
    return CorruptRecord(file.path(), ptr, "pointer length exceeds the record limit");
  }
  const std::size_t total = kLogHeaderSize + ptr.length;
  // A damaged pointer's offset may lie past any file (a read there is EINVAL, not a short read).
  constexpr std::uint64_t kMaxFileOffset = std::numeric_limits<std::int64_t>::max();
  if (ptr.offset > kMaxFileOffset - total) {
    return CorruptRecord(file.path(), ptr, "offset past the largest possible file");
  }
  // Allocate only what the file can hold: up to kUncheckedBytes without asking its size (the
  // read below tells when it is shorter), beyond that after checking the size (a syscall that
  // costs little beside reading that much).
  constexpr std::size_t kUncheckedBytes = std::size_t{1} << 20;
  if (total > kUncheckedBytes) {
    LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file.Size());
    if (ptr.offset > size || total > size - ptr.offset) {
      return CorruptRecord(
          file.path(), ptr,
          fmt::format("a {}-byte record does not fit in the file's {} bytes", total, size));
    }
  }
  out->resize(total);
  auto* buf = reinterpret_cast<std::uint8_t*>(out->data());
  LARDER_ASSIGN_OR_RETURN(std::size_t n, file.ReadAt(ptr.offset, {buf, total}));
  Result<std::string_view> payload = CheckValueRecord({buf, n}, ptr, file.path());
  if (!payload.ok()) {
    out->clear();
    return payload.status();
  }
  out->erase(0, kLogHeaderSize);
  return Status::Ok();
}

}  // namespace larder::lsm
