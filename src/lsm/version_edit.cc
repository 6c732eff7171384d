#include "lsm/version_edit.h"

#include <fmt/format.h>

#include "base/coding.h"

namespace larder::lsm {
namespace {

// Record tags: stored in MANIFESTs, never renumber. An unknown tag is Corruption.
enum Tag : std::uint32_t {
  kLogNumber = 1,
  kLogOffset = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kNewFile = 5,
  kDeletedFile = 6,
  kAddVlog = 7,
  kRemoveVlog = 8,
  kVlogDiscard = 9,
  kCompactPointer = 10,
};

// A cursor over an encoded edit that knows its offset, for error messages.
class Decoder {
 public:
  explicit Decoder(std::string_view src) : src_(src), in_(src) {}
  bool done() const { return in_.empty(); }
  std::size_t offset() const { return src_.size() - in_.size(); }

  Status Varint(std::uint64_t* v, std::string_view what) {
    if (!GetVarint64(&in_, v)) return Bad("bad " + std::string(what));
    return Status::Ok();
  }
  Status Level(int* level) {
    const std::size_t at = offset();
    std::uint64_t v = 0;
    LARDER_RETURN_IF_ERROR(Varint(&v, "level"));
    if (v >= static_cast<std::uint64_t>(kMaxNumLevels)) {
      return Status::Corruption(
          fmt::format("version edit: level {} out of range at offset {}", v, at));
    }
    *level = static_cast<int>(v);
    return Status::Ok();
  }
  Status Sequence(SequenceNumber* s, std::string_view what) {
    LARDER_RETURN_IF_ERROR(Varint(s, what));
    if (*s > kMaxSequenceNumber) return Bad(std::string(what) + " exceeds 56 bits");
    return Status::Ok();
  }
  Status InternalKey(std::string* key, std::string_view what) {
    const std::size_t at = offset();
    std::string_view v;
    ParsedInternalKey parsed;
    if (!GetLengthPrefixed(&in_, &v) || !ParseInternalKey(v, &parsed)) {
      return Status::Corruption(
          fmt::format("version edit: bad {} (not an internal key) at offset {}", what, at));
    }
    key->assign(v);
    return Status::Ok();
  }
  Status Bad(std::string_view what) const {
    return Status::Corruption(fmt::format("version edit: {} at offset {}", what, offset()));
  }

