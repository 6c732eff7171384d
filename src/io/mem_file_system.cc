// An in-memory FileSystem. Each file's bytes live in address space reserved once (PROT_NONE,
// MAP_NORESERVE) and made readable and writable as the file grows, so a mapping handed out by
// Map() never moves and always shows the latest writes, as MAP_SHARED does for a real file.
//
// Direct I/O is emulated strictly: a file opened with direct_io reports alignment
// kMemDirectAlignment and refuses unaligned reads and writes, as O_DIRECT on a disk would, so a
// caller's alignment bugs show in in-memory tests. Directories exist when CreateDirs made them
// or a file lies below them; Open does not require the parent directory.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/file_system.h"

namespace larder {
namespace {

constexpr std::size_t kMemDirectAlignment = 4096;

std::size_t RoundUpToOsPage(std::size_t n) {
  static const std::size_t os_page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (n + os_page - 1) / os_page * os_page;
}

// The bytes of one file. Shared by every handle and mapping of it.
class MemFileData {
 public:
  explicit MemFileData(std::size_t reserve) : reserve_(RoundUpToOsPage(reserve)) {
    void* p =
        ::mmap(nullptr, reserve_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    base_ = p == MAP_FAILED ? nullptr : static_cast<std::uint8_t*>(p);
  }
  ~MemFileData() {
    if (base_ != nullptr) ::munmap(base_, reserve_);
  }
  bool valid() const { return base_ != nullptr; }
  std::uint8_t* base() const { return base_; }
  std::size_t reserve() const { return reserve_; }

  Status Resize(std::uint64_t size, const std::string& path) REQUIRES(mu) {
    if (size > reserve_) return Status::NoSpace(path + ": in-memory file limit reached");
    std::size_t need = RoundUpToOsPage(size);
    if (need > accessible_) {
      if (::mprotect(base_ + accessible_, need - accessible_, PROT_READ | PROT_WRITE) != 0) {
        return Status::FromErrno("grow in-memory file " + path, errno);
      }
      accessible_ = need;
    }
    if (size < size_) std::memset(base_ + size, 0, size_ - size);
    size_ = size;
    return Status::Ok();
  }

  Mutex mu;
  std::uint64_t size_ GUARDED_BY(mu) = 0;
  int shared_locks GUARDED_BY(mu) = 0;
  bool exclusive_lock GUARDED_BY(mu) = false;

 private:
  std::uint8_t* base_ = nullptr;
  std::size_t reserve_;
  std::size_t accessible_ GUARDED_BY(mu) = 0;
};

class MemRegion final : public MappedRegion {
 public:
  MemRegion(std::shared_ptr<MemFileData> data, std::size_t size)
      : data_(std::move(data)), size_(size) {}
  const std::uint8_t* data() const override { return data_->base(); }
  std::size_t size() const override { return size_; }

 private:
  std::shared_ptr<MemFileData> data_;
  std::size_t size_;
};

class MemFile final : public File {
 public:
  MemFile(std::shared_ptr<MemFileData> data, std::string path, bool read_only, bool direct)
      : data_(std::move(data)),
        path_(std::move(path)),
        read_only_(read_only),
        alignment_(direct ? kMemDirectAlignment : 1) {}
  ~MemFile() override { Unlock().ok(); }

