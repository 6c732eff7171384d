#include "lsm/table_output.h"

#include <utility>

#include "lsm/db_internal.h"
#include "lsm/dbformat.h"
#include "lsm/filename.h"

namespace larder::lsm {

TableOptions TableOutputOptions(const Options& options, int level) {
  TableOptions t;
  t.block_size = options.block_size;
  t.restart_interval = options.block_restart_interval;
  t.bloom_bits_per_key = options.bloom_bits_per_key;
  t.compression = CompressionFor(options, level);
  t.writeback_bytes = options.writeback_bytes;
  return t;
}

TableOutput::TableOutput(FileSystem* fs, std::string dir, const TableOptions& options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

TableOutput::~TableOutput() {
  if (!done_ && writer_ != nullptr) Abandon();
}

Status TableOutput::Open(std::uint64_t number) {
  number_ = number;
  LARDER_ASSIGN_OR_RETURN(writer_,
                          fs_->NewAppendWriter(TableFileName(dir_, number),
                                               {.buffer_size = std::size_t{256} << 10,
                                                .exclusive = true,
                                                .writeback_bytes = options_.writeback_bytes}));
  builder_ = std::make_unique<TableBuilder>(options_, writer_.get());
  return Status::Ok();
}

void TableOutput::Add(std::string_view internal_key, std::string_view value) {
  ParsedInternalKey k;
  const bool parsed = ParseInternalKey(internal_key, &k);
  if (parsed && k.type == ValueType::kRangeDeletion) {
    // The range [begin, end): begin at its sequence on the left, end before all of e's
    // entries on the right.
    if (entries_ == 0 || CompareInternalKeys(internal_key, smallest_) < 0) {
      smallest_.assign(internal_key);
    }
    std::string end_key;
    AppendInternalKey(&end_key, value, kMaxSequenceNumber, ValueType::kRangeDeletion);
    if (entries_ == 0 || CompareInternalKeys(end_key, largest_) > 0) largest_ = std::move(end_key);
  } else {
    if (entries_ == 0 || CompareInternalKeys(internal_key, smallest_) < 0) {
      smallest_.assign(internal_key);
    }
    if (entries_ == 0 || CompareInternalKeys(internal_key, largest_) > 0) {
      largest_.assign(internal_key);
    }
  }
  ++entries_;
  builder_->Add(internal_key, value);
}

std::uint64_t TableOutput::FileSize() const {
  return builder_ != nullptr ? builder_->FileSize() : 0;
}

Status TableOutput::Finish(FileMetaData* meta) {
  Status s = builder_->Finish();
  if (s.ok()) s = writer_->Sync();
  if (s.ok()) s = writer_->Close();
  if (!s.ok()) {
    Abandon();
    return s;
  }
  done_ = true;
  const TableProperties& p = builder_->properties();
  meta->number = number_;
  meta->file_size = builder_->FileSize();
  meta->smallest = smallest_;
  meta->largest = largest_;
  meta->smallest_seq = p.smallest_seq;
  meta->largest_seq = p.largest_seq;
  meta->num_entries = p.num_entries + p.num_range_deletions;
  meta->num_deletions = p.num_deletions + p.num_range_deletions;
  meta->num_range_deletions = p.num_range_deletions;
  return Status::Ok();
}

void TableOutput::Abandon() {
  done_ = true;
  if (builder_ != nullptr) builder_->Abandon();
  if (writer_ != nullptr) (void)writer_->Close();
  (void)fs_->Remove(TableFileName(dir_, number_));
}

}  // namespace larder::lsm
