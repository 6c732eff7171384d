// Online backup, restore and checkpoint (db.h). The backup file's format: backup_format.h and
// docs/formats/lsm.md, "Backup file". A full backup lists every live key at its sequence with
// its value. An incremental one lists every live key, with a value only when its newest version
// is newer than `since`: restore deletes the keys it does not list, so deletions are carried
// even after compaction dropped their tombstones.
#include <algorithm>
#include <set>

#include "base/coding.h"
#include "lsm/backup_format.h"
#include "lsm/db_impl.h"
#include "lsm/expiring_value.h"
#include "lsm/filename.h"
#include "lsm/manifest_log.h"
#include "lsm/memtable.h"
#include "lsm/version_set.h"

namespace larder::lsm {

namespace {

// Copies `from` to the new file `to` (durable when it returns).
Status CopyFile(FileSystem* fs, const std::string& from, const std::string& to) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> in, fs->Open(from, {.read_only = true}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, in->Size());
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> out,
                          fs->NewAppendWriter(to, {.exclusive = true}));
  std::vector<std::uint8_t> buf(std::size_t{1} << 20);
  for (std::uint64_t off = 0; off < size;) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - off));
    LARDER_ASSIGN_OR_RETURN(std::size_t got, in->ReadAt(off, {buf.data(), want}));
    if (got == 0) return Status::Corruption(from + ": shorter than its size while copying");
    LARDER_RETURN_IF_ERROR(out->Append({buf.data(), got}));
    off += got;
  }
  LARDER_RETURN_IF_ERROR(out->Sync());
  return out->Close();
}

}  // namespace

Result<std::uint64_t> DBImpl::Backup(const std::string& file, std::optional<std::uint64_t> since) {
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(file));
  if (exists) return Status::AlreadyExists("backup file " + file + " exists");
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Snapshot> snap, NewSnapshot());
  const SequenceNumber seq = snap->sequence();
  if (since.has_value() && *since > seq) {
    return Status::InvalidArgument("--since is past the database's last sequence");
  }
  std::shared_ptr<const ReadState> state = GetReadState();
  ReadOptions ro;
  ro.snapshot = snap.get();
  ro.fill_cache = false;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, NewIterator(ro, IteratorOptions{}));

  const std::string tmp = file + ".tmp";
  (void)fs_->Remove(tmp);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                          fs_->NewAppendWriter(tmp, {.buffer_size = std::size_t{1} << 20}));
  Status s = w->Append(EncodeBackupHeader(seq, since.value_or(0)));
  std::uint64_t count = 0;
  std::string record;
  for (it->SeekToFirst(); s.ok() && it->Valid(); it->Next()) {
    // The version the iterator shows: its sequence (incremental) and expiry.
    Found f;
    s = FindNewest(*state, LookupKey(it->key(), seq), false, &f);
    if (!s.ok()) break;
    BackupEntry e;
    e.key = it->key();
    e.value = it->value();
    if (since.has_value() && f.ok && f.seq <= *since) {
      e.kind = BackupKind::kUnchanged;
    } else if (f.ok && IsExpiringType(f.type) && f.value.size() >= kExpiryPrefixSize) {
      e.kind = BackupKind::kPutExpiring;
      e.expires = LoadU64(reinterpret_cast<const std::uint8_t*>(f.value.data()));
    }
    record.clear();
    AppendBackupEntry(&record, e);
    s = w->Append(record);
    ++count;
  }
  if (s.ok()) s = it->status();
  if (s.ok()) {
    record.clear();
    AppendBackupEnd(&record, count);
    s = w->Append(record);
  }
  if (s.ok()) s = w->Sync();
  if (s.ok()) s = w->Close();
  if (s.ok()) s = InstallFile(fs_, tmp, file);
  if (!s.ok()) {
    (void)fs_->Remove(tmp);
    return s;
  }
  return seq;
}