  Result<std::size_t> ReadAt(std::uint64_t offset, std::span<std::uint8_t> buf) override {
    LARDER_RETURN_IF_ERROR(CheckAligned("read", offset, buf.data(), buf.size()));
    MutexLock lock(&data_->mu);
    if (offset >= data_->size_) return std::size_t{0};
    std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), data_->size_ - offset));
    std::memcpy(buf.data(), data_->base() + offset, n);
    return n;
  }
  Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (read_only_) return Status::ReadOnly(path_ + " is open read-only");
    LARDER_RETURN_IF_ERROR(CheckAligned("write", offset, in.data(), in.size()));
    MutexLock lock(&data_->mu);
    if (offset + in.size() > data_->size_) {
      LARDER_RETURN_IF_ERROR(data_->Resize(offset + in.size(), path_));
    }
    if (!in.empty()) std::memcpy(data_->base() + offset, in.data(), in.size());
    return Status::Ok();
  }
  Status Sync() override { return Status::Ok(); }
  Status SyncAll() override { return Status::Ok(); }
  Status Truncate(std::uint64_t size) override {
    if (read_only_) return Status::ReadOnly(path_ + " is open read-only");
    MutexLock lock(&data_->mu);
    return data_->Resize(size, path_);
  }
  Result<std::uint64_t> Size() override {
    MutexLock lock(&data_->mu);
    return data_->size_;
  }
  Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) override {
    if (length == 0) return Status::InvalidArgument("map " + path_ + ": zero length");
    if (length > data_->reserve()) {
      return Status::NoSpace("map " + path_ + ": larger than the in-memory file limit");
    }
    return std::shared_ptr<const MappedRegion>(std::make_shared<MemRegion>(data_, length));
  }
  Status TryLock(LockMode mode) override {
    MutexLock lock(&data_->mu);
    ReleaseLocked();
    if (mode == LockMode::kExclusive) {
      if (data_->exclusive_lock || data_->shared_locks > 0) return Busy();
      data_->exclusive_lock = true;
    } else {
      if (data_->exclusive_lock) return Busy();
      ++data_->shared_locks;
    }
    held_ = mode;
    holding_ = true;
    return Status::Ok();
  }
  Status Unlock() override {
    MutexLock lock(&data_->mu);
    ReleaseLocked();
    return Status::Ok();
  }
  const std::string& path() const override { return path_; }
  Status Preallocate(std::uint64_t offset, std::uint64_t length) override {
    if (read_only_) return Status::ReadOnly(path_ + " is open read-only");
    if (offset + length > data_->reserve()) {
      return Status::NoSpace(path_ + ": preallocation past the in-memory file limit");
    }
    return Status::Ok();  // the address space is reserved already
  }
  bool direct_io() const override { return alignment_ > 1; }
  std::size_t alignment() const override { return alignment_; }

 private:
  Status CheckAligned(const char* what, std::uint64_t offset, const void* buf, std::size_t n) {
    if (alignment_ == 1) return Status::Ok();
    if (offset % alignment_ != 0 || n % alignment_ != 0 ||
        reinterpret_cast<std::uintptr_t>(buf) % alignment_ != 0) {
      return Status::InvalidArgument(path_ + ": unaligned direct " + what);
    }
    return Status::Ok();
  }
  Status Busy() const { return Status::Busy(path_ + " is locked by another handle"); }
  void ReleaseLocked() REQUIRES(data_->mu) {
    if (!holding_) return;
    if (held_ == LockMode::kExclusive) {
      data_->exclusive_lock = false;
    } else {
      --data_->shared_locks;
    }
    holding_ = false;
  }

  std::shared_ptr<MemFileData> data_;
  std::string path_;
  bool read_only_;
  std::size_t alignment_;  // 1 unless opened for direct I/O
  bool holding_ = false;
  LockMode held_ = LockMode::kShared;
};

