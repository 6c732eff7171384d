#include "lsm/version_set.h"

#include <fmt/format.h>

#include <algorithm>

#include "lsm/filename.h"

namespace larder::lsm {

VersionSet::VersionSet(std::string dir, FileSystem* fs, const Options& options)
    : dir_(std::move(dir)),
      fs_(fs),
      num_levels_(std::clamp(options.num_levels, 2, kMaxNumLevels)),
      read_only_(options.read_only) {
  MutexLock lock(&mu_);
  current_ = std::make_shared<const Version>(num_levels_);
  scalars_.compact_pointers.resize(static_cast<std::size_t>(num_levels_));
}

VersionSet::~VersionSet() {
  if (manifest_ != nullptr) (void)manifest_->Close();
}

std::shared_ptr<const Version> VersionSet::current() const {
  MutexLock lock(&mu_);
  return current_;
}

void VersionSet::MarkFileNumberUsed(std::uint64_t number) {
  std::uint64_t next = next_file_number_.load();
  while (next <= number && !next_file_number_.compare_exchange_weak(next, number + 1)) {
  }
}

void VersionSet::SetLastSequence(SequenceNumber s) {
  SequenceNumber cur = last_sequence_.load();
  while (cur < s && !last_sequence_.compare_exchange_weak(cur, s, std::memory_order_release)) {
  }
}

std::uint64_t VersionSet::log_number() const {
  MutexLock lock(&mu_);
  return scalars_.log_number;
}
std::uint64_t VersionSet::log_offset() const {
  MutexLock lock(&mu_);
  return scalars_.log_offset;
}
std::string VersionSet::compact_pointer(int level) const {
  MutexLock lock(&mu_);
  return scalars_.compact_pointers[static_cast<std::size_t>(level)];
}
std::vector<std::string> VersionSet::compact_pointers() const {
  MutexLock lock(&mu_);
  return scalars_.compact_pointers;
}
std::uint64_t VersionSet::manifest_bytes() const { return manifest_size_.load(); }
Status VersionSet::poisoned() const {
  MutexLock lock(&mu_);
  return poisoned_;
}

std::set<std::uint64_t> VersionSet::LiveFiles() const {
  std::set<std::uint64_t> live;
  MutexLock lock(&mu_);
  auto add = [&live](const Version& v) {
    for (int level = 0; level < v.num_levels(); ++level) {
      for (const FileRef& f : v.files(level)) live.insert(f->number);
    }
    for (const auto& [n, discard] : v.vlogs()) live.insert(n);
  };
  add(*current_);
  std::erase_if(versions_, [&](const std::weak_ptr<const Version>& w) {
    std::shared_ptr<const Version> v = w.lock();
    if (v == nullptr) return true;
    add(*v);
    return false;
  });
  return live;
}

VersionEdit VersionSet::Snapshot(const Version& v, const Scalars& s) const {
  VersionEdit edit;
  edit.SetNextFileNumber(next_file_number_.load());
  edit.SetLastSequence(last_sequence_.load());
  edit.SetLogNumber(s.log_number);
  edit.SetLogOffset(s.log_offset);
  for (int level = 0; level < v.num_levels(); ++level) {
    for (const FileRef& f : v.files(level)) edit.AddFile(level, *f);
    if (!s.compact_pointers[static_cast<std::size_t>(level)].empty()) {
      edit.SetCompactPointer(level, s.compact_pointers[static_cast<std::size_t>(level)]);
    }
  }
  for (const auto& [n, discard] : v.vlogs()) {
    edit.AddVlog(n);
    if (discard != 0) edit.AddVlogDiscard(n, discard);
  }
  return edit;
}

Status VersionSet::RewriteManifest(const Version& v, const Scalars& s) {
  const std::string tmp = ManifestTmpFileName(dir_), path = ManifestFileName(dir_);
  std::string record;
  Snapshot(v, s).EncodeTo(&record);
  if (manifest_ != nullptr) {
    (void)manifest_->Close();  // every record in it is synced already
    manifest_.reset();
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<ManifestWriter> w, ManifestWriter::Create(fs_, tmp));
  LARDER_RETURN_IF_ERROR(w->AddRecord(record));
  LARDER_RETURN_IF_ERROR(w->Sync());
  const std::uint64_t size = w->size();
  LARDER_RETURN_IF_ERROR(w->Close());
  LARDER_RETURN_IF_ERROR(InstallFile(fs_, tmp, path));
  LARDER_ASSIGN_OR_RETURN(manifest_, ManifestWriter::Reopen(fs_, path, size));
  snapshot_bytes_ = size;
  manifest_size_.store(size);
  manifest_rewrites_.fetch_add(1);
  manifest_bytes_written_.fetch_add(size);
  return Status::Ok();
}

Status VersionSet::Poison(const Status& cause) {
  MutexLock lock(&mu_);
  if (poisoned_.ok()) {
    poisoned_ = Status::Poisoned(
        fmt::format("{}: writing the MANIFEST failed ({}); the database refuses changes until "
                    "reopened",
                    ManifestFileName(dir_), cause.ToString()));
  }
  return poisoned_;
}

void VersionSet::Install(std::shared_ptr<const Version> v, const Scalars& s) {
  MutexLock lock(&mu_);
  if (current_.use_count() > 1) versions_.push_back(current_);
  std::erase_if(versions_, [](const auto& w) { return w.expired(); });
  current_ = std::move(v);
  scalars_ = s;
}

Status VersionSet::Create() {
  const std::string path = ManifestFileName(dir_);
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(path));
  if (exists) return Status::AlreadyExists(path + " exists: a database is already there");
  if (read_only_) return Status::ReadOnly("cannot create a database read-only in " + dir_);
  Scalars s;
  s.compact_pointers.resize(static_cast<std::size_t>(num_levels_));
  auto v = std::make_shared<const Version>(num_levels_);
  if (Status st = RewriteManifest(*v, s); !st.ok()) return Poison(st);
  Install(std::move(v), s);
  return Status::Ok();
}

