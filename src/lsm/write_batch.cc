// lsm::WriteBatch and WriteBatchInternal: the encoding is described in write_batch_internal.h.
#include <fmt/format.h>

#include <cstring>

#include "base/coding.h"
#include "larder/lsm/write_batch.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

namespace {

constexpr std::size_t kHeader = WriteBatchInternal::kHeaderSize;

void PutTagAndKey(std::string* rep, ValueType type, std::string_view key) {
  rep->push_back(static_cast<char>(type));
  PutLengthPrefixed(rep, key);
}

}  // namespace

// --- WriteBatch ------------------------------------------------------------------------------

WriteBatch::WriteBatch() : rep_(kHeader, '\0') {}

WriteBatch::WriteBatch(const kv::WriteBatch& batch) : WriteBatch() {
  rep_.reserve(kHeader + batch.ByteSize());
  for (const kv::WriteBatch::Entry& e : batch) {
    if (e.op == kv::WriteBatch::Op::kPut) {
      Put(e.key, e.value);
    } else {
      Delete(e.key);
    }
  }
}

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WriteBatchInternal::AppendEntry(this, ValueType::kValue, key, value);
}

void WriteBatch::PutWithExpiry(std::string_view key, std::string_view value,
                               std::uint64_t expires_at_ms) {
  // 0 means "no time to live" to a Handler; a value expiring at the epoch is already gone, as
  // one expiring 1 ms later is, so store that instead of the ambiguous 0.
  if (expires_at_ms == 0) expires_at_ms = 1;
  PutTagAndKey(&rep_, ValueType::kExpiringValue, key);
  PutVarint64(&rep_, 8 + value.size());
  PutFixed64(&rep_, expires_at_ms);
  rep_.append(value);
  WriteBatchInternal::SetCount(this, Count() + 1);
}

void WriteBatch::Delete(std::string_view key) {
  PutTagAndKey(&rep_, ValueType::kDeletion, key);
  WriteBatchInternal::SetCount(this, Count() + 1);
}

void WriteBatch::DeleteRange(std::string_view begin, std::string_view end) {
  if (begin >= end) return;  // deletes nothing: not recorded
  WriteBatchInternal::AppendEntry(this, ValueType::kRangeDeletion, begin, end);
}

void WriteBatch::Append(const WriteBatch& other) { WriteBatchInternal::Append(this, other); }

void WriteBatch::Clear() { rep_.assign(kHeader, '\0'); }

std::uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(*this); }

Status WriteBatch::Iterate(Handler* handler) const {
  return WriteBatchInternal::ForEach(*this, [handler](const WriteBatchEntry& e) -> Status {
    switch (e.type) {
      case ValueType::kValue:
        return handler->Put(e.key, e.value, 0);
      case ValueType::kExpiringValue:
        return handler->Put(e.key, e.value.substr(8),
                            LoadU64(reinterpret_cast<const std::uint8_t*>(e.value.data())));
      case ValueType::kDeletion:
        return handler->Delete(e.key);
      case ValueType::kRangeDeletion:
        return handler->DeleteRange(e.key, e.value);
      case ValueType::kValuePointer:
      case ValueType::kExpiringPointer:
        break;
    }
    return Status::NotSupported(
        "write batch holds a value-log pointer: only the engine can resolve it");
  });
}

// --- WriteBatchReader ------------------------------------------------------------------------

WriteBatchReader::WriteBatchReader(std::string_view rep) : rep_(rep) {
  if (rep.size() < kHeader) {
    Fail(fmt::format("{} bytes, shorter than the {}-byte header", rep.size(), kHeader));
    return;
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(rep.data());
  sequence_ = LoadU64(p);
  count_ = LoadU32(p + 8);
  rest_ = rep.substr(kHeader);
}

bool WriteBatchReader::Fail(std::string_view what) {
  status_ = Status::Corruption(
      fmt::format("write batch: {} (entry {}, byte {})", what, read_, rep_.size() - rest_.size()));
  rest_ = {};
  count_ = read_;  // nothing more is read
  return false;
}

bool WriteBatchReader::Next(WriteBatchEntry* e) {
  if (!status_.ok()) return false;
  if (read_ == count_) {
    if (!rest_.empty()) return Fail(fmt::format("{} bytes after the last entry", rest_.size()));
    return false;
  }
  if (rest_.empty()) return Fail(fmt::format("ends before entry {} of {}", read_, count_));
  const auto tag = static_cast<std::uint8_t>(rest_[0]);
  if (!IsValidValueType(tag)) return Fail(fmt::format("unknown entry type {}", tag));
  std::string_view in = rest_.substr(1);
  e->type = static_cast<ValueType>(tag);
  if (!GetLengthPrefixed(&in, &e->key)) return Fail("bad key length");
  e->value = {};
  if (e->type != ValueType::kDeletion && !GetLengthPrefixed(&in, &e->value)) {
    return Fail("bad value length");
  }
  const bool expiring =
      e->type == ValueType::kExpiringValue || e->type == ValueType::kExpiringPointer;
  if (expiring && e->value.size() < 8) return Fail("expiring value without its expiry");
  if (e->type == ValueType::kValuePointer || e->type == ValueType::kExpiringPointer) {
    VlogPointer ptr;
    if (!ptr.Decode(expiring ? e->value.substr(8) : e->value)) return Fail("bad value pointer");
  }
  rest_ = in;
  ++read_;
  return true;
}

// --- WriteBatchInternal ----------------------------------------------------------------------

// The accessors stay inside rep_ even after SetContents gave it fewer bytes than a header: the
// readers see 0, the writers first pad the header with zeros.
SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& b) {
  if (b.rep_.size() < kHeader) return 0;
  return LoadU64(reinterpret_cast<const std::uint8_t*>(b.rep_.data()));
}

void WriteBatchInternal::SetSequence(WriteBatch* b, SequenceNumber seq) {
  if (b->rep_.size() < kHeader) b->rep_.resize(kHeader);
  StoreU64(reinterpret_cast<std::uint8_t*>(b->rep_.data()), seq);
}

std::uint32_t WriteBatchInternal::Count(const WriteBatch& b) {
  if (b.rep_.size() < kHeader) return 0;
  return LoadU32(reinterpret_cast<const std::uint8_t*>(b.rep_.data()) + 8);
}

void WriteBatchInternal::SetCount(WriteBatch* b, std::uint32_t n) {
  if (b->rep_.size() < kHeader) b->rep_.resize(kHeader);
  StoreU32(reinterpret_cast<std::uint8_t*>(b->rep_.data()) + 8, n);
}

void WriteBatchInternal::SetContents(WriteBatch* b, std::string_view contents) {
  b->rep_.assign(contents);
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch& src) {
  if (src.rep_.size() <= kHeader) return;
  SetCount(dst, Count(*dst) + Count(src));
  dst->rep_.append(src.rep_, kHeader);
}

void WriteBatchInternal::AppendEntry(WriteBatch* b, ValueType type, std::string_view key,
                                     std::string_view value) {
  PutTagAndKey(&b->rep_, type, key);
  if (type != ValueType::kDeletion) PutLengthPrefixed(&b->rep_, value);
  SetCount(b, Count(*b) + 1);
}

void WriteBatchInternal::Reset(WriteBatch* b, SequenceNumber seq) {
  b->rep_.assign(kHeader, '\0');
  SetSequence(b, seq);
}

Status WriteBatchInternal::Validate(std::string_view rep) {
  return ForEach(rep, [](const WriteBatchEntry&) { return Status::Ok(); });
}

}  // namespace larder::lsm
