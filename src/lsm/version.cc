#include "lsm/version.h"

#include <fmt/format.h>

#include <algorithm>

namespace larder::lsm {
namespace {

bool BeforeRange(const FileMetaData& f, std::optional<std::string_view> begin) {
  return begin && f.largest_user_key().compare(*begin) < 0;
}
bool AfterRange(const FileMetaData& f, std::optional<std::string_view> end) {
  return end && f.smallest_user_key().compare(*end) > 0;
}

// Level 0: newest first. Deeper levels: by smallest key.
bool NewerFirst(const FileRef& a, const FileRef& b) {
  if (a->largest_seq != b->largest_seq) return a->largest_seq > b->largest_seq;
  return a->number > b->number;
}
bool BySmallestKey(const FileRef& a, const FileRef& b) {
  const int r = CompareInternalKeys(a->smallest, b->smallest);
  return r != 0 ? r < 0 : a->number < b->number;
}

}  // namespace

std::uint64_t Version::LevelBytes(int level) const {
  std::uint64_t sum = 0;
  for (const FileRef& f : files(level)) sum += f->file_size;
  return sum;
}

int Version::Level0Runs() const {
  std::vector<std::pair<SequenceNumber, SequenceNumber>> ranges;
  ranges.reserve(files(0).size());
  for (const FileRef& f : files(0)) ranges.emplace_back(f->smallest_seq, f->largest_seq);
  std::sort(ranges.begin(), ranges.end());
  int runs = 0;
  SequenceNumber run_end = 0;
  for (const auto& [first, last] : ranges) {
    if (runs == 0 || first > run_end) {
      ++runs;
      run_end = last;
    } else {
      run_end = std::max(run_end, last);
    }
  }
  return runs;
}

std::size_t Version::FindFile(int level, std::string_view internal_key) const {
  const auto& files = files_[static_cast<std::size_t>(level)];
  const auto it = std::partition_point(files.begin(), files.end(), [&](const FileRef& f) {
    return CompareInternalKeys(f->largest, internal_key) < 0;
  });
  return static_cast<std::size_t>(it - files.begin());
}

void Version::FilesForGet(const LookupKey& key, std::vector<const FileMetaData*>* out) const {
  out->clear();
  ForEachFileForGet(key, [out](int, const FileMetaData& f) {
    out->push_back(&f);
    return true;
  });
}

std::vector<FileRef> Version::OverlappingInputs(int level, std::optional<std::string_view> begin,
                                                std::optional<std::string_view> end) const {
  std::vector<FileRef> out;
  const auto& files = this->files(level);
  if (level > 0) {
    // Sorted and disjoint: start at the first file ending at or after `begin`.
    auto it = files.begin();
    if (begin) {
      it = std::partition_point(files.begin(), files.end(), [&](const FileRef& f) {
        return f->largest_user_key().compare(*begin) < 0;
      });
    }
    for (; it != files.end() && !AfterRange(**it, end); ++it) out.push_back(*it);
    return out;
  }
  // Level 0: widen the range by every file taken until it stops growing.
  std::string lo(begin.value_or("")), hi(end.value_or(""));
  std::optional<std::string_view> b = begin, e = end;
  std::vector<bool> taken(files.size(), false);
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const FileMetaData& f = *files[i];
      if (taken[i] || BeforeRange(f, b) || AfterRange(f, e)) continue;
      taken[i] = true;
      if (b && f.smallest_user_key().compare(*b) < 0) {
        lo.assign(f.smallest_user_key());
        b = lo;
        grew = true;
      }
      if (e && f.largest_user_key().compare(*e) > 0) {
        hi.assign(f.largest_user_key());
        e = hi;
        grew = true;
      }
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (taken[i]) out.push_back(files[i]);
  }
  return out;
}

bool Version::OverlapsRange(int level, std::optional<std::string_view> begin,
                            std::optional<std::string_view> end) const {
  const auto& files = this->files(level);
  if (level == 0) {
    return std::any_of(files.begin(), files.end(), [&](const FileRef& f) {
      return !BeforeRange(*f, begin) && !AfterRange(*f, end);
    });
  }
  auto it = files.begin();
  if (begin) {
    it = std::partition_point(files.begin(), files.end(), [&](const FileRef& f) {
      return f->largest_user_key().compare(*begin) < 0;
    });
  }
  return it != files.end() && !AfterRange(**it, end);
}

