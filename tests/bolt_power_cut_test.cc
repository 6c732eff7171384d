// Real power cuts: ext4 on a loop device, cut with the EXT4_IOC_SHUTDOWN ioctl without flushing
// the journal (EXT4_GOING_FLAGS_NOLOGFLUSH) while a child process commits. From that moment the
// file system drops every write it has not yet made durable, as a power loss would; what fsync
// and fdatasync returned OK for is on the device. The test unmounts, mounts again (the journal
// replays), opens and checks the database and verifies every commit the child acknowledged.
//
// Needs root, /dev/loop-control, mkfs.ext4 (e2fsprogs) and a kernel that lets us mount ext4.
// Where any of these is missing (a container, say) the test is SKIPPED and says why.
// LARDER_POWER_CUTS=n sets the number of cuts (default 20, about 8 s).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/loop.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include "larder/bolt/db.h"
#include "tests/util/temp_dir.h"

namespace larder::bolt {
namespace {

// From the kernel's fs/ext4/ext4.h (not in the exported headers).
constexpr unsigned long kExt4IocShutdown = _IOR('X', 125, std::uint32_t);
constexpr std::uint32_t kExt4GoingFlagsNoLogFlush = 0x2;

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// e2fsprogs' programs live in /usr/sbin or /sbin, which a non-login PATH may lack.
std::string Tool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
    if (::access((dir + name).c_str(), X_OK) == 0) return dir + name;
  }
  return name;
}

// An ext4 file system in an image file, attached to a loop device. Every method returns an
// empty string on success, else why it failed (the reason the test is skipped).
class LoopExt4 {
 public:
  explicit LoopExt4(const test::TempDir& dir)
      : image_(dir.File("ext4.img")), mount_point_(dir.File("mnt")) {}
  ~LoopExt4() {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
    Detach();
  }

  std::string Create() {
    if (::geteuid() != 0) return "needs root to attach a loop device and mount ext4";
    if (::access("/dev/loop-control", F_OK) != 0) return "no /dev/loop-control";
    {
      int fd = ::open(image_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) return Errno("create image");
      const bool sized = ::ftruncate(fd, 48 << 20) == 0;
      ::close(fd);
      if (!sized) return Errno("size image");
    }
    const std::string mkfs = Tool("mkfs.ext4") + " -q -F " + image_ + " >/dev/null 2>&1";
    if (std::system(mkfs.c_str()) != 0) return "mkfs.ext4 failed or is missing (e2fsprogs)";
    std::filesystem::create_directories(mount_point_);
    return Mount();
  }

  // Attaches the image to a free loop device and mounts it. Each mount gets a new loop device:
  // the block device's cache dies with the old one, as the page cache dies in a power loss
  // (kept across a remount, it holds metadata the journal never wrote, and ext4 then reports
  // bad bitmap checksums).
  std::string Mount() {
    if (std::string why = Attach(); !why.empty()) return why;
    if (::mount(device_.c_str(), mount_point_.c_str(), "ext4", 0, "") != 0) {
      std::string why = Errno(("mount " + device_ + " as ext4").c_str());
      Detach();
      return why;
    }
    mounted_ = true;
    return {};
  }

  std::string Unmount() {
    for (int attempt = 0; ::umount2(mount_point_.c_str(), 0) != 0; ++attempt) {
      if (errno != EBUSY || attempt == 100) return Errno("umount");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    mounted_ = false;
    Detach();
    return {};
  }

  // The power cut: the file system stops writing anything, journal included.
  std::string Shutdown() {
    int fd = ::open(mount_point_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open mount point");
    std::uint32_t flags = kExt4GoingFlagsNoLogFlush;
    const bool ok = ::ioctl(fd, kExt4IocShutdown, &flags) == 0;
    std::string why = ok ? std::string() : Errno("EXT4_IOC_SHUTDOWN");
    ::close(fd);
    return why;
  }

  std::string File(const std::string& name) const { return mount_point_ + "/" + name; }

  // e2fsck's verdict on the unmounted image (0: clean): the harness itself must not have
  // damaged the file system, or the test proves nothing.
  int Fsck() const {
    const std::string cmd = Tool("e2fsck") + " -fn " + image_ + " >/dev/null 2>&1";
    return std::system(cmd.c_str());
  }

 private:
  // Closing the last descriptor of an autoclear loop device detaches it.
  void Detach() {
    if (loop_fd_ >= 0) ::close(loop_fd_);
    loop_fd_ = -1;
  }

  std::string Attach() {
    int image_fd = ::open(image_.c_str(), O_RDWR | O_CLOEXEC);
    if (image_fd < 0) return Errno("open image");
    int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0) {
      ::close(image_fd);
      return Errno("open /dev/loop-control");
    }
    std::string why = "no free loop device";
    for (int attempt = 0; attempt < 20 && loop_fd_ < 0; ++attempt) {
      const int n = ::ioctl(control, LOOP_CTL_GET_FREE);
      if (n < 0) {
        why = Errno("LOOP_CTL_GET_FREE");
        break;
      }
      const std::string dev = "/dev/loop" + std::to_string(n);
      int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) {
        why = Errno(("open " + dev).c_str());
        break;
      }
      if (::ioctl(fd, LOOP_SET_FD, image_fd) != 0) {
        why = Errno("LOOP_SET_FD");
        ::close(fd);
        if (errno == EBUSY) continue;  // another process took it first
        break;
      }
      loop_info64 info{};
      info.lo_flags = LO_FLAGS_AUTOCLEAR;
      (void)::ioctl(fd, LOOP_SET_STATUS64, &info);
      loop_fd_ = fd;
      device_ = dev;
    }
    ::close(control);
    ::close(image_fd);
    return loop_fd_ >= 0 ? std::string() : why;
  }

