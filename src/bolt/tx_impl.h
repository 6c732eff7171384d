// TxImpl: one transaction's state: its meta copy (the snapshot), the map it reads through, and
// for a writer the nodes, buckets and dirty pages it builds.
//
// Invariants: a reader only reads pages below its meta's high-water mark, through the map it
// took at begin; those pages cannot be reused while it is open (the freelist keeps them
// pending). The map stays valid for the transaction's life even if the DB maps the file again.
// Thread-safety: none; one thread at a time.
#ifndef LARDER_BOLT_TX_IMPL_H_
#define LARDER_BOLT_TX_IMPL_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/arena.h"
#include "bolt/bucket_impl.h"
#include "bolt/meta.h"
#include "larder/file_system.h"

namespace larder::bolt::internal {

class DBImpl;
struct Snapshot;
class ReaderTable;

class TxImpl {
 public:
  TxImpl(DBImpl* db, bool writable, const Meta& meta, std::shared_ptr<const MappedRegion> map);
  ~TxImpl();

  DBImpl* const db;
  const bool writable;
  bool open = true;
  Meta meta;
  std::shared_ptr<const MappedRegion> map;
  std::uint32_t page_size;
  Arena arena;
  BucketImpl root;
  std::vector<std::function<void()>> on_commit;
  // A reader's registration (DBImpl::BeginRead): its reader slot, or -1 when it was counted
  // under the DB mutex instead (every slot taken); the snapshot it reads; the reader table
  // (shared with the DB, for RecycleReader).
  int reader_slot = -1;
  Snapshot* snapshot = nullptr;
  std::shared_ptr<ReaderTable> reader_table;  // the DB's; null for writers

  // The page run at `id`: bounds-checked against the high-water mark and the map, its header
  // id checked. Dirty pages of this writer take precedence.
  Result<PageView> Page(Pgid id) const;
  // Page() plus: must be a branch or leaf page whose elements fit.
  Result<PageView> TreePage(Pgid id) const;
  // Hints the CPU to start loading the first `bytes` of page `id` (header and element array),
  // so that a descent overlaps those cache misses instead of taking them one by one. Never
  // reads; ids out of the map are ignored.
  void Prefetch(Pgid id, std::size_t bytes) const {
    const std::uint64_t offset = id * std::uint64_t{page_size};
    if (id >= meta.pgid || offset + bytes > map->size()) return;
    const std::uint8_t* p = map->data() + offset;
    for (std::size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + o);
  }

  Node* NewNode(BucketImpl* bucket, bool is_leaf, Node* parent);
  BucketImpl* NewBucket(BucketHeader header);
  // How many BucketImpls NewBucket has made (a recycled reader is dropped past a few).
  std::size_t buckets_made() const {
    return (first_bucket_ ? 1 : 0) + (bucket_pool_ ? bucket_pool_->size() : 0);
  }
  // A buffer of `count` pages, with a page id from the freelist or the end of the file. Only
  // the 16-byte page header is initialized (id set, the rest zero); the caller fills the rest,
  // zeroing what it does not write.
  Result<std::uint8_t*> Allocate(std::size_t count, Pgid* id);

  Status Commit();
  void Rollback();

 private:
  Status WriteFreelist();
  Status WritePages();
  // Made on first use: a std::deque allocates when constructed, and most readers need neither.
  std::unique_ptr<std::deque<Node>> node_pool_;
  // The first bucket a transaction opens lives here, so that a reader of one bucket (the
  // common case) allocates no pool; later ones go to bucket_pool_. Neither ever moves.
  std::optional<BucketImpl> first_bucket_;
  std::unique_ptr<std::deque<BucketImpl>> bucket_pool_;
  // This writer's new pages (buffers in the arena), in allocation order until something needs
  // them by id: Page() and WritePages() sort them first (dirty_sorted_).
  struct DirtyPage {
    Pgid id;
    std::span<std::uint8_t> bytes;
  };
  void SortDirty() const;
  mutable std::vector<DirtyPage> dirty_;
  mutable bool dirty_sorted_ = true;
};

// Ends `tx` as Tx's destructor does: rolls it back if open and hands a reader back to its slot
// for reuse (RecycleReader).
void EndTx(std::unique_ptr<TxImpl> tx);

// The consistency check over `tx`'s snapshot (see Tx::Check); `progress` may be empty.
std::vector<std::string> CheckTx(
    TxImpl& tx, const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_TX_IMPL_H_
