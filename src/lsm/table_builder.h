// TableBuilder: writes one sorted table (.sst) front to back through an AppendWriter
// (layout in docs/formats/lsm.md, "Sorted tables"):
//   data blocks | filter block | range-deletion block | properties block | index block | footer
// each block followed by its 5-byte trailer (compression type, masked CRC32C).
//
// Usage: Add every entry, then Finish (or Abandon). Finish writes the rest of the table but
// neither syncs nor closes the writer: the caller does (Sync, then Close), then records the
// table. The table starts at the writer's position when the builder is made; Table::Open
// expects it at the start of its file.
//
// Errors: the first failure of the writer (or a key out of order) is kept and returned by
// Finish; later Adds do nothing.
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_TABLE_BUILDER_H_
#define LARDER_LSM_TABLE_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/file_system.h"
#include "larder/lsm/options.h"
#include "larder/status.h"
#include "lsm/block_builder.h"
#include "lsm/filter.h"
#include "lsm/table_format.h"

namespace larder::lsm {

struct TableOptions {
  // Uncompressed bytes after which a data block is closed.
  std::size_t block_size = 4096;
  // Keys between restart points in data blocks (index and range-deletion blocks use 1).
  int restart_interval = 16;
  // Bloom filter bits per user key; 0 writes no filter.
  int bloom_bits_per_key = 10;
  // Data blocks' codec; a block that does not shrink by 1/8 is stored uncompressed.
  Compression compression = Compression::kNone;
  // For the file's writer (TableOutput; the builder ignores it): AppendWriterOptions's.
  std::uint64_t writeback_bytes = 0;
};

class TableBuilder {
 public:
  // `out` is not owned and must outlive the builder.
  TableBuilder(const TableOptions& options, AppendWriter* out);
  ~TableBuilder();
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // REQUIRES: internal keys strictly increasing (CompareInternalKeys), except kRangeDeletion
  // entries (key = begin ++ trailer, value = end user key), which may come in any order and go
  // to the range-deletion block. A key out of order, or one shorter than a trailer or with an
  // unknown type, fails the build (InvalidArgument from Finish).
  void Add(std::string_view internal_key, std::string_view value);
  // Writes the remaining blocks and the footer. REQUIRES: neither Finish nor Abandon called.
  [[nodiscard]] Status Finish();
  // Gives up: writes nothing more (the caller removes the file).
  void Abandon();

  // Bytes of the table so far (all of it after Finish).
  std::uint64_t FileSize() const;
  // Entries added (data and range deletions).
  std::uint64_t NumEntries() const {
    return props_.num_entries + static_cast<std::uint64_t>(range_dels_.size());
  }
  // Valid after Finish; counters so far before it.
  const TableProperties& properties() const { return props_; }
  Status status() const { return status_; }

 private:
  void FlushDataBlock();
  // Writes `contents` (compressed with `type` when that pays) and its trailer; sets *handle.
  void WriteBlock(std::string_view contents, Compression type, BlockHandle* handle);
  void WriteRaw(std::string_view data);
  void NoteSequence(std::uint64_t seq);

  const TableOptions options_;
  AppendWriter* const out_;
  const std::uint64_t base_;  // the writer's size when the table began
  std::uint64_t offset_ = 0;  // bytes of this table written so far
  Status status_;
  bool closed_ = false;

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::unique_ptr<FilterBuilder> filter_;
  std::vector<std::pair<std::string, std::string>> range_dels_;
  std::string last_key_;
  // Set when a data block has just been written: its index entry waits for the next key, so
  // that the separator can be short.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  std::string compressed_;  // scratch for CompressBlock
  std::string scratch_;     // separators, handles
  TableProperties props_;
  bool any_seq_ = false;
  std::map<std::uint64_t, std::uint64_t> pointer_bytes_;  // by value-log file
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_BUILDER_H_
