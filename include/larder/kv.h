// kv: the engine-neutral ordered key-value interface. The Redis-protocol server, the durable
// queue, the benchmarks and the tests code against it; each engine implements it (bolt through
// an adapter over one bucket, include/larder/bolt/kv.h; the LSM natively).
//
//   LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> store, bolt::OpenKV("state.db"));
//   kv::WriteBatch batch;
//   batch.Put("a", "1");
//   batch.Delete("b");
//   LARDER_RETURN_IF_ERROR(store->Write({}, batch));  // atomic and, by default, durable
//   std::string value;
//   Status s = store->Get("a", &value);                // NotFound when absent
//
// Keys and values are byte strings; keys are ordered bytewise (unsigned, memcmp order, a prefix
// before its extensions). Engines may limit their sizes: a write that breaks a limit fails with
// InvalidArgument and applies nothing (bolt: keys 1..32768 bytes, values up to 2^31-2 bytes).
//
// Consistency: every Write is atomic and applied at one point between its call and its return
// (writes are linearizable). A read (Get, a new Snapshot, a new Iterator) that starts after a
// Write returned OK sees it; a Snapshot or Iterator sees exactly the writes that returned before
// it was created, and possibly some that were in flight, but never part of a batch.
//
// Durability of a Write that returns OK (see WriteOptions::sync):
//   sync = true (the default): the batch is durable. It survives a crash of the process, of the
//     operating system and a power loss, provided the storage honours fsync.
//   sync = false: the batch may be lost by an OS crash or a power loss, together with the other
//     unsynced batches after it, but never partially, never out of order (if a batch survives,
//     every batch acknowledged before it survives), and never by a crash of the process alone.
//     An engine may sync anyway: the bolt adapter always does, because bolt has no cheaper
//     atomic commit.
//   sync = false, buffer = true: as sync = false, except that a crash of the process alone may
//     also lose the batch (with the buffered batches after it, in order, never partially) until
//     a FlushWrites or SyncWrites called after it returns. For callers that acknowledge their
//     writes in groups: buffer each, then one FlushWrites before acknowledging (larderd does so
//     once per batch of commands for its queue partitions). Engines that write through at once
//     ignore it.
//   An engine opened in an explicitly unsafe mode (bolt::Options::no_sync, for tests and bulk
//   loads) ignores sync and gives only that mode's guarantee (see its option's comment).
// A Write that fails is not applied and not visible. If it failed in its sync (IOError), its
// outcome is unknown until reopen: the batch was in flight and may be found after a crash; the
// store then refuses writes (Poisoned) until it is reopened, as a failed fsync leaves the file's
// state indeterminate.
//
// Thread-safety: a Store is safe for concurrent use by any number of threads; concurrent Writes
// are serialized (an engine may group them into one commit). A Snapshot or an Iterator is used
// by one thread at a time (it may move between threads). A WriteBatch is a value: const methods
// may run concurrently, mutation needs external synchronization.
//
// Lifetime: Snapshots, Iterators and Transactions must be destroyed before their Store; an Iterator
// made from a Snapshot must be destroyed before the Snapshot. Views returned by
// Iterator::key()/value() are valid until the iterator's next move (Seek*, Next, Prev) or
// destruction, whichever comes first; an engine may keep them longer (bolt: until the snapshot
// ends), but callers must not rely on it.
#ifndef LARDER_KV_H_
#define LARDER_KV_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/status.h"

namespace larder::kv {

struct WriteOptions {
  // true: OK means durable. false: OK means atomic and visible, durable at the engine's
  // discretion. See the durability contract at the top of this file.
  bool sync = true;
  // With sync = false only: the engine may keep the batch in the process's memory until
  // Store::FlushWrites (see the durability contract at the top of this file).
  bool buffer = false;
};

struct IteratorOptions {
  // Inclusive lower and exclusive upper bound: the iterator shows only keys in
  // [lower_bound, upper_bound). The bytes are copied by NewIterator.
  std::optional<std::string_view> lower_bound;
  std::optional<std::string_view> upper_bound;
};

// An ordered cursor over a consistent view (a snapshot) of the store.
//
// Thread-safety: one thread at a time. After an error the iterator is not Valid() and status()
// holds the error; a read that simply runs off either end leaves status() OK.
class Iterator {
 public:
  virtual ~Iterator() = default;

