// BlockBuilder: writes one block of a sorted table (docs/formats/lsm.md, "Sorted tables").
//
// A block is a run of entries with prefix-compressed keys, then the offsets of its restart
// points and their count:
//   entry   := varint32 shared | varint32 non_shared | varint32 value_length
//              | key[shared, shared + non_shared) | value
//   block   := entry* | fixed32 restart_offset * num_restarts | fixed32 num_restarts
// Every `restart_interval`-th entry (the first one included) is a restart point: it stores its
// whole key (shared = 0), so a reader can binary-search the restarts.
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_BLOCK_BUILDER_H_
#define LARDER_LSM_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace larder::lsm {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1.
  explicit BlockBuilder(int restart_interval);

  // Appends an entry. REQUIRES: Finish() not called since the last Reset(); keys in the order
  // the block's reader expects (the caller checks it).
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array; the view stays valid until the next Reset() or destruction.
  std::string_view Finish();
  // Empties the builder for the next block, keeping its buffers' capacity.
  void Reset();

  // The size Finish() would return now.
  std::size_t CurrentSizeEstimate() const {
    return buffer_.size() + (restarts_.size() + 1) * sizeof(std::uint32_t);
  }
  bool empty() const { return entries_ == 0; }
  std::size_t entries() const { return entries_; }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<std::uint32_t> restarts_;
  int since_restart_ = 0;
  std::size_t entries_ = 0;
  std::string last_key_;
  bool finished_ = false;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_BLOCK_BUILDER_H_