 private:
  std::string_view src_;
  std::string_view in_;
};

Status DecodeFile(Decoder* d, FileMetaData* f) {
  LARDER_RETURN_IF_ERROR(d->Varint(&f->number, "file number"));
  LARDER_RETURN_IF_ERROR(d->Varint(&f->file_size, "file size"));
  LARDER_RETURN_IF_ERROR(d->InternalKey(&f->smallest, "smallest key"));
  LARDER_RETURN_IF_ERROR(d->InternalKey(&f->largest, "largest key"));
  LARDER_RETURN_IF_ERROR(d->Sequence(&f->smallest_seq, "smallest sequence"));
  LARDER_RETURN_IF_ERROR(d->Sequence(&f->largest_seq, "largest sequence"));
  LARDER_RETURN_IF_ERROR(d->Varint(&f->num_entries, "entry count"));
  LARDER_RETURN_IF_ERROR(d->Varint(&f->num_deletions, "deletion count"));
  LARDER_RETURN_IF_ERROR(d->Varint(&f->num_range_deletions, "range deletion count"));
  if (CompareInternalKeys(f->smallest, f->largest) > 0) {
    return d->Bad(fmt::format("table {} has smallest key after largest", f->number));
  }
  if (f->smallest_seq > f->largest_seq || f->num_deletions > f->num_entries ||
      f->num_range_deletions > f->num_deletions) {
    return d->Bad(fmt::format("table {} has inconsistent counts or sequences", f->number));
  }
  return Status::Ok();
}

void PutOptional(std::string* dst, Tag tag, const std::optional<std::uint64_t>& v) {
  if (!v) return;
  PutVarint32(dst, tag);
  PutVarint64(dst, *v);
}

template <class T>
Status SetOnce(Decoder* d, std::optional<T>* field, std::string_view what) {
  if (field->has_value()) return d->Bad(fmt::format("{} given twice", what));
  T v{};
  LARDER_RETURN_IF_ERROR(d->Varint(&v, what));
  *field = v;
  return Status::Ok();
}

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  PutOptional(dst, kLogNumber, log_number_);
  PutOptional(dst, kLogOffset, log_offset_);
  PutOptional(dst, kNextFileNumber, next_file_number_);
  PutOptional(dst, kLastSequence, last_sequence_);
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<std::uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest);
    PutLengthPrefixed(dst, f.largest);
    PutVarint64(dst, f.smallest_seq);
    PutVarint64(dst, f.largest_seq);
    PutVarint64(dst, f.num_entries);
    PutVarint64(dst, f.num_deletions);
    PutVarint64(dst, f.num_range_deletions);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<std::uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (std::uint64_t n : added_vlogs_) {
    PutVarint32(dst, kAddVlog);
    PutVarint64(dst, n);
  }
  for (std::uint64_t n : removed_vlogs_) {
    PutVarint32(dst, kRemoveVlog);
    PutVarint64(dst, n);
  }
  for (const auto& [n, bytes] : vlog_discards_) {
    PutVarint32(dst, kVlogDiscard);
    PutVarint64(dst, n);
    PutVarint64(dst, bytes);
  }
  for (const auto& [level, key] : compact_pointers_) {
    PutVarint32(dst, kCompactPointer);
    PutVarint32(dst, static_cast<std::uint32_t>(level));
    PutLengthPrefixed(dst, key);
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  Clear();
  Decoder d(src);
  Status s;
  while (s.ok() && !d.done()) {
    const std::size_t at = d.offset();
    std::uint64_t tag = 0;
    s = d.Varint(&tag, "tag");
    if (!s.ok()) break;
    switch (tag) {
      case kLogNumber:
        s = SetOnce(&d, &log_number_, "log number");
        break;
      case kLogOffset:
        s = SetOnce(&d, &log_offset_, "log offset");
        break;
      case kNextFileNumber:
        s = SetOnce(&d, &next_file_number_, "next file number");
        break;
      case kLastSequence:
        s = SetOnce(&d, &last_sequence_, "last sequence");
        if (s.ok() && *last_sequence_ > kMaxSequenceNumber) s = d.Bad("last sequence too large");
        break;
      case kNewFile: {
        int level = 0;
        FileMetaData f;
        s = d.Level(&level);
        if (s.ok()) s = DecodeFile(&d, &f);
        if (s.ok()) new_files_.emplace_back(level, std::move(f));
        break;
      }
      case kDeletedFile: {
        int level = 0;
        std::uint64_t number = 0;
        s = d.Level(&level);
        if (s.ok()) s = d.Varint(&number, "deleted file number");
        if (s.ok()) deleted_files_.emplace_back(level, number);
        break;
      }
      case kAddVlog:
      case kRemoveVlog: {
        std::uint64_t number = 0;
        s = d.Varint(&number, "value log number");
        if (s.ok()) (tag == kAddVlog ? added_vlogs_ : removed_vlogs_).push_back(number);
        break;
      }
      case kVlogDiscard: {
        std::uint64_t number = 0, bytes = 0;
        s = d.Varint(&number, "value log number");
        if (s.ok()) s = d.Varint(&bytes, "discard bytes");
        if (s.ok()) vlog_discards_.emplace_back(number, bytes);
        break;
      }
      case kCompactPointer: {
        int level = 0;
        std::string key;
        s = d.Level(&level);
        if (s.ok()) s = d.InternalKey(&key, "compact pointer");
        if (s.ok()) compact_pointers_.emplace_back(level, std::move(key));
        break;
      }
      default:
        s = Status::Corruption(fmt::format("version edit: unknown tag {} at offset {}", tag, at));
    }
  }
  if (!s.ok()) Clear();
  return s;
}

std::string VersionEdit::DebugString() const {
  std::string out;
  if (log_number_) out += fmt::format("log_number {}\n", *log_number_);
  if (log_offset_) out += fmt::format("log_offset {}\n", *log_offset_);
  if (next_file_number_) out += fmt::format("next_file_number {}\n", *next_file_number_);
  if (last_sequence_) out += fmt::format("last_sequence {}\n", *last_sequence_);
  for (const auto& [level, f] : new_files_) {
    out += fmt::format(
        "add L{} #{} {} bytes [{} .. {}] seq {}..{} entries {} deletions {} ({} range)\n", level,
        f.number, f.file_size, lsm::DebugString(f.smallest), lsm::DebugString(f.largest),
        f.smallest_seq, f.largest_seq, f.num_entries, f.num_deletions, f.num_range_deletions);
  }
  for (const auto& [level, n] : deleted_files_) out += fmt::format("remove L{} #{}\n", level, n);
  for (std::uint64_t n : added_vlogs_) out += fmt::format("add vlog #{}\n", n);
  for (std::uint64_t n : removed_vlogs_) out += fmt::format("remove vlog #{}\n", n);
  for (const auto& [n, b] : vlog_discards_) out += fmt::format("vlog #{} discard +{}\n", n, b);
  for (const auto& [level, k] : compact_pointers_) {
    out += fmt::format("compact pointer L{} {}\n", level, lsm::DebugString(k));
  }
  return out;
}

}  // namespace larder::lsm
