// Block and BlockIter (block.h).
#include "lsm/block.h"

#include <fmt/format.h>

#include "base/coding.h"
#include "lsm/dbformat.h"

namespace larder::lsm {
namespace {

std::uint32_t Fixed32At(const char* p) { return LoadU32(reinterpret_cast<const std::uint8_t*>(p)); }

Status BlockCorruption(BlockOrigin origin, std::string_view what) {
  return Status::Corruption(
      fmt::format("{}: block at offset {}: {}", origin.file, origin.offset, what));
}

// An entry's three varints. Most are one byte each: read those inline.
inline bool DecodeEntryHeader(std::string_view* in, std::uint32_t* shared,
                              std::uint32_t* non_shared, std::uint32_t* value_len) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(in->data());
  if (in->size() >= 3 && (p[0] | p[1] | p[2]) < 0x80) {
    *shared = p[0];
    *non_shared = p[1];
    *value_len = p[2];
    in->remove_prefix(3);
    return true;
  }
  return GetVarint32(in, shared) && GetVarint32(in, non_shared) && GetVarint32(in, value_len);
}

}  // namespace

Result<BlockLayout> Block::ParseLayout(std::string_view contents, BlockOrigin origin) {
  constexpr std::size_t kU32 = sizeof(std::uint32_t);
  if (contents.size() < kU32) return BlockCorruption(origin, "shorter than its restart count");
  if (contents.size() > UINT32_MAX) return BlockCorruption(origin, "larger than 4 GiB");
  const std::uint32_t n = Fixed32At(contents.data() + contents.size() - kU32);
  const std::size_t max_restarts = (contents.size() - kU32) / kU32;
  if (n > max_restarts) {
    return BlockCorruption(origin, fmt::format("{} restart points do not fit", n));
  }
  const auto restarts_offset = static_cast<std::uint32_t>(contents.size() - kU32 - n * kU32);
  if (n == 0 && restarts_offset != 0) return BlockCorruption(origin, "entries without restarts");
  // Restart offsets: the first is 0, each one above the previous and inside the entries.
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t r = Fixed32At(contents.data() + restarts_offset + i * kU32);
    const std::uint32_t prev =
        i == 0 ? 0 : Fixed32At(contents.data() + restarts_offset + (i - 1) * kU32);
    if ((i == 0 && r != 0) || (i > 0 && r <= prev) || r >= restarts_offset) {
      return BlockCorruption(origin, fmt::format("bad restart point {} (offset {})", i, r));
    }
  }
  return BlockLayout{restarts_offset, n};
}

Result<std::shared_ptr<const Block>> Block::Create(std::string contents, BlockOrigin origin) {
  // One allocation for the block and its reference count: one cache line less per reader.
  auto block = std::make_shared<Block>(Key{});
  block->owned_ = std::move(contents);
  block->data_ = block->owned_;  // after the move: a short string lives inside owned_
  LARDER_ASSIGN_OR_RETURN(block->layout_, ParseLayout(block->data_, origin));
  return std::shared_ptr<const Block>(std::move(block));
}

Result<std::shared_ptr<const Block>> Block::CreateView(std::string_view bytes,
                                                       std::shared_ptr<const void> owner,
                                                       BlockOrigin origin) {
  auto block = std::make_shared<Block>(Key{});
  block->data_ = bytes;
  block->owner_ = std::move(owner);
  LARDER_ASSIGN_OR_RETURN(block->layout_, ParseLayout(block->data_, origin));
  return std::shared_ptr<const Block>(std::move(block));
}

BlockIter::BlockIter(std::shared_ptr<const Block> block, BlockOrigin origin)
    : BlockIter(*block, origin) {
  block_ = std::move(block);
}

BlockIter::BlockIter(const Block& block, BlockOrigin origin)
    : BlockIter(block.data(), block.layout(), origin) {}

BlockIter::BlockIter(std::string_view contents, BlockLayout layout, BlockOrigin origin)
    : origin_(origin),
      data_(contents.data()),
      restarts_offset_(layout.restarts_offset),
      num_restarts_(layout.num_restarts) {}

void BlockIter::Reset(std::shared_ptr<const Block> block, BlockOrigin origin) {
  Reset(block->data(), block->layout(), origin);
  block_ = std::move(block);
}

void BlockIter::Reset(std::string_view contents, BlockLayout layout, BlockOrigin origin) {
  block_.reset();
  origin_ = origin;
  data_ = contents.data();
  restarts_offset_ = layout.restarts_offset;
  num_restarts_ = layout.num_restarts;
  valid_ = false;
  key_ = {};
  status_ = Status::Ok();
}

std::uint32_t BlockIter::RestartOffset(std::uint32_t index) const {
  return Fixed32At(data_ + restarts_offset_ + index * sizeof(std::uint32_t));
}

