#include "testing/fault_injection_file_system.h"

#include <fmt/format.h>

#include <cerrno>
#include <random>

#include "base/coding.h"

namespace larder {

// One file's history since its last sync.
struct FaultInjectionFileSystem::FileLog {
  struct Entry {
    bool is_truncate = false;
    std::uint64_t offset = 0;  // write offset, or the new size of a truncate
    std::string data;
  };
  // Content as of the last sync (never null), shared by the copies Save and Restore make.
  std::shared_ptr<const std::string> durable = std::make_shared<const std::string>();
  bool durable_name = false;  // the directory entry has been synced
  // Set by a rename, until the directory sync: the name a power loss may put the file back
  // under (when its name was durable before the rename), and the durable file the rename
  // replaced (null if none), which comes back when the power loss undoes the rename or takes
  // the file.
  std::string old_name;
  std::shared_ptr<const FileLog> replaced;
  std::vector<Entry> unsynced;  // operations since, in order
};

struct FaultInjectionFileSystem::State {
  std::map<std::string, FileLog> files;
  std::map<std::string, std::string> current;
};

namespace {

class FaultFile final : public File {
 public:
  FaultFile(std::unique_ptr<File> base, FaultInjectionFileSystem* fs)
      : base_(std::move(base)), fs_(fs) {}
  Result<std::size_t> ReadAt(std::uint64_t off, std::span<std::uint8_t> buf) override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kRead, path()));
    return base_->ReadAt(off, buf);
  }
  Status WriteAt(std::uint64_t off, std::span<const std::uint8_t> data) override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kWrite, path()));
    LARDER_RETURN_IF_ERROR(base_->WriteAt(off, data));
    fs_->RecordWrite(path(), off, data);
    return Status::Ok();
  }
  // One operation, as pwritev is one call; each piece is recorded as its own unsynced write, so
  // a power loss may keep, drop or tear each independently.
  Status WriteAtV(std::uint64_t off,
                  std::span<const std::span<const std::uint8_t>> pieces) override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kWrite, path()));
    LARDER_RETURN_IF_ERROR(base_->WriteAtV(off, pieces));
    for (std::span<const std::uint8_t> piece : pieces) {
      if (!piece.empty()) fs_->RecordWrite(path(), off, piece);
      off += piece.size();
    }
    return Status::Ok();
  }
  Status Sync() override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kSync, path()));
    return fs_->RecordSync(path());
  }
  Status SyncAll() override { return Sync(); }
  Status Truncate(std::uint64_t size) override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kTruncate, path()));
    LARDER_RETURN_IF_ERROR(base_->Truncate(size));
    fs_->RecordTruncate(path(), size);
    return Status::Ok();
  }
  Result<std::uint64_t> Size() override { return base_->Size(); }
  Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kMap, path()));
    return base_->Map(length);
  }
  Status TryLock(LockMode mode) override { return base_->TryLock(mode); }
  Status Unlock() override { return base_->Unlock(); }
  const std::string& path() const override { return base_->path(); }
  Status Preallocate(std::uint64_t offset, std::uint64_t length) override {
    LARDER_RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kPreallocate, path()));
    return base_->Preallocate(offset, length);
  }
  Status Advise(AccessPattern pattern) override { return base_->Advise(pattern); }
  bool direct_io() const override { return base_->direct_io(); }
  std::size_t alignment() const override { return base_->alignment(); }

 private:
  std::unique_ptr<File> base_;
  FaultInjectionFileSystem* fs_;
};

bool IsMutating(FaultInjectionFileSystem::Op op) {
  using Op = FaultInjectionFileSystem::Op;
  return op != Op::kRead && op != Op::kMap;
}

}  // namespace

FaultInjectionFileSystem::FaultInjectionFileSystem(std::size_t max_file_bytes)
    : base_(NewMemFileSystem(max_file_bytes)) {}
FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

void FaultInjectionFileSystem::CrashAfter(std::uint64_t n) {
  MutexLock lock(&mu_);
  crash_at_ = ops_ + n;
}

bool FaultInjectionFileSystem::crashed() const {
  MutexLock lock(&mu_);
  return ops_ >= crash_at_;
}

void FaultInjectionFileSystem::FailNth(Op op, std::uint64_t n, bool persistent, int err) {
  MutexLock lock(&mu_);
  faults_[static_cast<int>(op)] = Fault{n, persistent, true, false, err};
}

void FaultInjectionFileSystem::ClearFaults() {
  MutexLock lock(&mu_);
  for (Fault& f : faults_) f = Fault{};
  crash_at_ = ~std::uint64_t{0};
}

std::uint64_t FaultInjectionFileSystem::mutating_ops() const {
  MutexLock lock(&mu_);
  return ops_;
}

