// Cursor: ordered iteration over one bucket's keys, sub-bucket entries included.
//
// Thread-safety: a Cursor belongs to its transaction's thread of use; no concurrent calls.
// Lifetime: valid until its transaction ends. The views returned by key() and value() point
// into the database's map or the transaction's memory and stay valid until the transaction
// ends (not merely until the next move). Never write through them.
//
// Writes to the bucket (Put, Delete, CreateBucket, Cursor::Delete) are allowed while a cursor
// is open: its next move continues from the key it is on, so a loop that deletes what it visits
// skips nothing.
#ifndef LARDER_BOLT_CURSOR_H_
#define LARDER_BOLT_CURSOR_H_

#include <memory>
#include <string_view>

#include "larder/status.h"

namespace larder::bolt {

class Bucket;

namespace internal {
class CursorImpl;
}

class Cursor {
 public:
  ~Cursor();
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;

  // Position on the first / last key. Valid() is false when the bucket is empty.
  void First();
  void Last();
  // Position on the first key >= `key`.
  void Seek(std::string_view key);
  // REQUIRES: Valid().
  void Next();
  void Prev();

  // True when positioned on an entry. False at either end and after an error.
  bool Valid() const;
  // REQUIRES: Valid().
  std::string_view key() const;
  // The value; empty for a sub-bucket entry (see IsBucket).
  std::string_view value() const;
  bool IsBucket() const;

  // Deletes the entry under the cursor. Incompatible for a sub-bucket entry (use
  // Bucket::DeleteBucket); ReadOnly in a read-only transaction. REQUIRES: Valid().
  Status Delete();

  // OK, or the error (e.g. Corruption naming a page) that stopped the cursor.
  const Status& status() const;

 private:
  friend class Bucket;  // NewCursor
  explicit Cursor(std::unique_ptr<internal::CursorImpl> impl);
  std::unique_ptr<internal::CursorImpl> impl_;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_CURSOR_H_