void BlockIter::Corrupt(std::string_view what, std::uint32_t at) {
  valid_ = false;
  status_ = BlockCorruption(origin_, fmt::format("{} at entry offset {}", what, at));
}

bool BlockIter::ParseEntryAt(std::uint32_t offset) {
  if (offset >= restarts_offset_) {  // past the last entry: the end, not an error
    valid_ = false;
    return false;
  }
  std::string_view in(data_ + offset, restarts_offset_ - offset);
  std::uint32_t shared = 0, non_shared = 0, value_len = 0;
  if (!DecodeEntryHeader(&in, &shared, &non_shared, &value_len)) {
    Corrupt("bad entry header", offset);
    return false;
  }
  while (restart_index_ + 1 < num_restarts_ && RestartOffset(restart_index_ + 1) <= offset) {
    ++restart_index_;
  }
  if (shared > key_.size() || (shared != 0 && RestartOffset(restart_index_) == offset)) {
    Corrupt("bad shared key length", offset);
    return false;
  }
  if (std::uint64_t{non_shared} + value_len > in.size()) {
    Corrupt("entry overruns the block", offset);
    return false;
  }
  if (std::uint64_t{shared} + non_shared < kTrailerSize) {
    Corrupt("key shorter than an internal key", offset);
    return false;
  }
  if (shared == 0) {
    key_ = in.substr(0, non_shared);  // whole in the block: no copy
  } else {
    if (key_.data() != key_buf_.data()) {
      key_buf_.assign(key_.data(), shared);
    } else {
      key_buf_.resize(shared);
    }
    key_buf_.append(in.data(), non_shared);
    key_ = key_buf_;
  }
  value_ = in.substr(non_shared, value_len);
  current_ = offset;
  next_ = static_cast<std::uint32_t>(value_.data() + value_.size() - data_);
  valid_ = true;
  return true;
}

void BlockIter::SeekToRestart(std::uint32_t index) {
  key_ = {};
  restart_index_ = index;
  ParseEntryAt(RestartOffset(index));
}

bool BlockIter::RestartKey(std::uint32_t index, std::string_view* key) {
  const std::uint32_t offset = RestartOffset(index);
  std::string_view in(data_ + offset, restarts_offset_ - offset);
  std::uint32_t shared = 0, non_shared = 0, value_len = 0;
  if (!DecodeEntryHeader(&in, &shared, &non_shared, &value_len) || shared != 0 ||
      non_shared > in.size() || non_shared < kTrailerSize) {
    Corrupt("bad restart entry", offset);
    return false;
  }
  *key = in.substr(0, non_shared);
  return true;
}

void BlockIter::SeekToFirst() {
  if (!status_.ok()) return;
  valid_ = false;
  if (num_restarts_ > 0) SeekToRestart(0);
}

void BlockIter::SeekToLast() {
  if (!status_.ok()) return;
  valid_ = false;
  if (num_restarts_ == 0) return;
  SeekToRestart(num_restarts_ - 1);
  while (valid_ && next_ < restarts_offset_) ParseEntryAt(next_);
}

void BlockIter::Seek(std::string_view target) {
  if (num_restarts_ == 0) {
    valid_ = false;
    return;
  }
  SeekBetweenRestarts(target, 0, num_restarts_ - 1);
}

void BlockIter::SeekBetweenRestarts(std::string_view target, std::uint32_t left,
                                    std::uint32_t right) {
  if (!status_.ok()) return;
  valid_ = false;
  // The last restart point whose key is below the target (or the first one).
  while (left < right) {
    const std::uint32_t mid = left + (right - left + 1) / 2;
    std::string_view k;
    if (!RestartKey(mid, &k)) return;
    if (CompareInternalKeys(k, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestart(left);
  while (valid_ && CompareInternalKeys(key_, target) < 0) ParseEntryAt(next_);
}

void BlockIter::SeekForPrev(std::string_view target) {
  Seek(target);
  if (!status_.ok()) return;
  if (!valid_) {
    SeekToLast();
  } else if (CompareInternalKeys(key_, target) > 0) {
    Prev();
  }
}

void BlockIter::Next() { ParseEntryAt(next_); }

void BlockIter::Prev() {
  const std::uint32_t original = current_;
  // The restart point before the current entry.
  std::uint32_t r = restart_index_;
  while (RestartOffset(r) >= original) {
    if (r == 0) {  // the first entry: nothing before it
      valid_ = false;
      return;
    }
    --r;
  }
  SeekToRestart(r);
  while (valid_ && next_ < original) ParseEntryAt(next_);
  if (valid_ && next_ != original) Corrupt("entries overlap", current_);
}

}  // namespace larder::lsm
