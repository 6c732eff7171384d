// Bucket: a named, ordered collection of key/value pairs and nested buckets.
//
// A Bucket is a small handle (one pointer) owned by its transaction: copy it freely, but do not
// use it after the transaction ends, or after the bucket is deleted in the same transaction
// (calls then return TxClosed or NotFound). Thread-safety: as its transaction.
//
// Limits (as bbolt): keys are 1..32768 bytes, values 0..2^31-2 bytes. Returned views point into
// the database's map (zero copy) or the transaction's memory and are valid until the
// transaction ends. Never write through them.
#ifndef LARDER_BOLT_BUCKET_H_
#define LARDER_BOLT_BUCKET_H_

#include <cstdint>
#include <functional>
#include <string_view>

#include "larder/bolt/cursor.h"
#include "larder/bolt/stats.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::bolt {

inline constexpr std::size_t kMaxKeySize = 32768;
inline constexpr std::size_t kMaxValueSize = (std::size_t{1} << 31) - 2;

namespace internal {
class BucketImpl;
}

class Bucket {
 public:
  // The value of `key`: NotFound when absent, Incompatible when `key` names a sub-bucket.
  Result<std::string_view> Get(std::string_view key) const;
  // Inserts or replaces. The bytes are copied.
  Status Put(std::string_view key, std::string_view value);
  // Deletes `key`; deleting an absent key is OK. Incompatible for a sub-bucket.
  Status Delete(std::string_view key);

  // Nested buckets.
  Result<Bucket> GetBucket(std::string_view name) const;
  Result<Bucket> CreateBucket(std::string_view name);
  Result<Bucket> CreateBucketIfNotExists(std::string_view name);
  // Deletes the bucket, its keys and every nested bucket, freeing their pages.
  Status DeleteBucket(std::string_view name);

  // The bucket's sequence counter (bbolt's NextSequence): persisted with the bucket.
  std::uint64_t Sequence() const;
  Status SetSequence(std::uint64_t value);
  Result<std::uint64_t> NextSequence();

  // Calls fn(key, value, is_bucket) for each entry in order; stops at the first non-OK status
  // fn returns and returns it. Do not modify the bucket from fn.
  Status ForEach(const std::function<Status(std::string_view key, std::string_view value,
                                            bool is_bucket)>& fn) const;

  Cursor NewCursor() const;

  // Page statistics of this bucket and everything nested in it.
  Result<BucketStats> Stats() const;

  // The fill percent used when this transaction splits this bucket's pages.
  void SetFillPercent(double fill_percent);

  // The bucket's root page id (0 for an inline bucket).
  std::uint64_t RootPage() const;
  bool Writable() const;

 private:
  friend class Tx;  // hands out its buckets
  explicit Bucket(internal::BucketImpl* impl) : impl_(impl) {}
  internal::BucketImpl* impl_;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_BUCKET_H_
