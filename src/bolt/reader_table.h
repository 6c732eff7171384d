// ReaderTable: read transactions registered without the DB mutex, in fixed slots (the idea of
// LMDB's reader table, kept inside one process).
//
// The writer publishes each committed snapshot (meta + map) as a Snapshot object through one
// atomic pointer. A reader claims a free slot by storing the snapshot pointer it loaded into the
// slot, then loads the current pointer again: only if it is unchanged is the registration
// valid, and only then does the reader read the snapshot's fields. All of these are seq_cst
// operations, and so is the writer's order: publish the new pointer, later scan the slots. A scan
// that misses a slot store therefore ran before that store, so the reader's second load (after
// its store) sees the newer pointer and the reader retries. Consequences the writer relies on:
//  - a Snapshot that no slot holds and that is not current is read by nobody and may be freed
//    (a reader still holding the stale pointer never dereferences it);
//  - the oldest snapshot held by a slot bounds which freed pages may be reused: the writer never
//    reuses a page that a reader which has begun (or is beginning) can still see.
// A slot also keeps one recycled reader TxImpl (see DBImpl::BeginRead), exchanged atomically so
// that a Tx ending on one thread and a reader beginning on another never share it. The table is
// shared (std::shared_ptr) by the DB and every reader TxImpl, so that a reader's Tx destroyed
// after its DB still finds it.
//
// Thread-safety: every member is safe to call concurrently; Release and the begun counter are
// for the slot's owner only.
#ifndef LARDER_BOLT_READER_TABLE_H_
#define LARDER_BOLT_READER_TABLE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "bolt/meta.h"
#include "larder/file_system.h"

namespace larder::bolt::internal {

class TxImpl;

// One published commit as readers see it. Immutable once published, except `pinned`.
struct Snapshot {
  Meta meta;
  std::shared_ptr<const MappedRegion> map;
  // Readers registered under DBImpl::mu_ because every slot was taken. Guarded by DBImpl::mu_.
  std::size_t pinned = 0;
};

class ReaderTable {
 public:
  static constexpr std::size_t kSlots = 64;
  static constexpr int kNoSlot = -1;

  ReaderTable() = default;
  ReaderTable(const ReaderTable&) = delete;
  ReaderTable& operator=(const ReaderTable&) = delete;

  // The snapshot new readers get; nullptr once the DB is closed. Stored by the DB (under its
  // mutex), loaded by readers without it.
  void Publish(Snapshot* snap) { current_.store(snap, std::memory_order_seq_cst); }
  Snapshot* current() const { return current_.load(std::memory_order_seq_cst); }

  // Claims a free slot and registers the current snapshot in it. Returns the slot and sets
  // *snap to the registered snapshot, which stays valid until Release(slot).
  // kNoSlot with *snap == nullptr: the DB is closed. kNoSlot with *snap set to a (then) current
  // pointer: every slot is taken; the caller registers another way and must not dereference
  // *snap before validating it.
  int Acquire(Snapshot** snap);
  // Ends the registration of `slot`. REQUIRES: the caller acquired it and has not released it.
  void Release(int slot) { slots_[slot].snap.store(nullptr, std::memory_order_release); }

  // Deletes every kept TxImpl (at close, and after a remap).
  void DropCached();

  // The slot's recycled TxImpl, or nullptr; the caller owns the result.
  TxImpl* TakeCached(int slot) {
    return slots_[slot].cached.exchange(nullptr, std::memory_order_seq_cst);
  }
  // Stores `tx` (owned) as the slot's recycled TxImpl; returns the one it replaced (owned by
  // the caller now), or nullptr.
  TxImpl* PutCached(int slot, TxImpl* tx) {
    return slots_[slot].cached.exchange(tx, std::memory_order_seq_cst);
  }

  // Appends the snapshot pointers the slots hold now. A pointer may be stale (a reader about to
  // retry); compare, never dereference.
  void CollectHeld(std::vector<const Snapshot*>* out) const;
  // Registered readers (slots in use) and read transactions begun through slots, for Stats.
  std::size_t InUse() const;
  std::uint64_t Begun() const;

 private:
  struct alignas(64) Slot {
    std::atomic<Snapshot*> snap{nullptr};
    std::atomic<TxImpl*> cached{nullptr};
    std::atomic<std::uint64_t> begun{0};  // written by the slot's owner only
  };
  std::atomic<Snapshot*> current_{nullptr};
  std::array<Slot, kSlots> slots_;
};

// Keeps `tx`, an ended reader, in its slot for the slot's next reader, or deletes it: when it
// was not registered in a slot, when its snapshot is no longer current (it would pin an old
// map) or the DB is closed, or when it opened many buckets (failed opens are not cached and
// would pile up across reuses). Touches only tx's ReaderTable, which every reader TxImpl
// co-owns, so it is safe after the DB is gone (an ended Tx may outlive its DB).
void RecycleReader(std::unique_ptr<TxImpl> tx);

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_READER_TABLE_H_
