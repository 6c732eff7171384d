// lsm::Check (include/larder/lsm/db.h): `larder lsm check`. Reads the MANIFEST read-only under
// a shared LOCK, then checks every file against it:
//  - each table named in the MANIFEST exists, has the size the MANIFEST records, opens, passes
//    Table::VerifyAll (every block's checksum, key order, index, properties), and its first and
//    last keys lie within the range the MANIFEST records (which also keeps the tables of a level
//    >= 1 apart: Recover already refuses overlapping ranges);
//  - no table in the directory is missing from the MANIFEST;
//  - each value log the MANIFEST names exists; a value log below the MANIFEST's log number that
//    it does not name is stray;
//  - each value log's records are intact to its end (the newest one may end in a torn append
//    left by a crash: recovery drops that, so it is not reported).
// Problems are lines naming the file; errors that stop the check (no database, a lock held by a
// writer, an I/O failure) are the Result's status.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "larder/lsm/db.h"
#include "lsm/dir_lock.h"
#include "lsm/filename.h"
#include "lsm/log_reader.h"
#include "lsm/log_sync_mark.h"
#include "lsm/table.h"
#include "lsm/version_set.h"

namespace larder::lsm {
namespace {

void CheckTable(FileSystem* fs, const std::string& path, int level, const FileMetaData& meta,
                std::vector<std::string>* problems) {
  auto report = [&](const std::string& what) {
    problems->push_back(fmt::format("{} (level {}): {}", path, level, what));
  };
  auto file = fs->Open(path, {.read_only = true});
  if (!file.ok()) return report(file.status().ToString());
  auto size = (*file)->Size();
  if (!size.ok()) return report(size.status().ToString());
  if (*size != meta.file_size) {
    report(fmt::format("{} bytes, the MANIFEST says {}", *size, meta.file_size));
  }
  auto table = Table::Open(std::move(*file), *size, 0, nullptr, /*verify_checksums=*/true);
  if (!table.ok()) return report(table.status().ToString());
  if (Status s = (*table)->VerifyAll(); !s.ok()) return report(s.ToString());
  std::unique_ptr<InternalIterator> it = (*table)->NewIterator(true, false);
  it->SeekToFirst();
  if (it->Valid() && CompareInternalKeys(it->key(), meta.smallest) < 0) {
    report(fmt::format("first key {} before the MANIFEST's smallest {}", DebugString(it->key()),
                       DebugString(meta.smallest)));
  }
  it->SeekToLast();
  if (it->Valid() && CompareInternalKeys(it->key(), meta.largest) > 0) {
    report(fmt::format("last key {} after the MANIFEST's largest {}", DebugString(it->key()),
                       DebugString(meta.largest)));
  }
  if (!it->status().ok()) report(it->status().ToString());
}

void CheckVlog(FileSystem* fs, const std::string& path, bool newest, bool named,
               std::vector<std::string>* problems) {
  auto file = fs->Open(path, {.read_only = true});
  if (!file.ok()) return problems->push_back(fmt::format("{}: {}", path, file.status().ToString()));
  auto size = (*file)->Size();
  if (!size.ok()) return problems->push_back(fmt::format("{}: {}", path, size.status().ToString()));
  if (*size == 0 && named) {
    return problems->push_back(
        fmt::format("{}: empty, but the MANIFEST names it as holding values", path));
  }
  LogReader reader(file->get(), 0, *size);
  LogRecordType type;
  std::string_view payload;
  while (reader.ReadRecord(&type, &payload)) {
  }
  const LogReader::End end = reader.end();
  if (newest && end == LogReader::End::kTornTail) {
    // A torn tail is what a crash leaves, unless a later sync mark shows it had been synced.
    auto mark = FindSyncMarkCovering(file->get(), reader.end_offset(), *size);
    if (!mark.ok() || !mark->has_value()) return;
    return problems->push_back(fmt::format(
        "{}: damaged at offset {} ({}), which the sync mark at offset {} shows was synced", path,
        reader.end_offset(), reader.status().ToString(), (*mark)->offset));
  }
  if (end == LogReader::End::kEndOfFile) return;
  problems->push_back(
      fmt::format("{}: {} ({})", path, LogEndName(end), reader.status().ToString()));
}

}  // namespace

Result<std::vector<std::string>> Check(const std::string& dir, const Options& options,
                                       const CheckProgress& progress) {
  if (options.in_memory)
    return Status::InvalidArgument("an in-memory database has no files to check");
  FileSystem* fs = options.file_system != nullptr ? options.file_system : DefaultFileSystem();
  LARDER_ASSIGN_OR_RETURN(bool exists, fs->Exists(ManifestFileName(dir)));
  if (!exists) return Status::NotFound(fmt::format("no LSM database in {} (no MANIFEST)", dir));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DirLock> lock,
                          DirLock::Acquire(fs, dir, /*shared=*/true));

  std::vector<std::string> problems;
  Options read_only = options;
  read_only.read_only = true;
  VersionSet versions(dir, fs, read_only);
  if (Status s = versions.Recover(); !s.ok()) {
    if (!s.IsCorruption()) return s;
    problems.emplace_back(s.message());
    return problems;
  }
  const std::shared_ptr<const Version> v = versions.current();

  std::set<std::uint64_t> tables_present, vlogs_present;
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    if (type == FileType::kTable) tables_present.insert(number);
    if (type == FileType::kVlog) vlogs_present.insert(number);
  }

  // Progress: table sizes from the MANIFEST, value-log sizes from the file system.
  std::uint64_t total = 0, done = 0;
  std::map<std::uint64_t, std::uint64_t> vlog_sizes;
  for (int level = 0; level < v->num_levels(); ++level) total += v->LevelBytes(level);
  for (std::uint64_t n : vlogs_present) {
    vlog_sizes[n] = fs->FileSize(VlogFileName(dir, n)).value_or(0);
    total += vlog_sizes[n];
  }
  auto advance = [&](std::uint64_t bytes) {
    done += bytes;
    if (progress) progress(std::min(done, total), total);
  };

  std::set<std::uint64_t> tables_named;
  for (int level = 0; level < v->num_levels(); ++level) {
    for (const FileRef& f : v->files(level)) {
      tables_named.insert(f->number);
      const std::string path = TableFileName(dir, f->number);
      if (tables_present.count(f->number) == 0) {
        problems.push_back(
            fmt::format("{} (level {}): missing, named in the MANIFEST", path, level));
        continue;
      }
      CheckTable(fs, path, level, *f, &problems);
      advance(f->file_size);
    }
  }
  for (std::uint64_t n : tables_present) {
    if (tables_named.count(n) == 0) {
      problems.push_back(
          fmt::format("{}: stray table, not in the MANIFEST", TableFileName(dir, n)));
    }
  }
  for (const auto& [n, discard] : v->vlogs()) {
    if (vlogs_present.count(n) == 0) {
      problems.push_back(
          fmt::format("{}: missing value log, named in the MANIFEST", VlogFileName(dir, n)));
    }
  }
  for (std::uint64_t n : vlogs_present) {
    const std::string path = VlogFileName(dir, n);
    if (v->vlogs().count(n) == 0 && n < versions.log_number()) {
      problems.push_back(
          fmt::format("{}: stray value log, below the MANIFEST's log number {} and not named in it",
                      path, versions.log_number()));
      continue;
    }
    CheckVlog(fs, path, n == *vlogs_present.rbegin(), v->vlogs().count(n) != 0, &problems);
    advance(vlog_sizes[n]);
  }
  return problems;
}

}  // namespace larder::lsm