class MemFileSystem final : public FileSystem {
 public:
  explicit MemFileSystem(std::size_t max_file_bytes) : max_file_bytes_(max_file_bytes) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    MutexLock lock(&mu_);
    if (IsDirLocked(path)) return Status::InvalidArgument(path + " is a directory");
    auto it = files_.find(path);
    if (it != files_.end() && o.create && o.exclusive && !o.read_only) {
      return Status::AlreadyExists(path + " already exists");
    }
    if (it == files_.end()) {
      if (!o.create || o.read_only) return Status::NotFound(path + ": no such file");
      auto data = std::make_shared<MemFileData>(max_file_bytes_);
      if (!data->valid()) return Status::NoSpace(path + ": cannot reserve memory");
      it = files_.emplace(path, std::move(data)).first;
    }
    return std::unique_ptr<File>(
        std::make_unique<MemFile>(it->second, path, o.read_only, o.direct_io));
  }
  Result<bool> Exists(const std::string& path) override {
    MutexLock lock(&mu_);
    return files_.count(path) != 0 || IsDirLocked(path);
  }
  Status Remove(const std::string& path) override {
    MutexLock lock(&mu_);
    if (files_.erase(path) == 0) return Status::NotFound(path + ": no such file");
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) override {
    MutexLock lock(&mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return Status::NotFound(from + ": no such file");
    auto data = it->second;
    files_.erase(it);
    files_[to] = std::move(data);
    return Status::Ok();
  }
  Status Link(const std::string& existing, const std::string& new_path) override {
    MutexLock lock(&mu_);
    auto it = files_.find(existing);
    if (it == files_.end()) return Status::NotFound(existing + ": no such file");
    if (files_.count(new_path) != 0 || IsDirLocked(new_path)) {
      return Status::AlreadyExists(new_path + " already exists");
    }
    files_.emplace(new_path, it->second);  // one data, two names
    return Status::Ok();
  }
  Status SyncDir(const std::string&) override { return Status::Ok(); }
  Status CreateDirs(const std::string& dir) override {
    MutexLock lock(&mu_);
    for (std::string d = dir; !d.empty() && d != "." && d != "/"; d = DirName(d)) {
      if (files_.count(d) != 0) return Status::InvalidArgument(d + " is a file");
      dirs_.insert(d);
    }
    return Status::Ok();
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    MutexLock lock(&mu_);
    std::vector<std::string> names;
    const std::string prefix = dir + "/";
    auto add_children = [&](const auto& paths) {
      for (auto it = paths.lower_bound(prefix); it != paths.end(); ++it) {
        const std::string& path = KeyOf(*it);
        if (path.compare(0, prefix.size(), prefix) != 0) break;
        names.push_back(path.substr(prefix.size(), path.find('/', prefix.size()) - prefix.size()));
      }
    };
    add_children(files_);
    add_children(dirs_);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  }
  Status RemoveDir(const std::string& dir) override {
    MutexLock lock(&mu_);
    if (files_.count(dir) != 0) return Status::InvalidArgument(dir + " is not a directory");
    if (!IsDirLocked(dir)) return Status::NotFound(dir + ": no such directory");
    if (HasChildLocked(files_, dir) || HasChildLocked(dirs_, dir)) {
      return Status::InvalidArgument(dir + ": directory not empty");
    }
    dirs_.erase(dir);
    return Status::Ok();
  }
  Result<std::uint64_t> FileSize(const std::string& path) override {
    MutexLock lock(&mu_);
    auto it = files_.find(path);
    if (it == files_.end()) {
      if (IsDirLocked(path)) return Status::InvalidArgument(path + " is a directory");
      return Status::NotFound(path + ": no such file");
    }
    MutexLock file_lock(&it->second->mu);
    return it->second->size_;
  }

 private:
  static const std::string& KeyOf(const std::string& s) { return s; }
  template <typename V>
  static const std::string& KeyOf(const std::pair<const std::string, V>& kv) {
    return kv.first;
  }
  template <typename Paths>
  static bool HasChildLocked(const Paths& paths, const std::string& dir) {
    const std::string prefix = dir + "/";
    auto it = paths.lower_bound(prefix);
    return it != paths.end() && KeyOf(*it).compare(0, prefix.size(), prefix) == 0;
  }
  bool IsDirLocked(const std::string& path) const REQUIRES(mu_) {
    return dirs_.count(path) != 0 || HasChildLocked(files_, path);
  }

  std::size_t max_file_bytes_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<MemFileData>> files_ GUARDED_BY(mu_);
  std::set<std::string> dirs_ GUARDED_BY(mu_);  // made by CreateDirs, not yet removed
};

}  // namespace

std::unique_ptr<FileSystem> NewMemFileSystem(std::size_t max_file_bytes) {
  return std::make_unique<MemFileSystem>(max_file_bytes);
}

}  // namespace larder