std::uint64_t FaultInjectionFileSystem::injected_faults() const {
  MutexLock lock(&mu_);
  return injected_;
}

Status FaultInjectionFileSystem::Check(Op op, const std::string& path) {
  MutexLock lock(&mu_);
  if (IsMutating(op)) {
    if (ops_ >= crash_at_) return Status::IOError(fmt::format("{}: simulated crash", path));
    ++ops_;
  }
  Fault& f = faults_[static_cast<int>(op)];
  if (!f.armed) return Status::Ok();
  if (f.fired && f.persistent) {
    ++injected_;
    return Status::FromErrno(path + ": injected fault", f.err);
  }
  if (!f.fired && --f.countdown == 0) {
    f.fired = true;
    ++injected_;
    return Status::FromErrno(path + ": injected fault", f.err);
  }
  return Status::Ok();
}

void FaultInjectionFileSystem::RecordWrite(const std::string& path, std::uint64_t off,
                                           std::span<const std::uint8_t> d) {
  MutexLock lock(&mu_);
  files_[path].unsynced.push_back(
      {false, off, std::string(reinterpret_cast<const char*>(d.data()), d.size())});
}

void FaultInjectionFileSystem::RecordTruncate(const std::string& path, std::uint64_t size) {
  MutexLock lock(&mu_);
  files_[path].unsynced.push_back({true, size, {}});
}

Status FaultInjectionFileSystem::RecordSync(const std::string& path) {
  // The content is read under mu_, so that of two syncs of one file racing (an LSM SyncWrites
  // beside a write leader's sync), the one that read older content cannot replace the durable
  // state the other recorded after a write it had waited for: that lost acknowledged writes.
  MutexLock lock(&mu_);
  FileLog& log = files_[path];
  log.durable = std::make_shared<const std::string>(ReadCurrent(path));
  log.unsynced.clear();
  return Status::Ok();
}