  // True when positioned on an entry within the bounds.
  virtual bool Valid() const = 0;
  // The first entry (>= lower bound) / the last entry (< upper bound).
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // The first entry with key >= target (and within the bounds).
  virtual void Seek(std::string_view target) = 0;
  // The last entry with key <= target (and within the bounds).
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  // Moves forward over `n` entries in one call, as `n` calls of Next would: positioned on the
  // n-th entry after this one, or not Valid() when fewer are left within the bounds. An engine
  // overrides it to step through a page's entries without the per-entry bound checks (a rank
  // lookup skips up to a few hundred entries). REQUIRES: Valid().
  virtual void Skip(std::uint64_t n) {
    for (; n > 0 && Valid(); --n) Next();
  }
  // REQUIRES: Valid(). Valid until the next move or destruction (see the file comment).
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // OK, or the error (e.g. Corruption) that stopped the iterator.
  virtual const Status& status() const = 0;
};

// Reads of one consistent state: the store's latest state (Store) or a point in time (Snapshot).
class ReadView {
 public:
  virtual ~ReadView() = default;
  // Copies the value of `key` into *value (reusing its capacity): OK, NotFound when absent, or
  // an error. *value is unspecified unless OK.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  // A new iterator, not positioned (call a Seek* first). From a Store it reads the state at
  // creation (an implicit snapshot it holds until destroyed).
  virtual Result<std::unique_ptr<Iterator>> NewIterator(const IteratorOptions& options = {}) = 0;

 protected:
  // The default GetView of Snapshot and Transaction: Get into `buffer`, then view it.
  Status GetIntoBuffer(std::string_view key, std::string_view* value, std::string* buffer) {
    Status s = Get(key, buffer);
    if (s.ok()) *value = *buffer;
    return s;
  }
};

// A consistent, read-only view of the store as of its creation, unaffected by later writes.
// Holding one keeps the state it sees alive (bolt: the pages it reads are not reused; an LSM:
// the versions it sees are not compacted away), so release it promptly. Destroying it releases.
class Snapshot : public ReadView {
 public:
  // Like Get, without copying into the caller's string: on OK, *value views the value, valid
  // until the next GetView on this snapshot or the snapshot's destruction, whichever comes
  // first. NotFound when absent; *value is unspecified unless OK. An engine whose snapshot pins
  // the memory its values live in overrides it to return a view of them (bolt: the map, no copy
  // at all); this default copies into a buffer the snapshot owns and reuses.
  virtual Status GetView(std::string_view key, std::string_view* value) {
    return GetIntoBuffer(key, value, &view_buffer_);
  }

 private:
  std::string view_buffer_;  // the default GetView's copy
};

// An atomic group of updates, applied in insertion order (a later entry for a key wins).
class WriteBatch {
 public:
  enum class Op : std::uint8_t { kPut = 1, kDelete = 2 };
  struct Entry {
    Op op;
    std::string_view key;
    std::string_view value;  // empty for kDelete
  };

  // The bytes are copied. REQUIRES: key and value shorter than 4 GiB.
  void Put(std::string_view key, std::string_view value) { Append(Op::kPut, key, value); }
  void Delete(std::string_view key) { Append(Op::kDelete, key, {}); }
  // Removes every entry, keeping the buffer's capacity.
  void Clear() {
    rep_.clear();
    count_ = 0;
  }

  std::size_t Count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Bytes held: keys, values and 9 bytes of framing per entry.
  std::size_t ByteSize() const { return rep_.size(); }

  // Forward iteration over the entries in insertion order; views valid until the batch changes.
  // Named as standard containers name theirs.
  class const_iterator {  // NOLINT(readability-identifier-naming)
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry*;
    using reference = const Entry&;
    const_iterator() = default;
    const Entry& operator*() const { return entry_; }
    const Entry* operator->() const { return &entry_; }
    const_iterator& operator++() {
      pos_ += kHeader + entry_.key.size() + entry_.value.size();
      Decode();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return pos_ == o.pos_; }

