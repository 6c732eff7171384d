// Online backup, restore and checkpoint (db.h). The backup file format is in
// docs/formats/lsm.md, "Backup file":
//
//   header  "LarderBK" | fixed32 version (1) | fixed64 sequence | fixed64 since (0: full)
//           | fixed32 masked CRC32C of the 28 bytes before
//   records fixed32 payload length | fixed32 masked CRC32C of the payload | payload
//           payload: kind byte, varint32 key length, key, then
//             kPut         varint32 value length, value
//             kPutExpiring fixed64 expires_at_ms, varint32 value length, value
//             kUnchanged   nothing (incremental: the key is live and unchanged since `since`)
//             kEnd         (empty key) fixed64 count of the records before it
//
// A full backup lists every live key at its sequence with its value. An incremental one lists
// every live key, with a value only when its newest version is newer than `since`: restore
// deletes the keys it does not list, so deletions are carried even after compaction dropped
// their tombstones.
#include <algorithm>
#include <set>

#include "base/checksum.h"
#include "base/coding.h"
#include "lsm/db_impl.h"
#include "lsm/expiring_value.h"
#include "lsm/filename.h"
#include "lsm/manifest_log.h"
#include "lsm/memtable.h"
#include "lsm/version_set.h"

namespace larder::lsm {

namespace {

constexpr char kBackupMagic[8] = {'L', 'a', 'r', 'd', 'e', 'r', 'B', 'K'};
constexpr std::size_t kBackupHeaderSize = 32;
enum class BackupKind : std::uint8_t { kPut = 1, kPutExpiring = 2, kUnchanged = 3, kEnd = 4 };

std::uint32_t Crc(std::string_view s) {
  return crc32c::Mask(crc32c::Value({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}));
}

// Appends one framed record.
Status AddRecord(AppendWriter* w, std::string_view payload) {
  std::string frame;
  PutFixed32(&frame, static_cast<std::uint32_t>(payload.size()));
  PutFixed32(&frame, Crc(payload));
  LARDER_RETURN_IF_ERROR(w->Append(frame));
  return w->Append(payload);
}

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

// One backup file read whole and checked.
struct BackupFile {
  std::string path;
  SequenceNumber sequence = 0;
  SequenceNumber since = 0;
  std::string contents;
  std::vector<std::string_view> records;  // payloads, without the kEnd record
};

Status ReadBackup(FileSystem* fs, const std::string& path, BackupFile* b) {
  b->path = path;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->Open(path, {.read_only = true}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, f->Size());
  b->contents.resize(size);
  LARDER_ASSIGN_OR_RETURN(
      std::size_t got,
      f->ReadAt(0, {reinterpret_cast<std::uint8_t*>(b->contents.data()), b->contents.size()}));
  auto bad = [&](std::uint64_t offset, std::string_view what) {
    return Status::Corruption("backup file " + path + " at offset " + std::to_string(offset) +
                              ": " + std::string(what));
  };
  if (got != size) return bad(got, "short read");
  std::string_view in = b->contents;
  if (in.size() < kBackupHeaderSize || in.substr(0, 8) != std::string_view(kBackupMagic, 8)) {
    return bad(0, "not a backup file (bad magic)");
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  if (LoadU32(p + 28) != Crc(in.substr(0, 28))) return bad(0, "header checksum mismatch");
  if (LoadU32(p + 8) != 1) return bad(8, "unknown version");
  b->sequence = LoadU64(p + 12);
  b->since = LoadU64(p + 20);
  std::uint64_t pos = kBackupHeaderSize;
  while (true) {
    if (in.size() - pos < 8) return bad(pos, "truncated (no end record)");
    const std::uint32_t len = LoadU32(p + pos);
    const std::uint32_t crc = LoadU32(p + pos + 4);
    if (len > in.size() - pos - 8) return bad(pos, "record length past the end of the file");
    std::string_view payload = in.substr(pos + 8, len);
    if (Crc(payload) != crc) return bad(pos, "record checksum mismatch");
    if (payload.empty()) return bad(pos, "empty record");
    if (static_cast<BackupKind>(payload[0]) == BackupKind::kEnd) {
      if (payload.size() != 1 + 8 || LoadU64(p + pos + 9) != b->records.size()) {
        return bad(pos, "end record does not match the records");
      }
      if (pos + 8 + len != in.size()) return bad(pos + 8 + len, "bytes after the end record");
      return Status::Ok();
    }
    b->records.push_back(payload);
    pos += 8 + len;
  }
}

struct BackupEntry {
  BackupKind kind;
  std::string_view key;
  std::uint64_t expires = 0;
  std::string_view value;
};

bool DecodeEntry(std::string_view payload, BackupEntry* e) {
  e->kind = static_cast<BackupKind>(payload[0]);
  payload.remove_prefix(1);
  if (!GetLengthPrefixed(&payload, &e->key)) return false;
  switch (e->kind) {
    case BackupKind::kUnchanged:
      return payload.empty();
    case BackupKind::kPutExpiring:
      if (payload.size() < 8) return false;
      e->expires = LoadU64(reinterpret_cast<const std::uint8_t*>(payload.data()));
      payload.remove_prefix(8);
      [[fallthrough]];
    case BackupKind::kPut:
      return GetLengthPrefixed(&payload, &e->value) && payload.empty();
    default:
      return false;
  }
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
  std::string header(kBackupMagic, 8);
  PutFixed32(&header, 1);
  PutFixed64(&header, seq);
  PutFixed64(&header, since.value_or(0));
  PutFixed32(&header, Crc(header));
  Status s = w->Append(header);
  std::uint64_t count = 0;
  std::string payload;
  for (it->SeekToFirst(); s.ok() && it->Valid(); it->Next()) {
    // The version the iterator shows: its sequence (incremental) and expiry.
    Found f;
    s = FindNewest(*state, LookupKey(it->key(), seq), false, &f);
    if (!s.ok()) break;
    payload.clear();
    if (since.has_value() && f.ok && f.seq <= *since) {
      payload.push_back(static_cast<char>(BackupKind::kUnchanged));
      PutLengthPrefixed(&payload, it->key());
    } else if (f.ok && IsExpiringType(f.type) && f.value.size() >= kExpiryPrefixSize) {
      payload.push_back(static_cast<char>(BackupKind::kPutExpiring));
      PutLengthPrefixed(&payload, it->key());
      PutFixed64(&payload, LoadU64(reinterpret_cast<const std::uint8_t*>(f.value.data())));
      PutLengthPrefixed(&payload, it->value());
    } else {
      payload.push_back(static_cast<char>(BackupKind::kPut));
      PutLengthPrefixed(&payload, it->key());
      PutLengthPrefixed(&payload, it->value());
    }
    s = AddRecord(w.get(), payload);
    ++count;
  }
  if (s.ok()) s = it->status();
  if (s.ok()) {
    payload.assign(1, static_cast<char>(BackupKind::kEnd));
    PutFixed64(&payload, count);
    s = AddRecord(w.get(), payload);
  }
  if (s.ok()) s = w->Sync();
  if (s.ok()) s = w->Close();
  if (s.ok()) s = fs_->Rename(tmp, file);
  if (s.ok()) s = fs_->SyncDir(DirName(file));
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
  std::vector<BackupFile> backups(backup_files.size());
  for (std::size_t i = 0; i < backup_files.size(); ++i) {
    LARDER_RETURN_IF_ERROR(ReadBackup(fs, backup_files[i], &backups[i]));
    if (i == 0 && backups[i].since != 0) {
      return Status::InvalidArgument(backup_files[i] +
                                     " is incremental: restore a full backup first");
    }
    if (i > 0 && backups[i].since != backups[i - 1].sequence) {
      return Status::InvalidArgument(backup_files[i] + " does not follow " + backup_files[i - 1] +
                                     " (its --since is not that backup's sequence)");
    }
    BackupEntry e;
    for (std::string_view r : backups[i].records) {
      if (!DecodeEntry(r, &e)) {
        return Status::Corruption("backup file " + backup_files[i] + ": a malformed record");
      }
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
    for (const BackupFile& b : backups) {
      std::set<std::string, std::less<>> listed;
      WriteBatch batch;
      BackupEntry e;
      for (std::string_view r : b.records) {
        (void)DecodeEntry(r, &e);
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
    for (const std::string& name : names) {
      LARDER_RETURN_IF_ERROR(CopyFile(fs_, dir_ + "/" + name, dest + "/" + name));
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