  std::string image_;
  std::string mount_point_;
  std::string device_;
  int loop_fd_ = -1;
  bool mounted_ = false;
};

// The child: commit transaction t (t = first, first+1, ...) which sets counter = t and adds
// key "t<t>"; acknowledge each by writing t to `fd`. Exits when a commit fails (the cut).
[[noreturn]] void Writer(const std::string& path, int fd, std::uint64_t first, bool freelist) {
  Options o;
  o.no_freelist_sync = !freelist;
  auto db = DB::Open(path, o);
  if (!db.ok()) {
    std::cerr << "writer: " << db.status().ToString() << "\n";
    _exit(2);
  }
  for (std::uint64_t t = first;; ++t) {
    Status s = (*db)->Update([t](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("cut"));
      LARDER_RETURN_IF_ERROR(b.Put("counter", std::to_string(t)));
      return b.Put("t" + std::to_string(t), std::string((t * 53) % 5000, 'p'));
    });
    if (!s.ok()) {
      if (t == first) std::cerr << "writer: first commit: " << s.ToString() << "\n";
      _exit(3);
    }
    if (write(fd, &t, sizeof t) != sizeof t) _exit(4);
  }
}

int CutCount() {
  const char* env = std::getenv("LARDER_POWER_CUTS");
  return env != nullptr ? std::atoi(env) : 20;
}

TEST(BoltPowerCutTest, Ext4ShutdownNeverLosesAcknowledgedCommits) {
  test::TempDir dir;
  LoopExt4 fs(dir);
  if (std::string why = fs.Create(); !why.empty()) {
    GTEST_SKIP() << "real power cut not possible here: " << why;
  }
  const std::string path = fs.File("cut.db");
  std::mt19937_64 rng(7);
  std::uint64_t acked = 0;  // highest acknowledged transaction number
  int cuts_during_writes = 0;
  const int cuts = CutCount();
  for (int cycle = 0; cycle < cuts; ++cycle) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      Writer(path, fds[1], acked + 1, cycle % 2 == 0);
    }
    close(fds[1]);
    // Cut while commits run: after the child's first acknowledgment, at a random moment.
    std::uint64_t t;
    pollfd p{fds[0], POLLIN, 0};
    bool started = poll(&p, 1, 10000) == 1 && read(fds[0], &t, sizeof t) == sizeof t;
    if (started) acked = std::max(acked, t);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 15000));
    if (std::string why = fs.Shutdown(); !why.empty()) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(fds[0]);
      if (cycle == 0) GTEST_SKIP() << "real power cut not possible here: " << why;
      FAIL() << why;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    while (read(fds[0], &t, sizeof t) == sizeof t) acked = std::max(acked, t);
    close(fds[0]);
    ASSERT_TRUE(started) << "cycle " << cycle << ": the writer acknowledged nothing (exit "
                         << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
    if (WIFSIGNALED(status) || WEXITSTATUS(status) == 3) ++cuts_during_writes;

    ASSERT_EQ(fs.Unmount(), "");
    ASSERT_EQ(fs.Mount(), "") << "cycle " << cycle << ": the file system did not come back";
    auto db = DB::Open(path);
    ASSERT_TRUE(db.ok()) << "cycle " << cycle << ": " << db.status().ToString();
    Status verified = (*db)->View([&](Tx& tx) -> Status {
      auto problems = tx.Check();
      EXPECT_TRUE(problems.empty()) << "cycle " << cycle << ": " << problems[0];
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("cut"));
      LARDER_ASSIGN_OR_RETURN(std::string_view counter, b.Get("counter"));
      const std::uint64_t c = std::stoull(std::string(counter));
      // Every acknowledged commit is there; at most one beyond it (committed but cut before
      // its acknowledgment was sent).
      EXPECT_GE(c, acked) << "cycle " << cycle << ": acknowledged commits lost";
      EXPECT_LE(c, acked + 1) << "cycle " << cycle;
      for (std::uint64_t i = 1; i <= c; i += 1 + c / 64) {
        auto v = b.Get("t" + std::to_string(i));
        EXPECT_TRUE(v.ok() && v->size() == (i * 53) % 5000) << "cycle " << cycle << " key " << i;
      }
      acked = c;  // the next child continues from what is on disk
      return Status::Ok();
    });
    ASSERT_TRUE(verified.ok()) << "cycle " << cycle << " (" << acked
                               << " acknowledged): " << verified.ToString();
  }
  ASSERT_EQ(fs.Unmount(), "");
  EXPECT_EQ(fs.Fsck(), 0) << "e2fsck found the file system damaged";
  std::cerr << "ext4 power cuts: " << cuts << " (" << cuts_during_writes
            << " while commits ran), commits acknowledged: " << acked << "\n";
  EXPECT_EQ(cuts_during_writes, cuts) << "a writer stopped before it was cut";
}

}  // namespace
}  // namespace larder::bolt
