// Block: a read-only, parsed block of a sorted table (format in block_builder.h and
// docs/formats/lsm.md), and BlockIter, the InternalIterator over its entries.
//
// Every read is bounds-checked: a damaged block makes its iterator !Valid() with a Corruption
// status naming the file and the block's offset, never a read outside the block.
//
// Ownership and lifetime: a Block owns its bytes (Create), or views bytes that an owner it
// holds keeps alive (CreateView: a table's memory mapping). Blocks are shared (std::shared_ptr)
// between the block cache, the tables and the iterators reading them: an iterator keeps its
// block, and so the bytes, alive after the cache evicts it. key() and value() of a BlockIter stay
// valid until its next move or its destruction.
//
// Thread-safety: a Block is immutable after Create and may be read by any number of threads;
// a BlockIter is used by one thread at a time.
#ifndef LARDER_LSM_BLOCK_H_
#define LARDER_LSM_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/status.h"
#include "lsm/internal_iterator.h"

namespace larder::lsm {

// Where a block came from, for error messages: "<file>: block at <offset>". `file` must
// outlive every iterator made with it (tables pass their File::path()).
struct BlockOrigin {
  std::string_view file;
  std::uint64_t offset = 0;
};

// Where a block's entries end (and its restart array begins) and how many restart points it
// has: what Block::ParseLayout checks and a BlockIter needs.
struct BlockLayout {
  std::uint32_t restarts_offset = 0;
  std::uint32_t num_restarts = 0;
};

class Block {
  struct Key {};  // only Create makes Blocks

 public:
  // For Create only (std::make_shared needs a public constructor).
  explicit Block(Key) {}

  // Takes the block's bytes (the payload without its trailer, uncompressed) and checks its
  // restart array. Corruption when it does not fit.
  static Result<std::shared_ptr<const Block>> Create(std::string contents, BlockOrigin origin);
  // The same over `bytes`, which the block does not copy: `owner` (a table's MappedRegion) keeps
  // them alive as long as the block lives.
  static Result<std::shared_ptr<const Block>> CreateView(std::string_view bytes,
                                                         std::shared_ptr<const void> owner,
                                                         BlockOrigin origin);

  // Checks the restart array at the end of `contents` (a block's bytes, uncompressed): every
  // restart point inside the entries, the first at 0, each above the previous. Corruption
  // naming `origin` when it does not fit.
  static Result<BlockLayout> ParseLayout(std::string_view contents, BlockOrigin origin);

  std::string_view data() const { return data_; }
  // The block's size in bytes (entries and restart array).
  std::size_t size() const { return data_.size(); }
  // The heap bytes this block holds (the block cache's charge): its size when it owns its
  // bytes, only the object when it views a mapping (those bytes are the OS page cache's).
  std::size_t memory_usage() const { return sizeof(Block) + owned_.size(); }
  const BlockLayout& layout() const { return layout_; }
  std::uint32_t num_restarts() const { return layout_.num_restarts; }
  // Where the entries end and the restart array begins.
  std::uint32_t restarts_offset() const { return layout_.restarts_offset; }

 private:
  std::string owned_;                  // the bytes, when the block owns them
  std::string_view data_;              // owned_, or bytes owner_ keeps alive
  std::shared_ptr<const void> owner_;  // nullptr when the block owns its bytes
  BlockLayout layout_;
};

// The cursor over one block's entries, in internal-key order (CompareInternalKeys). Every key
// must be at least kTrailerSize long, else Corruption.
class BlockIter final : public InternalIterator {
 public:
  // Holds a reference to the block: it stays alive while the cursor does.
  BlockIter(std::shared_ptr<const Block> block, BlockOrigin origin);
  // Borrows the block, which must outlive the cursor (a table's pinned index): no reference
  // count touched, so concurrent readers do not contend on one.
  BlockIter(const Block& block, BlockOrigin origin);
  // Borrows `contents`, whose layout ParseLayout returned; they must outlive the cursor (a
  // mapped table's block: the table outlives its iterators).
  BlockIter(std::string_view contents, BlockLayout layout, BlockOrigin origin);
  // Point the cursor at another block (unpositioned, status OK), keeping its buffers; the
  // first holds a reference to the block, the second borrows as the constructor above.
  void Reset(std::shared_ptr<const Block> block, BlockOrigin origin);
  void Reset(std::string_view contents, BlockLayout layout, BlockOrigin origin);

  // Seek(target) when the caller knows that the last restart point whose key is below
  // `target` (or restart 0, when none is) lies in [left, right]: the search looks there only.
  // REQUIRES: left <= right < num_restarts.
  void SeekBetweenRestarts(std::string_view target, std::uint32_t left, std::uint32_t right);

  // The restart point at or before the current entry (valid cursor). In a block whose every
  // entry is a restart point (a table's index block), that is the entry's ordinal.
  std::uint32_t restart_index() const { return restart_index_; }

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  // Decodes the entry at `offset` while key_ holds the previous entry's key (or nothing, at a
  // restart). False (and status_ set, or not valid at the end) when it cannot.
  bool ParseEntryAt(std::uint32_t offset);
  // The full key stored at restart `index` (a view into the block), or false on damage.
  bool RestartKey(std::uint32_t index, std::string_view* key);
  std::uint32_t RestartOffset(std::uint32_t index) const;
  // Positions on the first entry of restart `index`.
  void SeekToRestart(std::uint32_t index);
  void Corrupt(std::string_view what, std::uint32_t at);

  std::shared_ptr<const Block> block_;  // nullptr when borrowed
  BlockOrigin origin_;
  const char* data_;
  std::uint32_t restarts_offset_;
  std::uint32_t num_restarts_;

  bool valid_ = false;
  std::uint32_t current_ = 0;        // offset of the current entry
  std::uint32_t next_ = 0;           // offset just past it
  std::uint32_t restart_index_ = 0;  // the restart point at or before current_
  // The current key: a view into the block when the entry stores it whole (shared = 0, as
  // every restart point and every index entry), else into key_buf_.
  std::string_view key_;
  std::string key_buf_;
  std::string_view value_;
  Status status_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_BLOCK_H_
