#include "tests/interop/peer.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace larder::test {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

std::string ReadFile(const std::string& path) {
  std::string data;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    std::fclose(f);
  }
  return data;
}

// Runs `cmd` with /bin/sh, capturing stdout and (through `stderr_file`) stderr.
CommandResult RunCommand(const std::string& cmd, const std::string& stderr_file) {
  CommandResult r;
  std::string full = "(" + cmd + ") 2>" + ShellQuote(stderr_file);
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) {
    r.err = "popen failed";
    return r;
  }
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.err = ReadFile(stderr_file);
  return r;
}

const Peer& GetPeer() {
  static const Peer* peer = [] {
    auto* p = new Peer;
    const std::string dir = std::string(LARDER_BIN_DIR) + "/../interop-go";
    const std::string source = std::string(LARDER_SOURCE_DIR) + "/tests/interop/bboltpeer/main.go";
    std::error_code ec;
    std::filesystem::create_directories(dir + "/gocache", ec);
    const std::string log = dir + "/build." + std::to_string(::getpid()) + ".log";

    CommandResult which = RunCommand("command -v go", log);
    if (which.exit_code != 0 || which.out.empty()) {
      p->skip_reason = "Go toolchain (`go`) not found in PATH; bbolt interop tests skipped";
      std::filesystem::remove(log, ec);
      return p;
    }
    const std::string binary = dir + "/bboltpeer";
    // Rebuild when the binary is missing or older than its source. Build to a private name
    // and rename, so that test processes running in parallel never see a partial binary.
    struct stat src_st {};
    struct stat bin_st {};
    bool fresh = ::stat(source.c_str(), &src_st) == 0 && ::stat(binary.c_str(), &bin_st) == 0 &&
                 bin_st.st_mtim.tv_sec > src_st.st_mtim.tv_sec;
    if (!fresh) {
      const std::string tmp = binary + ".tmp." + std::to_string(::getpid());
      std::string cmd = "cd " + ShellQuote(dir) +
                        " && env GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=" +
                        ShellQuote(dir + "/gocache") +
                        " GOFLAGS= GOPROXY=off GOENV=off CGO_ENABLED=0 go build -o " +
                        ShellQuote(tmp) + " " + ShellQuote(source);
      CommandResult build = RunCommand(cmd, log);
      if (build.exit_code != 0) {
        p->error = "building the Go bbolt peer failed (" + cmd + "):\n" + build.out + build.err;
        std::filesystem::remove(tmp, ec);
        std::filesystem::remove(log, ec);
        return p;
      }
      std::filesystem::rename(tmp, binary, ec);
      if (ec) {
        p->error = "rename " + tmp + ": " + ec.message();
        return p;
      }
    }
    std::filesystem::remove(log, ec);
    p->path = binary;
    return p;
  }();
  return *peer;
}

}  // namespace larder::test
