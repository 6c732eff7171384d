// TableOutput: writes one new sorted table for a flush or a compaction and describes it for
// the MANIFEST (FileMetaData): the file is created exclusively under its final name (a number
// from VersionSet::NewFileNumber, kept from deletion by the caller until an edit lists it),
// built with TableBuilder, fsynced and closed by Finish. The table is not part of the
// database until the caller's VersionEdit is applied; Abandon (or a failure) removes the file.
//
// Key range: smallest/largest are the first and last internal keys added, widened by range
// tombstones: a tombstone [b, e) widens the range to (b, its sequence) at the left and to
// (e, kMaxSequenceNumber, kRangeDeletion) at the right, which sorts before every entry of e
// (e itself is not deleted).
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_TABLE_OUTPUT_H_
#define LARDER_LSM_TABLE_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/lsm/options.h"
#include "lsm/table_builder.h"
#include "lsm/version_edit.h"

namespace larder::lsm {

// The table options for a table written to `level`.
TableOptions TableOutputOptions(const Options& options, int level);

class TableOutput {
 public:
  TableOutput(FileSystem* fs, std::string dir, const TableOptions& options);
  ~TableOutput();  // abandons an unfinished table

  [[nodiscard]] Status Open(std::uint64_t number);
  // REQUIRES: Open returned OK; keys as TableBuilder::Add requires.
  void Add(std::string_view internal_key, std::string_view value);
  bool empty() const { return entries_ == 0; }
  std::uint64_t FileSize() const;
  // Finishes, fsyncs and closes the table; fills *meta.
  [[nodiscard]] Status Finish(FileMetaData* meta);
  // Gives up and removes the file.
  void Abandon();

 private:
  FileSystem* const fs_;
  const std::string dir_;
  const TableOptions options_;
  std::uint64_t number_ = 0;
  std::unique_ptr<AppendWriter> writer_;
  std::unique_ptr<TableBuilder> builder_;
  std::string smallest_, largest_;
  std::uint64_t entries_ = 0;
  bool done_ = false;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_OUTPUT_H_