Status VersionSet::Recover() {
  const std::string path = ManifestFileName(dir_);
  std::string contents;
  LARDER_RETURN_IF_ERROR(ReadWholeFile(fs_, path, &contents));
  ParsedManifest parsed;
  LARDER_RETURN_IF_ERROR(ParseManifest(contents, path, &parsed));

  Scalars s;
  s.compact_pointers.resize(static_cast<std::size_t>(num_levels_));
  bool have_next = false, have_last = false, have_log = false;
  std::uint64_t next_file = 0;
  SequenceNumber last_seq = 0;
  auto base = std::make_shared<const Version>(num_levels_);
  VersionBuilder builder(*base);
  VersionEdit edit;
  for (std::size_t i = 0; i < parsed.records.size(); ++i) {
    Status st = edit.DecodeFrom(parsed.records[i]);
    if (st.ok()) st = builder.Apply(edit);
    for (const auto& [level, key] : edit.compact_pointers()) {
      if (level >= num_levels_) {
        st = Status::Corruption(fmt::format("compact pointer for level {}", level));
      } else {
        s.compact_pointers[static_cast<std::size_t>(level)] = key;
      }
    }
    if (!st.ok()) {
      return Status::Corruption(
          fmt::format("{}: record at offset {}: {}", path, parsed.offsets[i], st.message()));
    }
    if (edit.next_file_number()) have_next = true, next_file = *edit.next_file_number();
    if (edit.last_sequence()) have_last = true, last_seq = *edit.last_sequence();
    if (edit.log_number()) have_log = true, s.log_number = *edit.log_number();
    if (edit.log_offset()) s.log_offset = *edit.log_offset();
  }
  if (!have_next || !have_last || !have_log) {
    return Status::Corruption(
        fmt::format("{}: no {} recorded (offset {})", path,
                    !have_next ? "next file number" : (!have_last ? "last sequence" : "log number"),
                    parsed.valid_bytes));
  }
  std::shared_ptr<const Version> v;
  if (Status st = builder.Build(&v); !st.ok()) {
    return Status::Corruption(fmt::format("{}: {}", path, st.message()));
  }
  next_file_number_.store(next_file);
  last_sequence_.store(last_seq);
  for (const auto& n : [&] {
         std::set<std::uint64_t> numbers;
         for (int level = 0; level < v->num_levels(); ++level) {
           for (const FileRef& f : v->files(level)) numbers.insert(f->number);
         }
         for (const auto& [n, d] : v->vlogs()) numbers.insert(n);
         return numbers;
       }()) {
    MarkFileNumberUsed(n);
  }
  snapshot_bytes_ = parsed.records.empty()
                        ? parsed.valid_bytes
                        : parsed.offsets[0] + kManifestRecordHeaderSize + parsed.records[0].size();
  manifest_size_.store(parsed.valid_bytes);

  if (!read_only_) {
    const std::string tmp = ManifestTmpFileName(dir_);
    Status st = Status::Ok();
    auto tmp_exists = fs_->Exists(tmp);
    if (!tmp_exists.ok()) st = tmp_exists.status();
    if (st.ok() && *tmp_exists) st = fs_->Remove(tmp);
    if (st.ok()) {
      if (parsed.torn_tail || parsed.valid_bytes > RewriteThreshold()) {
        st = RewriteManifest(*v, s);
      } else {
        auto w = ManifestWriter::Reopen(fs_, path, parsed.valid_bytes);
        if (w.ok()) manifest_ = std::move(*w);
        st = w.status();
      }
    }
    if (!st.ok()) return Poison(st);
  }
  Install(std::move(v), s);
  return Status::Ok();
}

