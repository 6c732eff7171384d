// VersionEdit: one change to the set of files that make up an LSM database, as recorded in the
// MANIFEST (docs/formats/lsm.md, "MANIFEST and version edits"). A MANIFEST is a snapshot edit
// (the whole state) followed by the edits applied since, in order.
//
// Thread-safety: plain values; one thread at a time.
#ifndef LARDER_LSM_VERSION_EDIT_H_
#define LARDER_LSM_VERSION_EDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/status.h"
#include "lsm/dbformat.h"

namespace larder::lsm {

// Levels an edit may name. Options::num_levels must not exceed it.
inline constexpr int kMaxNumLevels = 16;

// A sorted table as the MANIFEST describes it.
struct FileMetaData {
  std::uint64_t number = 0;
  std::uint64_t file_size = 0;
  // The first and last internal keys of the table (dbformat.h), range tombstones included: a
  // tombstone [b, e) widens the range to b at the left and to e at the right.
  std::string smallest;
  std::string largest;
  // A range holding the sequence of every entry; a flush gives each of its tables its
  // memtable's whole range (Version::Level0Runs).
  SequenceNumber smallest_seq = 0;
  SequenceNumber largest_seq = 0;
  std::uint64_t num_entries = 0;
  std::uint64_t num_deletions = 0;  // point and range tombstones
  std::uint64_t num_range_deletions = 0;
  // Runtime only, never persisted: the file is an input of a running compaction. Read and
  // written only under the lock that serializes compaction picking (DBImpl's mutex); mutable
  // because the FileMetaData is shared, const, by every Version that holds the file.
  mutable bool being_compacted = false;

  std::string_view smallest_user_key() const { return ExtractUserKey(smallest); }
  std::string_view largest_user_key() const { return ExtractUserKey(largest); }
  bool operator==(const FileMetaData& o) const {
    return number == o.number && file_size == o.file_size && smallest == o.smallest &&
           largest == o.largest && smallest_seq == o.smallest_seq && largest_seq == o.largest_seq &&
           num_entries == o.num_entries && num_deletions == o.num_deletions &&
           num_range_deletions == o.num_range_deletions;
  }
};

class VersionEdit {
 public:
  // --- Fields (each optional; an absent one leaves the state unchanged) ---------------------
  // The first value-log file whose records may not all be in tables: recovery replays the
  // value logs from (log_number, log_offset) on.
  void SetLogNumber(std::uint64_t n) { log_number_ = n; }
  void SetLogOffset(std::uint64_t off) { log_offset_ = off; }
  void SetNextFileNumber(std::uint64_t n) { next_file_number_ = n; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  // REQUIRES: 0 <= level < kMaxNumLevels.
  void AddFile(int level, FileMetaData f) { new_files_.emplace_back(level, std::move(f)); }
  void RemoveFile(int level, std::uint64_t number) { deleted_files_.emplace_back(level, number); }
  void AddVlog(std::uint64_t number) { added_vlogs_.push_back(number); }
  void RemoveVlog(std::uint64_t number) { removed_vlogs_.push_back(number); }
  // Bytes of values in vlog `number` that became garbage (overwritten, deleted, expired).
  void AddVlogDiscard(std::uint64_t number, std::uint64_t bytes) {
    vlog_discards_.emplace_back(number, bytes);
  }
  // Where the next size compaction of `level` starts: after this internal key.
  void SetCompactPointer(int level, std::string internal_key) {
    compact_pointers_.emplace_back(level, std::move(internal_key));
  }

  const std::optional<std::uint64_t>& log_number() const { return log_number_; }
  const std::optional<std::uint64_t>& log_offset() const { return log_offset_; }
  const std::optional<std::uint64_t>& next_file_number() const { return next_file_number_; }
  const std::optional<SequenceNumber>& last_sequence() const { return last_sequence_; }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }
  const std::vector<std::pair<int, std::uint64_t>>& deleted_files() const { return deleted_files_; }
  const std::vector<std::uint64_t>& added_vlogs() const { return added_vlogs_; }
  const std::vector<std::uint64_t>& removed_vlogs() const { return removed_vlogs_; }
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& vlog_discards() const {
    return vlog_discards_;
  }
  const std::vector<std::pair<int, std::string>>& compact_pointers() const {
    return compact_pointers_;
  }

  void Clear() { *this = VersionEdit(); }

  // Appends the encoding to *dst.
  void EncodeTo(std::string* dst) const;
  // Replaces *this with the edit encoded in `src`. Every length, level, tag and key is checked:
  // Corruption (naming what was wrong and its offset in `src`) on anything malformed, with
  // *this left cleared.
  [[nodiscard]] Status DecodeFrom(std::string_view src);

  // One line per field, for tests and `larder lsm info --manifest`.
  std::string DebugString() const;

  bool operator==(const VersionEdit& o) const = default;

 private:
  std::optional<std::uint64_t> log_number_;
  std::optional<std::uint64_t> log_offset_;
  std::optional<std::uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
  std::vector<std::pair<int, std::uint64_t>> deleted_files_;
  std::vector<std::uint64_t> added_vlogs_;
  std::vector<std::uint64_t> removed_vlogs_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> vlog_discards_;
  std::vector<std::pair<int, std::string>> compact_pointers_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_VERSION_EDIT_H_
