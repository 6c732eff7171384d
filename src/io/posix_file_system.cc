// The POSIX FileSystem: pread/pwrite, fdatasync, flock and mmap; fallocate, posix_fadvise and
// O_DIRECT where the kernel and the file system offer them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "larder/file_system.h"

namespace larder {
namespace {

class PosixRegion final : public MappedRegion {
 public:
  PosixRegion(void* addr, std::size_t size) : addr_(addr), size_(size) {}
  ~PosixRegion() override { ::munmap(addr_, size_); }
  const std::uint8_t* data() const override { return static_cast<const std::uint8_t*>(addr_); }
  std::size_t size() const override { return size_; }
  bool Populate(std::size_t offset, std::size_t length) const override {
#ifdef MADV_POPULATE_READ
    if (length == 0 || offset >= size_ || length > size_ - offset) return false;
    static const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t from = offset / kPage * kPage;
    return ::madvise(static_cast<std::uint8_t*>(addr_) + from, offset + length - from,
                     MADV_POPULATE_READ) == 0;
#else
    (void)offset;
    (void)length;
    return false;  // Linux before 5.14's headers
#endif
  }

 private:
  void* addr_;
  std::size_t size_;
};

// The posix_fadvise and madvise advice for an access pattern.
struct Advice {
  int fadvise;
  int madvise;
};
Advice AdviceFor(AccessPattern p) {
  switch (p) {
    case AccessPattern::kSequential:
      return {POSIX_FADV_SEQUENTIAL, MADV_SEQUENTIAL};
    case AccessPattern::kRandom:
      return {POSIX_FADV_RANDOM, MADV_RANDOM};
    case AccessPattern::kNormal:
      break;
  }
  return {POSIX_FADV_NORMAL, MADV_NORMAL};
}

// The alignment O_DIRECT needs on `fd`: statx's STATX_DIOALIGN where the kernel (6.1+) and the
// C library know it, else 4096, which satisfies both 512-byte and 4K-sector devices.
std::size_t DirectIoAlignment(int fd) {
#ifdef STATX_DIOALIGN
  struct statx stx;
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
      (stx.stx_mask & STATX_DIOALIGN) != 0 && stx.stx_dio_offset_align != 0) {
    return std::max<std::size_t>({stx.stx_dio_offset_align, stx.stx_dio_mem_align, 512});
  }
#endif
  (void)fd;
  return 4096;
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path, bool direct, AccessPattern access)
      : fd_(fd),
        path_(std::move(path)),
        alignment_(direct ? DirectIoAlignment(fd) : 1),
        access_(access) {
    if (access != AccessPattern::kNormal) (void)Advise(access);
  }
  ~PosixFile() override { ::close(fd_); }

  Result<std::size_t> ReadAt(std::uint64_t offset, std::span<std::uint8_t> buf) override {
    std::size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::pread(fd_, buf.data() + done, buf.size() - done, offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("read " + path_, errno);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("write " + path_, errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

  Status WriteAtV(std::uint64_t offset,
                  std::span<const std::span<const std::uint8_t>> pieces) override {
    // pwritev takes at most IOV_MAX pieces and may write short: resume where it stopped.
    constexpr std::size_t kMaxIov = 1024;  // IOV_MAX on Linux
    std::vector<iovec> iov;
    iov.reserve(std::min(pieces.size(), kMaxIov));
    std::size_t next = 0;  // first piece not yet in iov
    std::size_t skip = 0;  // bytes of pieces[next] already written
    while (next < pieces.size()) {
      iov.clear();
      for (std::size_t i = next; i < pieces.size() && iov.size() < kMaxIov; ++i) {
        std::size_t from = i == next ? skip : 0;
        if (pieces[i].size() == from) continue;
        iov.push_back(
            iovec{const_cast<std::uint8_t*>(pieces[i].data() + from), pieces[i].size() - from});
      }
      if (iov.empty()) break;
      ssize_t n =
          ::pwritev(fd_, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("write " + path_, errno);
      }
      // Advance past what was written.
      auto left = static_cast<std::size_t>(n);
      offset += left;
      while (next < pieces.size() && left >= pieces[next].size() - skip) {
        left -= pieces[next].size() - skip;
        skip = 0;
        ++next;
      }
      skip += left;
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Status::FromErrno("fdatasync " + path_, errno);
    return Status::Ok();
  }
  Status SyncAll() override {
    if (::fsync(fd_) != 0) return Status::FromErrno("fsync " + path_, errno);
    return Status::Ok();
  }
  Status Truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return Status::FromErrno("truncate " + path_, errno);
    }
    return Status::Ok();
  }
  Result<std::uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Status::FromErrno("stat " + path_, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }
  Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) override {
    if (length == 0) return Status::InvalidArgument("map " + path_ + ": zero length");
    void* addr = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_, 0);
    if (addr == MAP_FAILED) return Status::FromErrno("mmap " + path_, errno);
    const AccessPattern access = access_.load(std::memory_order_relaxed);
    if (access != AccessPattern::kNormal) ::madvise(addr, length, AdviceFor(access).madvise);
    return std::shared_ptr<const MappedRegion>(std::make_shared<PosixRegion>(addr, length));
  }
  Status TryLock(LockMode mode) override {
    int op = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    while (::flock(fd_, op) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK) return Status::Busy(path_ + " is locked by another process");
      return Status::FromErrno("flock " + path_, errno);
    }
    return Status::Ok();
  }
  Status Unlock() override {
    if (::flock(fd_, LOCK_UN) != 0) return Status::FromErrno("unlock " + path_, errno);
    return Status::Ok();
  }
  const std::string& path() const override { return path_; }

  Status Preallocate(std::uint64_t offset, std::uint64_t length) override {
    if (length == 0) return Status::Ok();
    int rc;
    do {
      rc = ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                       static_cast<off_t>(length));
    } while (rc != 0 && errno == EINTR);
    if (rc == 0 || errno == EOPNOTSUPP || errno == ENOSYS) return Status::Ok();
    if (errno == EBADF) return Status::ReadOnly(path_ + " is open read-only");
    return Status::FromErrno("preallocate " + path_, errno);
  }
  Status WriteBack(std::uint64_t offset, std::uint64_t length) override {
    if (length == 0) return Status::Ok();
    // A hint: failures (EINVAL on file systems without it) are ignored.
    (void)::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                            SYNC_FILE_RANGE_WRITE);
    return Status::Ok();
  }
  Status Advise(AccessPattern pattern) override {
    access_.store(pattern, std::memory_order_relaxed);
    (void)::posix_fadvise(fd_, 0, 0, AdviceFor(pattern).fadvise);  // a hint: failures are ignored
    return Status::Ok();
  }
  bool direct_io() const override { return alignment_ > 1; }
  std::size_t alignment() const override { return alignment_; }

 private:
  int fd_;
  std::string path_;
  std::size_t alignment_;  // 1 without O_DIRECT
  std::atomic<AccessPattern> access_;
};