Status VersionSet::LogAndApply(VersionEdit* edit) { return Apply(edit, nullptr); }

Status VersionSet::LogAndApply(VersionEdit* edit, Mutex* mu) { return Apply(edit, mu); }

// Thread-safety analysis off: `caller_mu`, when given, is held on entry and on return and
// released around the I/O.
Status VersionSet::Apply(VersionEdit* edit, Mutex* caller_mu) {
  if (read_only_) return Status::ReadOnly("the database is open read-only: " + dir_);
  LARDER_RETURN_IF_ERROR(poisoned());
  if (manifest_ == nullptr) return Status::InvalidArgument("LogAndApply before Create/Recover");

  std::shared_ptr<const Version> base;
  Scalars s;
  {
    MutexLock lock(&mu_);
    base = current_;
    s = scalars_;
  }
  if (edit->next_file_number().value_or(0) > 0) MarkFileNumberUsed(*edit->next_file_number() - 1);
  edit->SetNextFileNumber(next_file_number_.load());
  if (edit->last_sequence()) SetLastSequence(*edit->last_sequence());
  edit->SetLastSequence(last_sequence_.load());
  for (const auto& [level, key] : edit->compact_pointers()) {
    if (level >= num_levels_) return Status::InvalidArgument("compact pointer past the last level");
    s.compact_pointers[static_cast<std::size_t>(level)] = key;
  }
  if (edit->log_number()) s.log_number = *edit->log_number();
  if (edit->log_offset()) s.log_offset = *edit->log_offset();

  VersionBuilder builder(*base);
  std::shared_ptr<const Version> v;
  Status st = builder.Apply(*edit);
  if (st.ok()) st = builder.Build(&v);
  if (!st.ok())
    return Status::InvalidArgument("version edit does not apply: " + std::string(st.message()));

  std::string record;
  edit->EncodeTo(&record);
  const std::uint64_t after = manifest_size_.load() + kManifestRecordHeaderSize + record.size();
  if (caller_mu != nullptr) caller_mu->Unlock();
  if (after > RewriteThreshold()) {
    st = RewriteManifest(*v, s);
  } else {
    const std::uint64_t before = manifest_->size();
    st = manifest_->AddRecord(record);
    if (st.ok()) st = manifest_->Sync();
    if (st.ok()) {
      manifest_size_.store(manifest_->size());
      manifest_bytes_written_.fetch_add(manifest_->size() - before);
    }
  }
  if (caller_mu != nullptr) caller_mu->Lock();
  if (!st.ok()) return Poison(st);
  Install(std::move(v), s);
  return Status::Ok();
}

}  // namespace larder::lsm
