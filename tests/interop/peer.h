// Running programs from tests, and the Go bbolt peer (tests/interop/bboltpeer/main.go) that the
// interop and CLI golden suites compare against. The peer is built once per test process against
// Debian's packaged bbolt (GOPATH=/usr/share/gocode, no network).
#ifndef LARDER_TESTS_INTEROP_PEER_H_
#define LARDER_TESTS_INTEROP_PEER_H_

#include <string>

namespace larder::test {

// `s` quoted for /bin/sh.
std::string ShellQuote(const std::string& s);

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `cmd` with /bin/sh, capturing stdout and (through `stderr_file`) stderr.
CommandResult RunCommand(const std::string& cmd, const std::string& stderr_file);

// The Go peer, built at most once per process. `path` is empty when it is unavailable;
// `skip_reason` or `error` then says why.
struct Peer {
  std::string path;
  std::string skip_reason;  // go is not installed
  std::string error;        // go is installed but the build failed
};
const Peer& GetPeer();

}  // namespace larder::test

#endif  // LARDER_TESTS_INTEROP_PEER_H_