Result<std::uint64_t> Restore(const std::vector<std::string>& backup_files, const std::string& dir,
                              const Options& options) {
  if (backup_files.empty()) return Status::InvalidArgument("restore needs a backup file");
  FileSystem* fs = options.file_system != nullptr ? options.file_system : DefaultFileSystem();
  // Every file is read and checked before anything is written.
  std::vector<std::string> contents(backup_files.size());
  std::vector<ParsedBackup> backups(backup_files.size());
  for (std::size_t i = 0; i < backup_files.size(); ++i) {
    LARDER_RETURN_IF_ERROR(ReadWholeFile(fs, backup_files[i], &contents[i]));
    LARDER_RETURN_IF_ERROR(ParseBackup(contents[i], backup_files[i], &backups[i]));
    if (i == 0 && backups[i].since != 0) {
      return Status::InvalidArgument(backup_files[i] +
                                     " is incremental: restore a full backup first");
    }
    if (i > 0 && backups[i].since != backups[i - 1].sequence) {
      return Status::InvalidArgument(backup_files[i] + " does not follow " + backup_files[i - 1] +
                                     " (its --since is not that backup's sequence)");
    }
  }
  if (auto exists = fs->Exists(dir); exists.ok() && *exists) {
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
    if (!names.empty()) return Status::InvalidArgument("restore into " + dir + ": not empty");
  }
  Options o = options;
  o.create_if_missing = true;
  o.error_if_exists = true;
  o.read_only = false;
  auto restore = [&]() -> Status {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(dir, o));
    for (const ParsedBackup& b : backups) {
      std::set<std::string, std::less<>> listed;
      WriteBatch batch;
      for (const BackupEntry& e : b.entries) {
        if (b.since != 0) listed.emplace(e.key);
        if (e.kind == BackupKind::kPut) batch.Put(e.key, e.value);
        if (e.kind == BackupKind::kPutExpiring) batch.PutWithExpiry(e.key, e.value, e.expires);
        if (batch.ByteSize() >= (std::size_t{1} << 20)) {
          LARDER_RETURN_IF_ERROR(db->Write({.sync = false}, batch));
          batch.Clear();
        }
      }
      if (b.since != 0) {
        // Keys the incremental backup does not list were deleted since the one before.
        LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, db->NewIterator());
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          if (listed.find(it->key()) == listed.end()) batch.Delete(it->key());
        }
        LARDER_RETURN_IF_ERROR(it->status());
      }
      LARDER_RETURN_IF_ERROR(db->Write({.sync = false}, batch));
    }
    LARDER_RETURN_IF_ERROR(db->Flush());
    return db->Close();
  };
  Status s = restore();
  if (!s.ok()) {
    // Leave no database behind: remove what the restore created.
    if (auto names = fs->ListDir(dir); names.ok()) {
      for (const std::string& n : *names) (void)fs->Remove(dir + "/" + n);
    }
    return s;
  }
  return backups.back().sequence;
}

Status DBImpl::Checkpoint(const std::string& dest) {
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(dest));
  if (exists) return Status::AlreadyExists("checkpoint directory " + dest + " exists");
  // Everything into tables first, so the copy needs only the MANIFEST, the tables, the value
  // logs with values, and the (short) current log.
  if (!options_.read_only) LARDER_RETURN_IF_ERROR(Flush());
  std::vector<std::string> names;
  std::string open_log;  // the value log still taking appends: copied, never linked
  std::string manifest;
  {
    MutexLock l(&mu_);
    ++file_pins_;  // no file is deleted until the copy is done
    std::set<std::uint64_t> live = versions_->LiveFiles();
    const std::uint64_t replay_from = versions_->log_number();
    auto listed = fs_->ListDir(dir_);
    if (!listed.ok()) {
      --file_pins_;
      return listed.status();
    }
    for (const std::string& name : *listed) {
      std::uint64_t number;
      FileType type;
      if (!ParseFileName(name, &number, &type)) continue;
      if ((type == FileType::kTable && live.count(number) != 0) ||
          (type == FileType::kVlog && (number >= replay_from || live.count(number) != 0))) {
        names.push_back(name);
        if (type == FileType::kVlog && number == log_number_) open_log = name;
      }
    }
    // The MANIFEST as of now (no edit is applied while mu_ is held).
    Status s = ReadWholeFile(fs_, ManifestFileName(dir_), &manifest);
    if (!s.ok()) {
      --file_pins_;
      return s;
    }
  }
  auto copy = [&]() -> Status {
    LARDER_RETURN_IF_ERROR(fs_->CreateDirs(dest));
    // Tables and finished value logs never change again: hard links where the file system
    // allows, copies otherwise (another device, or no links).
    bool links = true;
    for (const std::string& name : names) {
      const std::string from = dir_ + "/" + name, to = dest + "/" + name;
      if (links && name != open_log) {
        Status s = fs_->Link(from, to);
        if (s.ok()) continue;
        if (s.code() != Code::kNotSupported) return s;
        links = false;
      }
      LARDER_RETURN_IF_ERROR(CopyFile(fs_, from, to));
    }
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<AppendWriter> w,
                            fs_->NewAppendWriter(ManifestFileName(dest), {.exclusive = true}));
    LARDER_RETURN_IF_ERROR(w->Append(manifest));
    LARDER_RETURN_IF_ERROR(w->Sync());
    LARDER_RETURN_IF_ERROR(w->Close());
    return fs_->SyncDir(dest);
  };
  Status s = copy();
  MutexLock l(&mu_);
  --file_pins_;
  return s;
}

}  // namespace larder::lsm
