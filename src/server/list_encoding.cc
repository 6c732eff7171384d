#include "server/list_encoding.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "base/coding.h"

namespace larder::server {
namespace {

// Elements moved per cursor when a run of a list shifts (bounds the memory of LINSERT/LREM).
constexpr std::uint64_t kMoveChunk = 256;

Status OutOfPlace() { return Status::Corruption("list: element record out of place"); }

}  // namespace

std::string ListPositionRecord(std::uint64_t position) {
  std::string record(8, '\0');
  StoreBigEndianU64(reinterpret_cast<std::uint8_t*>(record.data()), position);
  return record;
}

Result<ListKey> ListKey::Create(Database& db, std::string_view key) {
  LARDER_ASSIGN_OR_RETURN(KeyInfo info, db.NewCollection(ValueType::kList));
  info.aux = kListStartPosition;
  info.size = 0;
  return ListKey(db, key, info, /*created=*/true);
}

Result<std::string> ListKey::Get(std::uint64_t index) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->GetRecord(info_.version, ListPositionRecord(Position(index))));
  if (!value) return OutOfPlace();
  return std::move(*value);
}

Status ListKey::Set(std::uint64_t index, std::string_view value) {
  return db_->PutRecord(info_.version, ListPositionRecord(Position(index)), value);
}

Status ListKey::Push(ListEnd end, std::string_view value) {
  if (end == ListEnd::kHead) {
    --info_.aux;
    LARDER_RETURN_IF_ERROR(db_->PutRecord(info_.version, ListPositionRecord(info_.aux), value));
  } else {
    LARDER_RETURN_IF_ERROR(
        db_->PutRecord(info_.version, ListPositionRecord(Position(info_.size)), value));
  }
  ++info_.size;
  return Status::Ok();
}

Result<std::vector<std::string>> ListKey::Pop(ListEnd end, std::uint64_t count) {
  count = std::min(count, info_.size);
  std::vector<std::string> values;
  values.reserve(count);
  const std::uint64_t first = end == ListEnd::kHead ? 0 : info_.size - count;
  if (count == 1) {
    // Read and delete in one engine step.
    LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                            db_->TakeRecord(info_.version, ListPositionRecord(Position(first))));
    if (!value) return OutOfPlace();
    values.push_back(std::move(*value));
  } else if (count > 1) {
    LARDER_RETURN_IF_ERROR(Scan(end, 0, [&](std::uint64_t, std::string_view value) {
      values.emplace_back(value);
      return values.size() < count;
    }));
    if (values.size() != count) return OutOfPlace();
    LARDER_RETURN_IF_ERROR(DeleteRange(Position(first), count));
  }
  if (end == ListEnd::kHead) info_.aux += count;
  info_.size -= count;
  return values;
}

Status ListKey::Scan(ListEnd end, std::uint64_t from, const Visitor& visit) {
  if (from >= info_.size) return Status::Ok();
  const bool reverse = end == ListEnd::kTail;
  // Forward: from the record of index `from`; reverse: from the last record before index
  // size - from.
  std::uint64_t index = reverse ? info_.size - from - 1 : from;
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<Cursor> it,
      db_->Records(info_.version, ListPositionRecord(Position(reverse ? index + 1 : index)),
                   reverse));
  for (; it->Valid(); it->Next()) {
    if (it->key() != ListPositionRecord(Position(index))) return OutOfPlace();
    if (!visit(index, it->value())) return it->status();
    if (reverse ? index == 0 : index + 1 == info_.size) return it->status();
    reverse ? --index : ++index;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return OutOfPlace();  // the records ended before the list did
}

