// What the engine sees of a WriteBatch (include/larder/lsm/write_batch.h): its raw bytes, its
// sequence number, and its entries as memtable entries (type, key, value).
//
// Layout of rep_ (the payload of a kBatch log record; docs/formats/lsm.md, "Value log and
// write batches"):
//
//   header   fixed64 sequence of the first entry, fixed32 count of entries   (12 bytes)
//   entries  count times: tag byte (a ValueType), varint-length-prefixed key, then
//              kValue           length-prefixed value
//              kDeletion        nothing
//              kRangeDeletion   length-prefixed end key (exclusive)
//              kExpiringValue   length-prefixed (fixed64 expires_at_ms ++ value)
//              kValuePointer    length-prefixed VlogPointer encoding
//              kExpiringPointer length-prefixed (fixed64 expires_at_ms ++ VlogPointer encoding)
//
// So every entry's value field is exactly the value of its memtable entry (dbformat.h): the DB
// inserts entry i as (key, sequence + i, type, value) without re-encoding. User batches hold
// only the first four types; the pointer types appear in the batches the DB writes to the log
// after moving large values into kValue records of their own (see the DB's write path).
//
// Thread-safety: as WriteBatch (a value).
#ifndef LARDER_LSM_WRITE_BATCH_INTERNAL_H_
#define LARDER_LSM_WRITE_BATCH_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "larder/lsm/write_batch.h"
#include "larder/status.h"
#include "lsm/dbformat.h"

namespace larder::lsm {

// One decoded entry; the views point into the batch's bytes and live as long as they do.
struct WriteBatchEntry {
  ValueType type = ValueType::kValue;
  std::string_view key;
  std::string_view value;  // the memtable value: see the layout above
};

// Decodes a batch's bytes entry by entry, checking every length against the bytes that remain,
// every tag, the expiry and pointer fields, and that exactly `count` entries fill the bytes.
// Never reads outside `rep`. Cheap to construct; no allocation.
class WriteBatchReader {
 public:
  explicit WriteBatchReader(std::string_view rep);

  // The next entry in *e, or false: at the end of a well-formed batch (status() OK) or at
  // malformed bytes (status() Corruption naming the byte offset in the batch).
  bool Next(WriteBatchEntry* e);
  const Status& status() const { return status_; }

  SequenceNumber sequence() const { return sequence_; }
  std::uint32_t count() const { return count_; }

 private:
  bool Fail(std::string_view what);

  std::string_view rep_;
  std::string_view rest_;  // the entries not yet decoded
  SequenceNumber sequence_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t read_ = 0;  // entries decoded so far
  Status status_;
};

class WriteBatchInternal {
 public:
  static constexpr std::size_t kHeaderSize = 12;

  // The header's fields. After SetContents with fewer bytes than a header, the getters return
  // 0 and the setters first pad the header with zeros (never out of bounds).
  static SequenceNumber Sequence(const WriteBatch& b);
  static void SetSequence(WriteBatch* b, SequenceNumber seq);
  static std::uint32_t Count(const WriteBatch& b);
  static void SetCount(WriteBatch* b, std::uint32_t n);

  // The batch's bytes: the log record payload. Valid until the batch changes.
  static std::string_view Contents(const WriteBatch& b) { return b.rep_; }
  // Replaces the batch's bytes with `contents` (a log record's payload) as they are: validates
  // nothing. Reading it (Iterate, WriteBatchReader) validates.
  static void SetContents(WriteBatch* b, std::string_view contents);

  // Appends `src`'s entries after `dst`'s (dst's sequence kept).
  static void Append(WriteBatch* dst, const WriteBatch& src);
  // Appends one entry whose value is already in memtable form (layout above) and counts it.
  // For the DB rebuilding a batch with value pointers.
  static void AppendEntry(WriteBatch* b, ValueType type, std::string_view key,
                          std::string_view value);
  // Starts `b` over as an empty batch at `seq`, keeping its capacity.
  static void Reset(WriteBatch* b, SequenceNumber seq);

  // Calls f(const WriteBatchEntry&) -> Status for each entry in order; returns the first non-OK
  // status f returns, or Corruption for malformed bytes. Entries before the damage have been
  // visited by then: a caller that must apply all or nothing validates first (Validate).
  template <typename F>
  static Status ForEach(std::string_view rep, F&& f) {
    WriteBatchReader reader(rep);
    WriteBatchEntry e;
    while (reader.Next(&e)) LARDER_RETURN_IF_ERROR(f(e));
    return reader.status();
  }
  template <typename F>
  static Status ForEach(const WriteBatch& b, F&& f) {
    return ForEach(std::string_view(b.rep_), std::forward<F>(f));
  }
  // OK when `rep` decodes completely.
  static Status Validate(std::string_view rep);
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_WRITE_BATCH_INTERNAL_H_
