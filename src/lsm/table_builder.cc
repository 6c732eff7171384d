// TableBuilder (table_builder.h).
#include "lsm/table_builder.h"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "base/checksum.h"
#include "base/coding.h"
#include "lsm/dbformat.h"
#include "lsm/vlog_pointer.h"

namespace larder::lsm {
namespace {

const std::uint64_t kSeparatorTrailer = PackTrailer(kMaxSequenceNumber, kMaxValueType);

// A short internal key k with last <= k < next, for the index entry between two blocks.
void ShortSeparator(std::string_view last, std::string_view next, std::string* out) {
  const std::string_view a = ExtractUserKey(last), b = ExtractUserKey(next);
  const std::size_t i = CommonPrefixLength(a, b);
  out->clear();
  if (i < std::min(a.size(), b.size())) {
    const auto c = static_cast<std::uint8_t>(a[i]);
    if (c < 0xff && c + 1 < static_cast<std::uint8_t>(b[i])) {
      out->assign(a.substr(0, i));
      out->push_back(static_cast<char>(c + 1));  // a < out < b as user keys
      PutFixed64(out, kSeparatorTrailer);        // and first among out's versions
      return;
    }
  }
  out->assign(last);
}

// A short internal key k >= last, for the index entry of the last block.
void ShortSuccessor(std::string_view last, std::string* out) {
  const std::string_view a = ExtractUserKey(last);
  out->clear();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto c = static_cast<std::uint8_t>(a[i]);
    if (c != 0xff) {
      out->assign(a.substr(0, i));
      out->push_back(static_cast<char>(c + 1));
      PutFixed64(out, kSeparatorTrailer);
      return;
    }
  }
  out->assign(last);
}

}  // namespace

TableBuilder::TableBuilder(const TableOptions& options, AppendWriter* out)
    : options_(options),
      out_(out),
      base_(out->size()),
      data_block_(std::max(options.restart_interval, 1)),
      index_block_(1) {
  if (options_.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<FilterBuilder>(options_.bloom_bits_per_key);
  }
  props_.compression = static_cast<std::uint64_t>(options_.compression);
}

TableBuilder::~TableBuilder() = default;

std::uint64_t TableBuilder::FileSize() const { return offset_; }

void TableBuilder::NoteSequence(std::uint64_t seq) {
  if (!any_seq_) {
    props_.smallest_seq = props_.largest_seq = seq;
    any_seq_ = true;
  } else {
    props_.smallest_seq = std::min(props_.smallest_seq, seq);
    props_.largest_seq = std::max(props_.largest_seq, seq);
  }
}

void TableBuilder::Add(std::string_view internal_key, std::string_view value) {
  if (!status_.ok() || closed_) return;
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    status_ = Status::InvalidArgument(
        fmt::format("{}: bad internal key {}", out_->path(), DebugString(internal_key)));
    return;
  }
  NoteSequence(parsed.sequence);
  if (parsed.type == ValueType::kRangeDeletion) {
    range_dels_.emplace_back(internal_key, value);
    return;
  }
  if (!last_key_.empty() && CompareInternalKeys(last_key_, internal_key) >= 0) {
    status_ =
        Status::InvalidArgument(fmt::format("{}: key {} added after {}", out_->path(),
                                            DebugString(internal_key), DebugString(last_key_)));
    return;
  }
  if (pending_index_entry_) {
    ShortSeparator(last_key_, internal_key, &scratch_);
    std::string handle;
    PutBlockHandle(&handle, pending_handle_);
    index_block_.Add(scratch_, handle);
    pending_index_entry_ = false;
  }
  if (filter_ && (last_key_.empty() || ExtractUserKey(last_key_) != parsed.user_key)) {
    filter_->AddKey(parsed.user_key);
  }
  last_key_.assign(internal_key);
  data_block_.Add(internal_key, value);
  ++props_.num_entries;
  props_.raw_key_bytes += internal_key.size();
  props_.raw_value_bytes += value.size();
  if (parsed.type == ValueType::kDeletion) ++props_.num_deletions;
  if (parsed.type == ValueType::kValuePointer || parsed.type == ValueType::kExpiringPointer) {
    ++props_.num_pointer_values;
    std::string_view pointer = value;
    if (parsed.type == ValueType::kExpiringPointer)
      pointer.remove_prefix(std::min<std::size_t>(8, pointer.size()));
    VlogPointer p;
    if (p.Decode(pointer)) pointer_bytes_[p.file_number] += p.length;
  }
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  const std::uint64_t before = offset_;
  WriteBlock(data_block_.Finish(), options_.compression, &pending_handle_);
  data_block_.Reset();
  props_.data_bytes += offset_ - before;
  ++props_.num_data_blocks;
  pending_index_entry_ = true;
}

