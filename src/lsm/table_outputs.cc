#include "lsm/table_outputs.h"

#include <algorithm>
#include <utility>

#include "lsm/dbformat.h"
#include "lsm/filename.h"
#include "lsm/version.h"

namespace larder::lsm {

TableOutputs::TableOutputs(FileSystem* fs, const std::string& dir, const TableOptions& options,
                           TableCutRule rule, std::function<std::uint64_t()> new_number)
    : fs_(fs), dir_(dir), options_(options), rule_(rule), new_number_(std::move(new_number)) {}

std::vector<UserKeyRange> KeyRangesOf(const std::vector<FileRef>& files) {
  std::vector<UserKeyRange> out;
  out.reserve(files.size());
  for (const FileRef& f : files) {
    out.push_back({std::string(f->smallest_user_key()), std::string(f->largest_user_key())});
  }
  return out;
}

bool TableOutputs::SkipsATableBelow(std::string_view user_key) {
  const auto& below = rule_.tables_below;
  const bool skips = next_below_ < below.size() && below[next_below_].largest < user_key;
  while (next_below_ < below.size() && below[next_below_].smallest <= user_key) ++next_below_;
  return skips;
}

bool TableOutputs::PrefixChanges(std::string_view user_key) const {
  return rule_.cut_prefix_length > 0 && user_key.substr(0, rule_.cut_prefix_length) != last_prefix_;
}

Status TableOutputs::Add(std::string_view internal_key, std::string_view value, bool new_user_key) {
  if (new_user_key) {
    const std::string_view user_key = ExtractUserKey(internal_key);
    const bool skips = SkipsATableBelow(user_key);
    if (out_ != nullptr && (out_->FileSize() >= rule_.target_size || PrefixChanges(user_key) ||
                            (skips && out_->FileSize() >= rule_.gap_cut_size))) {
      LARDER_RETURN_IF_ERROR(Cut(std::string(user_key)));
    }
    if (rule_.cut_prefix_length > 0) {
      last_prefix_.assign(user_key.substr(0, rule_.cut_prefix_length));
    }
  }
  if (out_ == nullptr) LARDER_RETURN_IF_ERROR(Start());
  out_->Add(internal_key, value);
  return Status::Ok();
}

Status TableOutputs::Finish() {
  if (out_ == nullptr && tombstones_ != nullptr && !tombstones_->empty()) {
    LARDER_RETURN_IF_ERROR(Start());
  }
  if (out_ == nullptr) return Status::Ok();
  return Close(std::nullopt);
}

Status TableOutputs::SyncNames() const {
  return files_.empty() ? Status::Ok() : fs_->SyncDir(dir_);
}

void TableOutputs::RemoveAll() const {
  for (std::uint64_t n : numbers_) (void)fs_->Remove(TableFileName(dir_, n));
}

std::uint64_t TableOutputs::bytes() const {
  std::uint64_t b = 0;
  for (const FileMetaData& f : files_) b += f.file_size;
  return b;
}

Status TableOutputs::Start() {
  const std::uint64_t number = new_number_();
  numbers_.push_back(number);
  out_ = std::make_unique<TableOutput>(fs_, dir_, options_);
  return out_->Open(number);
}

Status TableOutputs::Cut(std::string next_start) {
  LARDER_RETURN_IF_ERROR(Close(next_start));
  start_ = std::move(next_start);
  return Status::Ok();
}

Status TableOutputs::Close(const std::optional<std::string>& end) {
  if (tombstones_ != nullptr) {
    std::string key;
    for (const RangeTombstone& t : *tombstones_) {
      std::string_view b = t.begin, e = t.end;
      if (start_.has_value() && b < *start_) b = *start_;
      if (end.has_value() && e > *end) e = *end;
      if (b >= e) continue;
      key.clear();
      AppendInternalKey(&key, b, t.seq, ValueType::kRangeDeletion);
      out_->Add(key, e);
    }
  }
  if (out_->empty()) {
    out_->Abandon();
    out_.reset();
    return Status::Ok();
  }
  FileMetaData meta;
  LARDER_RETURN_IF_ERROR(out_->Finish(&meta));
  files_.push_back(std::move(meta));
  out_.reset();
  return Status::Ok();
}

}  // namespace larder::lsm
