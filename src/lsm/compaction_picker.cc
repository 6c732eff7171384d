#include "lsm/compaction_picker.h"

#include <algorithm>
#include <cmath>

namespace larder::lsm {
namespace {

bool AnyBusy(const std::vector<FileRef>& files) {
  return std::any_of(files.begin(), files.end(),
                     [](const FileRef& f) { return f->being_compacted; });
}

// Widens *lo, *hi (user keys) to cover `files`.
void ExtendRange(const std::vector<FileRef>& files, std::string* lo, std::string* hi, bool* set) {
  for (const FileRef& f : files) {
    if (!*set || f->smallest_user_key().compare(*lo) < 0) lo->assign(f->smallest_user_key());
    if (!*set || f->largest_user_key().compare(*hi) > 0) hi->assign(f->largest_user_key());
    *set = true;
  }
}

// At a sorted level: `seed` (contiguous there) plus the neighbours sharing a boundary user key.
std::vector<FileRef> WithBoundaryNeighbours(const std::vector<FileRef>& files,
                                            const std::vector<FileRef>& seed) {
  auto index_of = [&](const FileRef& f) {
    return static_cast<std::size_t>(std::find(files.begin(), files.end(), f) - files.begin());
  };
  std::size_t i = index_of(seed.front()), j = index_of(seed.back());
  if (i >= files.size() || j >= files.size()) return seed;
  while (i > 0 && files[i - 1]->largest_user_key() == files[i]->smallest_user_key()) --i;
  while (j + 1 < files.size() &&
         files[j + 1]->smallest_user_key() == files[j]->largest_user_key()) {
    ++j;
  }
  return {files.begin() + static_cast<std::ptrdiff_t>(i),
          files.begin() + static_cast<std::ptrdiff_t>(j) + 1};
}

}  // namespace

const char* CompactionReasonName(CompactionReason reason) {
  switch (reason) {
    case CompactionReason::kLevel0Count:
      return "level-0 count";
    case CompactionReason::kLevelSize:
      return "level size";
    case CompactionReason::kDeletionDensity:
      return "deletion density";
    case CompactionReason::kManual:
      return "manual";
  }
  return "unknown";
}

std::uint64_t Compaction::InputBytes() const {
  std::uint64_t sum = 0;
  for (const auto& which : inputs) {
    for (const FileRef& f : which) sum += f->file_size;
  }
  return sum;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (const FileRef& f : inputs[0]) edit->RemoveFile(level, f->number);
  for (const FileRef& f : inputs[1]) edit->RemoveFile(output_level, f->number);
  if (level > 0 && !inputs[0].empty()) edit->SetCompactPointer(level, inputs[0].back()->largest);
}

void Compaction::ReleaseInputs() const {
  for (const auto& which : inputs) {
    for (const FileRef& f : which) f->being_compacted = false;
  }
}

CompactionPicker::CompactionPicker(const Options& options)
    : num_levels_(std::clamp(options.num_levels, 2, kMaxNumLevels)),
      level0_trigger_(std::max(1, options.level0_compaction_trigger)),
      max_bytes_base_(std::max<std::uint64_t>(1, options.max_bytes_for_level_base)),
      multiplier_(std::max(1.0, options.level_size_multiplier)),
      deletion_ratio_(options.deletion_compaction_ratio),
      deletion_min_entries_(options.deletion_compaction_min_entries) {}

std::uint64_t CompactionPicker::MaxBytesForLevel(int level) const {
  const double bytes =
      static_cast<double>(max_bytes_base_) * std::pow(multiplier_, std::max(0, level - 1));
  return bytes >= 1.8e19 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(bytes);
}

double CompactionPicker::Score(const Version& v, int level) const {
  if (level >= v.num_levels() - 1) return 0;
  if (level == 0) return static_cast<double>(v.Level0Runs()) / level0_trigger_;
  return static_cast<double>(v.LevelBytes(level)) / static_cast<double>(MaxBytesForLevel(level));
}

std::optional<Compaction> CompactionPicker::Plan(const std::shared_ptr<const Version>& v, int level,
                                                 bool in_place, std::vector<FileRef> seed,
                                                 CompactionReason reason) const {
  if (seed.empty()) return std::nullopt;
  Compaction c;
  c.level = level;
  c.output_level = in_place ? level : std::min(level + 1, v->num_levels() - 1);
  c.reason = reason;
  std::string lo, hi;
  bool set = false;
  ExtendRange(seed, &lo, &hi, &set);
  if (level == 0) {
    if (AnyBusy(v->files(0))) return std::nullopt;  // one level-0 compaction at a time
    c.inputs[0] = v->OverlappingInputs(0, lo, hi);
  } else {
    c.inputs[0] = WithBoundaryNeighbours(v->files(level), seed);
  }
  if (AnyBusy(c.inputs[0])) return std::nullopt;
  ExtendRange(c.inputs[0], &lo, &hi, &set);
  if (c.output_level != level) {
    c.inputs[1] = v->OverlappingInputs(c.output_level, lo, hi);
    if (AnyBusy(c.inputs[1])) return std::nullopt;
    ExtendRange(c.inputs[1], &lo, &hi, &set);
  }
  if (c.output_level + 1 < v->num_levels()) {
    for (const FileRef& f : v->OverlappingInputs(c.output_level + 1, lo, hi)) {
      c.grandparent_overlap_bytes += f->file_size;
    }
  }
  c.version = std::make_shared<const Version>(*v);  // not a holder of v's files: see the header
  c.smallest_user_key = std::move(lo);
  c.largest_user_key = std::move(hi);
  for (const auto& which : c.inputs) {
    for (const FileRef& f : which) f->being_compacted = true;
  }
  return c;
}

std::optional<Compaction> CompactionPicker::PickSizeAt(const std::shared_ptr<const Version>& v,
                                                       int level,
                                                       const std::string& compact_pointer) const {
  const auto& files = v->files(level);
  if (level == 0) {
    return files.empty() ? std::nullopt
                         : Plan(v, 0, false, {files.back()}, CompactionReason::kLevel0Count);
  }
  std::size_t start = 0;
  if (!compact_pointer.empty()) {
    start = static_cast<std::size_t>(
        std::partition_point(files.begin(), files.end(),
                             [&](const FileRef& f) {
                               return CompareInternalKeys(f->largest, compact_pointer) <= 0;
                             }) -
        files.begin());
  }
  for (std::size_t k = 0; k < files.size(); ++k) {
    const FileRef& f = files[(start + k) % files.size()];
    if (f->being_compacted) continue;
    if (auto c = Plan(v, level, false, {f}, CompactionReason::kLevelSize)) return c;
  }
  return std::nullopt;
}

std::optional<Compaction> CompactionPicker::PickDeletionDensity(
    const std::shared_ptr<const Version>& v) const {
  struct Candidate {
    double density;
    int level;
    FileRef file;
  };
  std::vector<Candidate> candidates;
  for (int level = 0; level < v->num_levels(); ++level) {
    for (const FileRef& f : v->files(level)) {
      if (f->being_compacted || f->num_entries == 0 || f->num_deletions < deletion_min_entries_) {
        continue;
      }
      const double density =
          static_cast<double>(f->num_deletions) / static_cast<double>(f->num_entries);
      if (density >= deletion_ratio_) candidates.push_back({density, level, f});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.density > b.density; });
  for (const Candidate& cand : candidates) {
    if (auto c = Plan(v, cand.level, false, {cand.file}, CompactionReason::kDeletionDensity))
      return c;
  }
  return std::nullopt;
}

std::optional<Compaction> CompactionPicker::Pick(
    const std::shared_ptr<const Version>& v,
    const std::vector<std::string>& compact_pointers) const {
  std::vector<std::pair<double, int>> scores;
  for (int level = 0; level + 1 < v->num_levels(); ++level) {
    const double score = Score(*v, level);
    if (score >= 1) scores.emplace_back(score, level);
  }
  std::stable_sort(scores.begin(), scores.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  static const std::string kNoPointer;
  for (const auto& [score, level] : scores) {
    const auto l = static_cast<std::size_t>(level);
    if (auto c =
            PickSizeAt(v, level, l < compact_pointers.size() ? compact_pointers[l] : kNoPointer)) {
      return c;
    }
  }
  if (!scores.empty()) return std::nullopt;  // size work is due: do not add rewrites
  return PickDeletionDensity(v);
}

Result<std::optional<Compaction>> CompactionPicker::PickManual(
    const std::shared_ptr<const Version>& v, int level, std::optional<std::string_view> begin,
    std::optional<std::string_view> end, bool in_place, std::uint64_t older_than) const {
  if (level < 0 || level >= v->num_levels() || (in_place && level == 0)) {
    return Status::InvalidArgument("manual compaction of a level that does not exist");
  }
  std::vector<FileRef> seed = v->OverlappingInputs(level, begin, end);
  if (older_than != 0) {
    std::erase_if(seed, [&](const FileRef& f) { return f->number >= older_than; });
  }
  if (seed.empty()) return std::optional<Compaction>();
  std::optional<Compaction> c =
      Plan(v, level, in_place, std::move(seed), CompactionReason::kManual);
  if (!c) return Status::Busy("a table in the range is being compacted");
  return c;
}

bool KeyRangeFreeBelow(const Version& v, int level, std::string_view smallest_user_key,
                       std::string_view largest_user_key) {
  for (int below = level + 1; below < v.num_levels(); ++below) {
    if (v.OverlapsRange(below, smallest_user_key, largest_user_key)) return false;
  }
  return true;
}

}  // namespace larder::lsm