// open(2), retrying on EINTR.
int OpenFd(const std::string& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    int flags = (o.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    if (o.create && !o.read_only) flags |= O_CREAT | (o.exclusive ? O_EXCL : 0);
    int fd = OpenFd(path, o.direct_io ? flags | O_DIRECT : flags);
    bool direct = o.direct_io && fd >= 0;
    if (fd < 0 && o.direct_io && errno == EINVAL) {
      // The file system refuses O_DIRECT (tmpfs): buffered I/O instead, as documented. An
      // exclusive create cannot have created the file, since the open failed.
      fd = OpenFd(path, flags);
    }
    if (fd < 0) {
      if (errno == ENOENT) return Status::NotFound(path + ": no such file");
      if (errno == EEXIST) return Status::AlreadyExists(path + " already exists");
      if (errno == EISDIR) return Status::InvalidArgument(path + " is a directory");
      return Status::FromErrno("open " + path, errno);
    }
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return Status::InvalidArgument(path + " is a directory");
    }
    return std::unique_ptr<File>(std::make_unique<PosixFile>(fd, path, direct, o.access));
  }

  Result<bool> Exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return Status::FromErrno("stat " + path, errno);
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return Status::NotFound(path + ": no such file");
      return Status::FromErrno("remove " + path, errno);
    }
    return Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno("rename " + from + " to " + to, errno);
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno("open directory " + dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno("fsync directory " + dir, err);
    return Status::Ok();
  }

  Status CreateDirs(const std::string& dir) override {
    if (dir.empty() || dir == "." || dir == "/") return Status::Ok();
    LARDER_ASSIGN_OR_RETURN(bool exists, Exists(dir));
    if (exists) return Status::Ok();
    LARDER_RETURN_IF_ERROR(CreateDirs(DirName(dir)));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::FromErrno("mkdir " + dir, errno);
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Status::FromErrno("list " + dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) {
      if (errno == ENOENT) return Status::NotFound(dir + ": no such directory");
      if (errno == ENOTEMPTY || errno == EEXIST) {
        return Status::InvalidArgument(dir + ": directory not empty");
      }
      if (errno == ENOTDIR) return Status::InvalidArgument(dir + " is not a directory");
      return Status::FromErrno("remove directory " + dir, errno);
    }
    return Status::Ok();
  }

  Status Link(const std::string& existing, const std::string& new_path) override {
    if (::link(existing.c_str(), new_path.c_str()) == 0) return Status::Ok();
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(existing + ": no such file");
    if (err == EEXIST) return Status::AlreadyExists(new_path + " already exists");
    if (err == EXDEV || err == EPERM || err == EMLINK || err == EOPNOTSUPP) {
      return Status::NotSupported("link " + existing + " to " + new_path + ": " +
                                  std::strerror(err));
    }
    return Status::FromErrno("link " + existing + " to " + new_path, err);
  }

  Result<std::uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path + ": no such file");
      return Status::FromErrno("stat " + path, errno);
    }
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " is a directory");
    return static_cast<std::uint64_t>(st.st_size);
  }
};

}  // namespace

FileSystem* DefaultFileSystem() {
  static PosixFileSystem* fs = new PosixFileSystem();  // never destroyed: used until exit
  return fs;
}

std::string DirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

}  // namespace larder