std::string FaultInjectionFileSystem::ReadCurrent(const std::string& path) const {
  auto f = base_->Open(path, {.read_only = true});
  if (!f.ok()) return {};
  std::string out((*f)->Size().value_or(0), '\0');
  (void)(*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  return out;
}

void FaultInjectionFileSystem::WriteCurrent(const std::string& path, const std::string& content) {
  auto f = base_->Open(path, {.create = true});
  if (!f.ok()) return;
  (void)(*f)->Truncate(0);
  (void)(*f)->WriteAt(0, AsBytes(content));
}

std::shared_ptr<const FaultInjectionFileSystem::State> FaultInjectionFileSystem::Save() const {
  auto state = std::make_shared<State>();
  MutexLock lock(&mu_);
  state->files = files_;
  for (const auto& [path, log] : files_) state->current[path] = ReadCurrent(path);
  return state;
}

void FaultInjectionFileSystem::ReplaceLogsLocked(const State& state) {
  for (const auto& [path, log] : files_) (void)base_->Remove(path);
  files_ = state.files;
}

void FaultInjectionFileSystem::Restore(const State& state) {
  MutexLock lock(&mu_);
  ReplaceLogsLocked(state);
  for (const auto& [path, content] : state.current) WriteCurrent(path, content);
}

void FaultInjectionFileSystem::PowerLoss(std::uint64_t seed) {
  MutexLock lock(&mu_);
  PowerLossLocked(seed);
}

void FaultInjectionFileSystem::PowerLoss(const State& saved, std::uint64_t seed) {
  MutexLock lock(&mu_);
  ReplaceLogsLocked(saved);
  // Every file of `files_` is rewritten (or removed) from its log below, which never reads the
  // base's content: the saved current contents need not be written back first.
  PowerLossLocked(seed);
}

void FaultInjectionFileSystem::PowerLossLocked(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  constexpr std::size_t kSector = 512;
  // Directory entries first: which files survive, and under which name.
  std::map<std::string, FileLog> survivors;
  for (auto& [path, log] : files_) {
    std::string name = path;
    if (!log.durable_name && rng() % 2 == 0) {
      (void)base_->Remove(path);
      // Renamed over a durable file but the rename never synced: that file is back under the
      // name.
      if (log.replaced != nullptr) survivors.insert_or_assign(path, *log.replaced);
      // Created but its directory entry never synced: the file is gone.
      if (log.old_name.empty()) continue;
      // Renamed but the rename never synced: back under its old name.
      name = log.old_name;
    }
    log.old_name.clear();
    log.replaced.reset();
    survivors.insert_or_assign(std::move(name), std::move(log));
  }
  files_ = std::move(survivors);
  for (auto& [path, log] : files_) {
    std::string content = *log.durable;
    for (const FileLog::Entry& e : log.unsynced) {
      if (e.is_truncate) {
        if (rng() % 2 == 0) content.resize(e.offset, '\0');
        continue;
      }
      const int choice = static_cast<int>(rng() % 3);  // 0 apply, 1 drop, 2 torn
      if (choice == 1) continue;
      if (content.size() < e.offset + e.data.size()) content.resize(e.offset + e.data.size());
      for (std::size_t s = 0; s < e.data.size(); s += kSector) {
        std::size_t n = std::min(kSector, e.data.size() - s);
        int sector = choice == 0 ? 0 : static_cast<int>(rng() % 3);
        if (sector == 0) {
          content.replace(e.offset + s, n, e.data, s, n);
        } else if (sector == 2) {
          for (std::size_t i = 0; i < n; ++i) content[e.offset + s + i] = static_cast<char>(rng());
        }
      }
    }
    WriteCurrent(path, content);
    log.durable = std::make_shared<const std::string>(std::move(content));
    log.durable_name = true;
    log.unsynced.clear();
  }
  for (Fault& f : faults_) f = Fault{};
  crash_at_ = ~std::uint64_t{0};
}

Result<std::unique_ptr<File>> FaultInjectionFileSystem::Open(const std::string& path,
                                                             const OpenOptions& o) {
  LARDER_ASSIGN_OR_RETURN(bool existed, base_->Exists(path));
  if (!existed && o.create && !o.read_only) LARDER_RETURN_IF_ERROR(Check(Op::kCreate, path));
  LARDER_ASSIGN_OR_RETURN(auto f, base_->Open(path, o));
  if (!existed) {
    MutexLock lock(&mu_);
    files_[path] = FileLog{};
  }
  return std::unique_ptr<File>(std::make_unique<FaultFile>(std::move(f), this));
}

Result<bool> FaultInjectionFileSystem::Exists(const std::string& path) {
  return base_->Exists(path);
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  LARDER_RETURN_IF_ERROR(Check(Op::kWrite, path));
  LARDER_RETURN_IF_ERROR(base_->Remove(path));
  MutexLock lock(&mu_);
  files_.erase(path);
  return Status::Ok();
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  LARDER_RETURN_IF_ERROR(Check(Op::kWrite, from));
  LARDER_RETURN_IF_ERROR(base_->Rename(from, to));
  MutexLock lock(&mu_);
  auto node = files_.extract(from);
  if (!node.empty()) {
    FileLog& log = node.mapped();
    auto replaced = files_.find(to);
    std::shared_ptr<const FileLog> durable_target =
        replaced != files_.end() && replaced->second.durable_name
            ? std::make_shared<const FileLog>(replaced->second)
            : nullptr;
    if (log.durable_name) {
      log.old_name = from;
      log.replaced = std::move(durable_target);
    } else if (log.replaced == nullptr) {
      // Else keep what the first unsynced rename recorded. A file never named durably that
      // replaces a durable one: if a power loss takes the new file, the old one stays.
      log.replaced = std::move(durable_target);
    }
    log.durable_name = false;  // durable only after the directory sync
    files_.insert_or_assign(to, std::move(log));
  }
  return Status::Ok();
}

Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  LARDER_RETURN_IF_ERROR(Check(Op::kSync, dir));
  MutexLock lock(&mu_);
  for (auto& [path, log] : files_) {
    if (DirName(path) == dir) {
      log.durable_name = true;
      log.old_name.clear();
      log.replaced.reset();
    }
  }
  return Status::Ok();
}

Status FaultInjectionFileSystem::CreateDirs(const std::string& dir) {
  return base_->CreateDirs(dir);
}

Result<std::vector<std::string>> FaultInjectionFileSystem::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Status FaultInjectionFileSystem::RemoveDir(const std::string& dir) {
  LARDER_RETURN_IF_ERROR(Check(Op::kRemoveDir, dir));
  return base_->RemoveDir(dir);
}

Status FaultInjectionFileSystem::Link(const std::string& existing, const std::string& new_path) {
  LARDER_ASSIGN_OR_RETURN(bool found, base_->Exists(existing));
  if (!found) return Status::NotFound(existing + ": no such file");
  LARDER_ASSIGN_OR_RETURN(bool taken, base_->Exists(new_path));
  if (taken) return Status::AlreadyExists(new_path + " already exists");
  LARDER_RETURN_IF_ERROR(Check(Op::kCreate, new_path));
  MutexLock lock(&mu_);
  WriteCurrent(new_path, ReadCurrent(existing));
  FileLog log = files_[existing];
  log.durable_name = false;
  log.old_name.clear();
  log.replaced.reset();
  files_[new_path] = std::move(log);
  return Status::Ok();
}

Result<std::uint64_t> FaultInjectionFileSystem::FileSize(const std::string& path) {
  return base_->FileSize(path);
}

}  // namespace larder
