// Table::VerifyAll (table.h): the deep check behind `larder lsm check`.
#include <fmt/format.h>

#include "lsm/table.h"

namespace larder::lsm {

Status Table::VerifyAll() const {
  auto fail = [this](std::string_view what) {
    return Status::Corruption(fmt::format("{}: {}", path(), what));
  };
  auto index = NewIndexIterator();
  std::string prev_key;  // the last data key seen
  std::string prev_separator;
  std::uint64_t expected_offset = 0;
  std::uint64_t entries = 0, deletions = 0, blocks = 0;
  for (index->SeekToFirst(); index->Valid(); index->Next()) {
    BlockHandle h;
    LARDER_RETURN_IF_ERROR(DecodeIndexValue(index->value(), &h));
    if (h.offset != expected_offset) {
      return fail(
          fmt::format("data block at offset {} where {} was expected", h.offset, expected_offset));
    }
    expected_offset = h.offset + h.size + kBlockTrailerSize;
    if (!prev_separator.empty() && CompareInternalKeys(prev_separator, index->key()) >= 0) {
      return fail(fmt::format("index block at offset {}: separators out of order at {}",
                              footer_.index.offset, DebugString(index->key())));
    }
    LARDER_ASSIGN_OR_RETURN(auto block, ReadDataBlock(h, /*verify_checksums=*/true, false));
    BlockIter it(std::move(block), BlockOrigin{path(), h.offset});
    bool any = false;
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      any = true;
      ParsedInternalKey parsed;
      if (!ParseInternalKey(it.key(), &parsed) || parsed.type == ValueType::kRangeDeletion) {
        return fail(fmt::format("block at offset {}: bad key {}", h.offset, DebugString(it.key())));
      }
      if (!prev_key.empty() && CompareInternalKeys(prev_key, it.key()) >= 0) {
        return fail(fmt::format("block at offset {}: key {} after {}", h.offset,
                                DebugString(it.key()), DebugString(prev_key)));
      }
      if (CompareInternalKeys(it.key(), index->key()) > 0) {
        return fail(fmt::format("block at offset {}: key {} above its index separator {}", h.offset,
                                DebugString(it.key()), DebugString(index->key())));
      }
      if (!prev_separator.empty() && CompareInternalKeys(it.key(), prev_separator) <= 0) {
        return fail(fmt::format("block at offset {}: key {} not above the previous separator",
                                h.offset, DebugString(it.key())));
      }
      if (!KeyMayMatch(parsed.user_key)) {
        return fail(fmt::format("filter misses key {}", DebugString(it.key())));
      }
      ++entries;
      if (parsed.type == ValueType::kDeletion) ++deletions;
      prev_key.assign(it.key());
    }
    LARDER_RETURN_IF_ERROR(it.status());
    if (!any) return fail(fmt::format("block at offset {}: empty", h.offset));
    prev_separator.assign(index->key());
    ++blocks;
  }
  LARDER_RETURN_IF_ERROR(index->status());
  if (expected_offset != data_end_) {
    return fail(fmt::format("data blocks end at {}, the next block starts at {}", expected_offset,
                            data_end_));
  }
  if (entries != props_.num_entries || deletions != props_.num_deletions ||
      blocks != props_.num_data_blocks) {
    return fail(
        fmt::format("properties count {} entries, {} deletions, {} blocks; the blocks "
                    "hold {}, {}, {}",
                    props_.num_entries, props_.num_deletions, props_.num_data_blocks, entries,
                    deletions, blocks));
  }
  std::uint64_t range_dels = 0;
  if (auto it = NewRangeTombstoneIterator()) {
    prev_key.clear();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(it->key(), &parsed) || parsed.type != ValueType::kRangeDeletion ||
          (!prev_key.empty() && CompareInternalKeys(prev_key, it->key()) >= 0)) {
        return fail(fmt::format("range-deletion block at offset {}: bad or unordered key {}",
                                footer_.range_deletions.offset, DebugString(it->key())));
      }
      prev_key.assign(it->key());
      ++range_dels;
    }
    LARDER_RETURN_IF_ERROR(it->status());
  }
  if (range_dels != props_.num_range_deletions) {
    return fail(fmt::format("properties count {} range deletions, the block holds {}",
                            props_.num_range_deletions, range_dels));
  }
  return Status::Ok();
}

}  // namespace larder::lsm