   private:
    friend class WriteBatch;
    const_iterator(const std::string* rep, std::size_t pos) : rep_(rep), pos_(pos) { Decode(); }
    void Decode() {
      if (pos_ >= rep_->size()) return;
      const char* p = rep_->data() + pos_;
      std::uint32_t klen, vlen;
      std::memcpy(&klen, p + 1, 4);
      std::memcpy(&vlen, p + 5, 4);
      entry_.op = static_cast<Op>(p[0]);
      entry_.key = std::string_view(p + kHeader, klen);
      entry_.value = std::string_view(p + kHeader + klen, vlen);
    }
    const std::string* rep_ = nullptr;
    std::size_t pos_ = 0;
    Entry entry_{Op::kPut, {}, {}};
  };
  const_iterator begin() const { return const_iterator(&rep_, 0); }
  const_iterator end() const { return const_iterator(&rep_, rep_.size()); }

 private:
  // Entry framing: op (1 byte), key length, value length (4 bytes each, host order), key, value.
  // In memory only; never persisted.
  static constexpr std::size_t kHeader = 9;
  void Append(Op op, std::string_view key, std::string_view value) {
    assert(key.size() <= UINT32_MAX && value.size() <= UINT32_MAX);
    const auto klen = static_cast<std::uint32_t>(key.size());
    const auto vlen = static_cast<std::uint32_t>(value.size());
    // One resize and three copies (not three appends, each checking capacity).
    const std::size_t at = rep_.size();
    rep_.resize(at + kHeader + key.size() + value.size());
    char* p = rep_.data() + at;
    p[0] = static_cast<char>(op);
    std::memcpy(p + 1, &klen, 4);
    std::memcpy(p + 5, &vlen, 4);
    if (!key.empty()) std::memcpy(p + kHeader, key.data(), key.size());
    if (!value.empty()) std::memcpy(p + kHeader + key.size(), value.data(), value.size());
    ++count_;
  }
  std::string rep_;
  std::size_t count_ = 0;
};

// A read-write transaction: reads see the last committed state plus this transaction's own
// writes; Commit applies every write atomically, Rollback (or destruction) discards them.
// Obtain one from Store::BeginTransaction. A transaction may stay open for long (larderd keeps
// one open between checkpoints); its writes live in memory (bolt: the dirty nodes of a write
// transaction) until it commits.
//
// One at a time per store: BeginTransaction waits while another transaction is open, and so
// does Store::Write (and Put/Delete): a thread that holds a transaction must not call the
// store's write methods (it would wait for itself); write through the transaction instead.
//
// What others see meanwhile: Store::Get, new Snapshots and store-level Iterators read the last
// committed state; nothing of an open transaction is visible outside it until Commit returns.
//
// Thread-safety: one thread at a time (it may move between threads). Lifetime: end it (Commit,
// Rollback or destruction) before closing the store; Iterators made from it must be destroyed
// before the transaction ends. An Iterator of the transaction sees its writes made before the
// iterator's last Seek*; any write to the transaction (Put, Delete, Write) invalidates every
// iterator of it and every view returned by it: after a write, an old iterator may only be
// re-positioned with a Seek* or destroyed.
//
// Errors: the write methods fail as Store::Write does (InvalidArgument for a key or value the
// engine cannot hold, and then that call applied nothing); a transaction whose write failed
// otherwise (IOError, NoSpace, Corruption) is broken: later calls return that error and
// Commit returns it and rolls back. After Commit or Rollback every call but Rollback returns
// TxClosed.
class Transaction : public ReadView {
 public:
  // Like Get, without copying: on OK, *value views the value, valid until the next call on
  // this transaction that writes, the next GetView, or the transaction's end. The default
  // copies into a buffer the transaction owns (as Snapshot's).
  virtual Status GetView(std::string_view key, std::string_view* value) {
    return GetIntoBuffer(key, value, &view_buffer_);
  }

  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // Deleting an absent key is OK.
  virtual Status Delete(std::string_view key) = 0;
  // Deletes `key` and hands back the value it had: OK with *value set (when value is not
  // nullptr), or NotFound when the key is absent (nothing written, the transaction stays
  // usable). What GetView then Delete do, in one step where the engine can (bolt: one descent
  // of the tree); this default does those two. Other errors as Delete's.
  virtual Status Take(std::string_view key, std::string* value) {
    std::string_view old;
    Status s = GetView(key, &old);
    if (!s.ok()) return s;
    if (value != nullptr) value->assign(old);
    return Delete(key);
  }
  // Applies the batch's entries in order. An engine checks every entry against its limits
  // before applying any (InvalidArgument: nothing of the batch applied; bolt does); this
  // default applies them one by one and stops at the first error. Any other error breaks the
  // transaction anyway.
  virtual Status Write(const WriteBatch& batch) {
    for (const WriteBatch::Entry& e : batch) {
      Status s = e.op == WriteBatch::Op::kPut ? Put(e.key, e.value) : Delete(e.key);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  // Makes every write of the transaction visible and, with options.sync, durable (as
  // Store::Write's contract says), atomically, and ends the transaction. An empty
  // transaction commits at no cost. On an error the transaction is rolled back (and a failed
  // sync poisons the store as in Store::Write).
  virtual Status Commit(const WriteOptions& options = {}) = 0;
  // Discards every write and ends the transaction. OK when already ended.
  virtual Status Rollback() = 0;

 private:
  std::string view_buffer_;  // the default GetView's copy
};

// An open key-value store. Obtain one from an engine's factory (e.g. bolt::OpenKV).
class Store : public ReadView {
 public:
  // Closes if Close was not called, dropping its status. REQUIRES: no Snapshot or Iterator of
  // this store is alive.
  ~Store() override = default;

  // Applies `batch` atomically (an empty batch is OK and writes nothing). Errors:
  // InvalidArgument (a key or value the engine cannot hold; nothing applied), ReadOnly,
  // NoSpace, IOError, Poisoned (an earlier sync failed), Corruption.
  virtual Status Write(const WriteOptions& options, const WriteBatch& batch) = 0;
  // One-entry writes; engines may override them with a cheaper path than a WriteBatch.
  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) {
    WriteBatch b;
    b.Put(key, value);
    return Write(options, b);
  }
  virtual Status Delete(const WriteOptions& options, std::string_view key) {
    WriteBatch b;
    b.Delete(key);
    return Write(options, b);
  }

  // Makes every write that returned OK before this call durable, as if each had been written
  // with sync = true (group commit done by the caller: write with sync = false, then one
  // SyncWrites covers them all). Cheap when nothing is unsynced. Errors: IOError (the store is
  // then Poisoned, as after a failed sync write), Poisoned; NotSupported for an engine that
  // cannot tell (the default: callers must then write with sync = true).
  virtual Status SyncWrites() { return Status::NotSupported("SyncWrites"); }

  // Hands every write that returned OK before this call to the operating system, so that a
  // crash of the process alone can no longer lose it (WriteOptions::buffer); a power loss still
  // may, until SyncWrites. Cheap when nothing is buffered. Errors: IOError (the store is then
  // Poisoned, as after a failed write), Poisoned. The default, for engines that never buffer:
  // OK.
  virtual Status FlushWrites() { return Status::Ok(); }

  // Frees memory the store keeps only to make later writes cheaper (bolt: ended write
  // transactions' memory, Options::arena_cache_bytes), for a writer gone idle; and how much it
  // keeps now. Thread-safe. The defaults, for engines that keep none: nothing, 0.
  virtual void ReleaseCachedMemory() {}
  virtual std::uint64_t CachedMemoryBytes() const { return 0; }

  // A snapshot of the latest state.
  virtual Result<std::unique_ptr<Snapshot>> GetSnapshot() = 0;

  // Starts the store's read-write transaction, waiting while another is open (see
  // Transaction). Errors: ReadOnly, Poisoned, IOError; NotSupported for an engine without
  // transactions.
  virtual Result<std::unique_ptr<Transaction>> BeginTransaction() {
    return Status::NotSupported("transactions");
  }

  // Releases the store's files and locks. REQUIRES: no Snapshot or Iterator alive. After Close,
  // only destruction is allowed.
  virtual Status Close() = 0;
};

}  // namespace larder::kv

#endif  // LARDER_KV_H_
