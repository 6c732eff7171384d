// lsm::WriteBatch: an atomic group of updates for the LSM engine, with what kv::WriteBatch has
// (Put, Delete) plus per-key time to live and range deletion.
//
//   lsm::WriteBatch batch;
//   batch.Put("user:1", "alice");
//   batch.PutWithExpiry("session:9", "token", now_ms + 60'000);  // gone after a minute
//   batch.DeleteRange("queue:0000", "queue:0420");              // [begin, end)
//   LARDER_RETURN_IF_ERROR(db->Write({}, batch));
//
// Entries apply in insertion order under consecutive sequence numbers, so a later entry for a
// key wins over an earlier one of the same batch (a Put after a DeleteRange covering its key
// survives; a DeleteRange after a Put removes it).
//
// The batch's bytes are exactly the payload of its value-log record (docs/formats/lsm.md,
// "Write batch"); Write stamps them with the batch's first sequence number.
//
// Thread-safety: a value; const methods may run concurrently, mutation needs external
// synchronization.
#ifndef LARDER_LSM_WRITE_BATCH_H_
#define LARDER_LSM_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "larder/kv.h"
#include "larder/status.h"

namespace larder::lsm {

class WriteBatch {
 public:
  WriteBatch();
  // The entries of a kv::WriteBatch, in order.
  explicit WriteBatch(const kv::WriteBatch& batch);

  void Put(std::string_view key, std::string_view value);
  // A value that reads as absent from `expires_at_ms` (milliseconds since the Unix epoch, by
  // Options::clock) on; compaction then drops it.
  void PutWithExpiry(std::string_view key, std::string_view value, std::uint64_t expires_at_ms);
  void Delete(std::string_view key);
  // Deletes every key in [begin, end) present when the batch applies. Empty when begin >= end.
  void DeleteRange(std::string_view begin, std::string_view end);
  // Appends `other`'s entries after this batch's.
  void Append(const WriteBatch& other);
  // Removes every entry, keeping the capacity.
  void Clear();

  std::uint32_t Count() const;
  bool empty() const { return Count() == 0; }
  // Bytes of the encoded batch (header included): what it adds to the value log.
  std::size_t ByteSize() const { return rep_.size(); }

  // Visits the entries in order. Returns the first non-OK status a handler call returns, or
  // Corruption for a malformed batch (one decoded from a damaged log record).
  class Handler {
   public:
    virtual ~Handler() = default;
    // `expires_at_ms` is 0 for a value without a time to live.
    virtual Status Put(std::string_view key, std::string_view value,
                       std::uint64_t expires_at_ms) = 0;
    virtual Status Delete(std::string_view key) = 0;
    virtual Status DeleteRange(std::string_view begin, std::string_view end) = 0;
  };
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;  // src/lsm/write_batch_internal.h: sequence, raw bytes
  std::string rep_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_WRITE_BATCH_H_
