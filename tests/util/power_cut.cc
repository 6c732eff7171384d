// The shared power-cut harness (power_cut.h).
#include "tests/util/power_cut.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/loop.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "tests/util/temp_dir.h"

namespace larder::test {
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
  explicit LoopExt4(const TempDir& dir)
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

int CutCount() {
  const char* env = std::getenv("LARDER_POWER_CUTS");
  return env != nullptr ? std::atoi(env) : 20;
}

}  // namespace

void RunPowerCuts(const PowerCutWorkload& workload, PowerCutReport* report) {
  TempDir dir;
  LoopExt4 fs(dir);
  if (std::string why = fs.Create(); !why.empty()) {
    report->skipped = why;
    return;
  }
  const std::string path = fs.File(workload.name);
  std::mt19937_64 rng(7);
  std::uint64_t& acked = report->acknowledged;  // highest acknowledged commit
  const int cuts = CutCount();
  for (int cycle = 0; cycle < cuts; ++cycle) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      workload.writer(path, fds[1], acked + 1, cycle);
      _exit(5);  // the writer must not return
    }
    close(fds[1]);
    // Cut while commits run: after the child's first acknowledgment, at a random moment.
    std::uint64_t t;
    pollfd p{fds[0], POLLIN, 0};
    bool started = poll(&p, 1, 10000) == 1 && read(fds[0], &t, sizeof t) == sizeof t;
    if (started) acked = std::max(acked, t);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 15000));
    // The acknowledgments sent before the cut: every one must survive.
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    while (read(fds[0], &t, sizeof t) == sizeof t) acked = std::max(acked, t);
    if (std::string why = fs.Shutdown(); !why.empty()) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(fds[0]);
      if (cycle == 0) {
        report->skipped = why;
        return;
      }
      FAIL() << why;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Acknowledgments sent after the cut began: their fdatasync raced the shutdown. No power
    // loss lets a process acknowledge after it, so they need not survive; counted apart.
    std::uint64_t late = acked;
    while (read(fds[0], &t, sizeof t) == sizeof t) late = std::max(late, t);
    close(fds[0]);
    ASSERT_TRUE(started) << "cycle " << cycle << ": the writer acknowledged nothing (exit "
                         << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
    if (WIFSIGNALED(status) || WEXITSTATUS(status) == 3) ++report->cuts_during_writes;
    ++report->cuts;

    ASSERT_EQ(fs.Unmount(), "");
    ASSERT_EQ(fs.Mount(), "") << "cycle " << cycle << ": the file system did not come back";
    Result<std::uint64_t> found = workload.verify(path, cycle);
    ASSERT_TRUE(found.ok()) << "cycle " << cycle << " (" << acked
                            << " acknowledged): " << found.status().ToString();
    // Every acknowledged commit is there; at most one beyond it (committed but cut before its
    // acknowledgment was sent).
    EXPECT_GE(*found, acked) << "cycle " << cycle << ": acknowledged commits lost";
    EXPECT_LE(*found, late + 1) << "cycle " << cycle;
    report->acknowledged_during_cut += late - acked;
    report->lost_during_cut += late - std::max(acked, std::min(late, *found));
    acked = *found;  // the next child continues from what is on disk
  }
  ASSERT_EQ(fs.Unmount(), "");
  EXPECT_EQ(fs.Fsck(), 0) << "e2fsck found the file system damaged";
  EXPECT_EQ(report->cuts_during_writes, cuts) << "a writer stopped before it was cut";
}

std::string Summary(const PowerCutReport& r, std::string_view unit) {
  return fmt::format(
      "ext4 power cuts: {} ({} while the writer ran), last {} acknowledged: {}; {} acknowledged "
      "while the cut ran, {} of them lost",
      r.cuts, r.cuts_during_writes, unit, r.acknowledged, r.acknowledged_during_cut,
      r.lost_during_cut);
}

}  // namespace larder::test