std::string Version::DebugString() const {
  std::string out;
  for (int level = 0; level < num_levels(); ++level) {
    if (files(level).empty()) continue;
    out += fmt::format("L{}: {} tables, {} bytes\n", level, NumFiles(level), LevelBytes(level));
    for (const FileRef& f : files(level)) {
      out += fmt::format("  #{} {} bytes [{} .. {}]\n", f->number, f->file_size,
                         lsm::DebugString(f->smallest), lsm::DebugString(f->largest));
    }
  }
  for (const auto& [n, discard] : vlogs_) out += fmt::format("vlog #{} discard {}\n", n, discard);
  return out;
}

VersionBuilder::VersionBuilder(const Version& base)
    : num_levels_(base.num_levels()),
      levels_(static_cast<std::size_t>(num_levels_)),
      vlogs_(base.vlogs_) {
  for (int level = 0; level < num_levels_; ++level) {
    for (const FileRef& f : base.files(level)) {
      levels_[static_cast<std::size_t>(level)].emplace(f->number, f);
    }
  }
}

Status VersionBuilder::Apply(const VersionEdit& edit) {
  auto level_ok = [&](int level) { return level >= 0 && level < num_levels_; };
  for (const auto& [level, number] : edit.deleted_files()) {
    if (!level_ok(level) || levels_[static_cast<std::size_t>(level)].erase(number) == 0) {
      return Status::Corruption(
          fmt::format("edit deletes table #{} which is not in level {}", number, level));
    }
  }
  for (const auto& [level, f] : edit.new_files()) {
    if (!level_ok(level)) {
      return Status::Corruption(
          fmt::format("edit adds table #{} to level {} of {}", f.number, level, num_levels_));
    }
    for (const auto& files : levels_) {
      if (files.count(f.number) != 0) {
        return Status::Corruption(fmt::format("edit adds table #{} twice", f.number));
      }
    }
    levels_[static_cast<std::size_t>(level)].emplace(f.number, std::make_shared<FileMetaData>(f));
  }
  for (std::uint64_t n : edit.removed_vlogs()) {
    if (vlogs_.erase(n) == 0) {
      return Status::Corruption(fmt::format("edit removes value log #{} which is not live", n));
    }
  }
  for (std::uint64_t n : edit.added_vlogs()) {
    if (!vlogs_.emplace(n, 0).second) {
      return Status::Corruption(fmt::format("edit adds value log #{} twice", n));
    }
  }
  for (const auto& [n, bytes] : edit.vlog_discards()) {
    auto it = vlogs_.find(n);
    if (it != vlogs_.end()) it->second = std::max(it->second, it->second + bytes);  // saturating
  }
  return Status::Ok();
}

Status VersionBuilder::Build(std::shared_ptr<const Version>* out) {
  auto v = std::make_shared<Version>(num_levels_);
  v->vlogs_ = vlogs_;
  for (int level = 0; level < num_levels_; ++level) {
    auto& files = v->files_[static_cast<std::size_t>(level)];
    files.reserve(levels_[static_cast<std::size_t>(level)].size());
    for (const auto& [number, f] : levels_[static_cast<std::size_t>(level)]) files.push_back(f);
    if (level == 0) {
      std::sort(files.begin(), files.end(), NewerFirst);
      continue;
    }
    std::sort(files.begin(), files.end(), BySmallestKey);
    for (std::size_t i = 1; i < files.size(); ++i) {
      if (CompareInternalKeys(files[i - 1]->largest, files[i]->smallest) >= 0) {
        return Status::Corruption(fmt::format("level {}: tables #{} and #{} overlap ({} >= {})",
                                              level, files[i - 1]->number, files[i]->number,
                                              lsm::DebugString(files[i - 1]->largest),
                                              lsm::DebugString(files[i]->smallest)));
      }
    }
  }
  *out = std::move(v);
  return Status::Ok();
}

}  // namespace larder::lsm
