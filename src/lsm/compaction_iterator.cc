#include "lsm/compaction_iterator.h"

#include <algorithm>
#include <utility>

#include "lsm/expiring_value.h"

namespace larder::lsm {

CompactionIterator::CompactionIterator(InternalIterator* input, CompactionIteratorOptions options)
    : input_(input),
      options_(std::move(options)),
      cursor_(options_.tombstones != nullptr && !options_.tombstones->empty() ? options_.tombstones
                                                                              : nullptr) {}

void CompactionIterator::SeekToFirst() {
  status_ = Status::Ok();
  has_current_ = false;
  input_->SeekToFirst();
  FindNextOutput();
}

void CompactionIterator::Next() {
  input_->Next();
  FindNextOutput();
}

std::size_t CompactionIterator::StripeOf(SequenceNumber seq) const {
  const auto& s = options_.snapshots;
  return static_cast<std::size_t>(std::lower_bound(s.begin(), s.end(), seq) - s.begin());
}

void CompactionIterator::Fail(Status s) {
  status_ = std::move(s);
  valid_ = false;
}

bool CompactionIterator::Drop(ValueType type, std::string_view value, std::uint64_t* counter) {
  ++*counter;
  if (!IsPointerType(type) || options_.dropped_pointers == nullptr) return true;
  if (type == ValueType::kExpiringPointer) {
    std::uint64_t at;
    if (!SplitExpiringValue(value, &at, &value)) {
      Fail(Status::Corruption("short expiring value at " + DebugString(input_->key())));
      return false;
    }
  }
  options_.dropped_pointers->OnDroppedPointer(value);
  return true;
}

void CompactionIterator::FindNextOutput() {
  const bool bottommost = options_.bottommost;
  for (; input_->Valid(); input_->Next()) {
    ParsedInternalKey k;
    if (!ParseInternalKey(input_->key(), &k)) {
      Fail(Status::Corruption("bad internal key " + DebugString(input_->key())));
      return;
    }
    const std::string_view raw = input_->value();
    key_ = input_->key();
    value_ = raw;
    const std::size_t stripe = StripeOf(k.sequence);

    if (k.type == ValueType::kRangeDeletion) {
      // Not a version of its begin key: no part in the per-key walk.
      if (bottommost && stripe == 0) {
        ++counts_.range_tombstones;
        continue;
      }
      valid_ = true;
      return;
    }

    if (!has_current_ || k.user_key != std::string_view(current_user_key_)) {
      current_user_key_.assign(k.user_key);
      has_current_ = true;
    } else if (stripe == last_stripe_) {
      if (!Drop(k.type, raw, &counts_.overwritten)) return;
      continue;
    }
    last_stripe_ = stripe;  // k is the newest version of its key in this stripe

    if (cursor_.ShouldDrop(k.user_key, k.sequence, options_.snapshots)) {
      if (!Drop(k.type, raw, &counts_.range_deleted)) return;
      continue;
    }
    if (IsExpiringType(k.type)) {
      std::uint64_t expires_at;
      std::string_view payload;
      if (!SplitExpiringValue(raw, &expires_at, &payload)) {
        Fail(Status::Corruption("short expiring value at " + DebugString(input_->key())));
        return;
      }
      if (IsExpired(expires_at, options_.now_ms)) {
        if (bottommost && stripe == 0) {
          if (!Drop(k.type, raw, &counts_.expired)) return;
          continue;
        }
        // Kept as a tombstone: its value (and pointer) goes.
        if (!Drop(k.type, raw, &counts_.expired_to_tombstone)) return;
        key_buf_.clear();
        AppendInternalKey(&key_buf_, k.user_key, k.sequence, ValueType::kDeletion);
        key_ = key_buf_;
        value_ = {};
        valid_ = true;
        return;
      }
    }
    if (k.type == ValueType::kDeletion && bottommost && stripe == 0) {
      ++counts_.deletions;
      continue;
    }
    valid_ = true;
    return;
  }
  valid_ = false;
  if (status_.ok()) status_ = input_->status();
}

}  // namespace larder::lsm