Status ListKey::Move(std::uint64_t from, std::uint64_t n, std::uint64_t to) {
  if (n == 0 || from == to) return Status::Ok();
  const bool down = to < from;  // moving down: ascending order never overwrites a source
  std::vector<std::string> chunk;
  for (std::uint64_t done = 0; done < n;) {
    const std::uint64_t k = std::min(kMoveChunk, n - done);
    // The run's offsets [lo, lo + k) within [0, n), walked away from the destination.
    const std::uint64_t lo = down ? done : n - done - k;
    chunk.clear();
    {
      LARDER_ASSIGN_OR_RETURN(
          std::unique_ptr<Cursor> it,
          db_->Records(info_.version, ListPositionRecord(from + (down ? lo : lo + k)), !down));
      for (; it->Valid() && chunk.size() < k; it->Next()) {
        const std::uint64_t offset = down ? lo + chunk.size() : lo + k - 1 - chunk.size();
        if (it->key() != ListPositionRecord(from + offset)) return OutOfPlace();
        chunk.emplace_back(it->value());
      }
      LARDER_RETURN_IF_ERROR(it->status());
    }
    if (chunk.size() != k) return OutOfPlace();
    for (std::uint64_t j = 0; j < k; ++j) {
      const std::uint64_t offset = down ? lo + j : lo + k - 1 - j;
      LARDER_RETURN_IF_ERROR(
          db_->PutRecord(info_.version, ListPositionRecord(to + offset), chunk[j]));
    }
    done += k;
  }
  return Status::Ok();
}

Status ListKey::DeleteRange(std::uint64_t from, std::uint64_t n) {
  for (std::uint64_t p = from; p < from + n; ++p) {
    LARDER_RETURN_IF_ERROR(db_->DeleteRecord(info_.version, ListPositionRecord(p)));
  }
  return Status::Ok();
}

Status ListKey::Insert(std::uint64_t index, std::string_view value) {
  if (index <= info_.size - index) {
    // The head side [0, index) moves one position down; the new element takes the slot left.
    LARDER_RETURN_IF_ERROR(Move(Position(0), index, Position(0) - 1));
    --info_.aux;
  } else {
    LARDER_RETURN_IF_ERROR(Move(Position(index), info_.size - index, Position(index) + 1));
  }
  LARDER_RETURN_IF_ERROR(db_->PutRecord(info_.version, ListPositionRecord(Position(index)), value));
  ++info_.size;
  return Status::Ok();
}

Status ListKey::RemoveAt(const std::vector<std::uint64_t>& indices) {
  const std::uint64_t k = indices.size();
  if (k == 0) return Status::Ok();
  const std::uint64_t size = info_.size;
  if (k == size) {  // everything goes: the records go with the key (Commit)
    info_.size = 0;
    return Status::Ok();
  }
  // Survivors between the removed elements move towards the end with fewer of them to move.
  const std::uint64_t before_last = indices[k - 1] - (k - 1);  // survivors left of the last
  const std::uint64_t after_first = size - indices[0] - k;     // survivors right of the first
  if (after_first <= before_last) {
    // Towards the head: the run after removed element m moves down by m + 1.
    for (std::uint64_t m = 0; m < k; ++m) {
      const std::uint64_t start = indices[m] + 1;
      const std::uint64_t stop = m + 1 < k ? indices[m + 1] : size;
      LARDER_RETURN_IF_ERROR(Move(Position(start), stop - start, Position(start) - (m + 1)));
    }
    LARDER_RETURN_IF_ERROR(DeleteRange(Position(size - k), k));
  } else {
    // Towards the tail: the run before removed element m moves up by k - m.
    for (std::uint64_t m = k; m-- > 0;) {
      const std::uint64_t start = m > 0 ? indices[m - 1] + 1 : 0;
      const std::uint64_t stop = indices[m];
      LARDER_RETURN_IF_ERROR(Move(Position(start), stop - start, Position(start) + (k - m)));
    }
    LARDER_RETURN_IF_ERROR(DeleteRange(Position(0), k));
    info_.aux += k;
  }
  info_.size -= k;
  return Status::Ok();
}

Status ListKey::Trim(std::uint64_t start, std::uint64_t count) {
  if (count > 0) {
    LARDER_RETURN_IF_ERROR(DeleteRange(Position(0), start));
    LARDER_RETURN_IF_ERROR(DeleteRange(Position(start + count), info_.size - start - count));
    info_.aux += start;
  }
  info_.size = count;
  return Status::Ok();
}

Status ListKey::Commit() {
  if (created_ && info_.size == 0) return Status::Ok();  // nothing was ever there
  LARDER_RETURN_IF_ERROR(db_->WriteCollection(key_, info_, created_));
  created_ = false;
  return Status::Ok();
}

}  // namespace larder::server