void TableBuilder::WriteRaw(std::string_view data) {
  if (!status_.ok()) return;
  status_ = out_->Append(data);
  offset_ += data.size();
}

void TableBuilder::WriteBlock(std::string_view contents, Compression type, BlockHandle* handle) {
  std::string_view payload = contents;
  auto type_byte = static_cast<std::uint8_t>(Compression::kNone);
  if (type != Compression::kNone && CompressBlock(type, contents, &compressed_)) {
    payload = compressed_;
    type_byte = static_cast<std::uint8_t>(type);
  }
  handle->offset = base_ + offset_;
  handle->size = payload.size();
  std::uint8_t trailer[kBlockTrailerSize];
  trailer[0] = type_byte;
  std::uint32_t crc = crc32c::Value(AsBytes(payload));
  crc = crc32c::Extend(crc, {trailer, 1});
  StoreU32(trailer + 1, crc32c::Mask(crc));
  WriteRaw(payload);
  WriteRaw({reinterpret_cast<const char*>(trailer), sizeof trailer});
}

Status TableBuilder::Finish() {
  if (closed_) return Status::InvalidArgument("TableBuilder: Finish after Finish or Abandon");
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;
  if (pending_index_entry_) {
    ShortSuccessor(last_key_, &scratch_);
    std::string handle;
    PutBlockHandle(&handle, pending_handle_);
    index_block_.Add(scratch_, handle);
    pending_index_entry_ = false;
  }
  Footer footer;
  if (filter_) {
    const std::string filter = filter_->Finish();
    const std::uint64_t before = offset_;
    WriteBlock(filter, Compression::kNone, &footer.filter);
    props_.filter_bytes = offset_ - before;
  }
  if (!range_dels_.empty()) {
    std::sort(range_dels_.begin(), range_dels_.end(), [](const auto& a, const auto& b) {
      return CompareInternalKeys(a.first, b.first) < 0;
    });
    BlockBuilder block(1);
    for (std::size_t i = 0; i < range_dels_.size(); ++i) {
      if (i > 0 && CompareInternalKeys(range_dels_[i - 1].first, range_dels_[i].first) == 0) {
        return status_ = Status::InvalidArgument(fmt::format("{}: range deletion {} added twice",
                                                             out_->path(),
                                                             DebugString(range_dels_[i].first)));
      }
      block.Add(range_dels_[i].first, range_dels_[i].second);
    }
    props_.num_range_deletions = range_dels_.size();
    WriteBlock(block.Finish(), Compression::kNone, &footer.range_deletions);
  }
  props_.pointer_bytes_by_vlog.assign(pointer_bytes_.begin(), pointer_bytes_.end());
  const std::string_view index = index_block_.Finish();
  props_.index_bytes = index.size() + kBlockTrailerSize;
  std::string props;
  props_.EncodeTo(&props);
  WriteBlock(props, Compression::kNone, &footer.properties);
  WriteBlock(index, Compression::kNone, &footer.index);
  std::string encoded;
  footer.EncodeTo(&encoded);
  WriteRaw(encoded);
  return status_;
}

void TableBuilder::Abandon() { closed_ = true; }

}  // namespace larder::lsm
