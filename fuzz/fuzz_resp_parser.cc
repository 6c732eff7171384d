// larderd's RESP parser (src/server/resp_parser) on arbitrary client bytes. The first two bytes
// pick small limits (so the limit paths are reached) and the read sizes; the rest is the stream.
// Besides "no crash, no sanitizer report", these must hold:
//   - feeding the stream in reads of the chosen sizes gives the same commands, the same error
//     and the same unconsumed rest as feeding it at once (the parser is resumable);
//   - every command has at least one argument, and a command re-encoded as a multibulk request
//     parses back to the same arguments;
//   - Parse consumes nothing on kIncomplete except blank requests, and never more than it got.
// Replayed from fuzz/corpus/resp_parser by tests/fuzz_resp_parser_corpus_test.cc in `make test`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/resp_parser.h"

namespace larder::server {
namespace {

inline void FuzzCheck(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  std::string error;
  std::size_t rest = 0;
  bool operator==(const Outcome&) const = default;
};

// Feeds `stream` in reads of `read_size` bytes (0: all at once), as a connection does.
Outcome Feed(std::string_view stream, std::size_t read_size, const ParserLimits& limits) {
  RespParser parser(limits);
  Outcome out;
  std::string buffer;
  std::vector<std::string_view> argv;
  std::size_t fed = 0;
  while (fed < stream.size() || fed == 0) {
    const std::size_t n = read_size == 0 ? stream.size() : read_size;
    buffer.append(stream.substr(fed, n));
    fed += n;
    while (true) {
      std::size_t consumed = 0;
      const ParseStatus status = parser.Parse(buffer, &argv, &consumed);
      FuzzCheck(consumed <= buffer.size());
      if (status == ParseStatus::kProtocolError) {
        out.error = parser.error();
        FuzzCheck(!out.error.empty());
        return out;
      }
      if (status == ParseStatus::kCommand) {
        FuzzCheck(!argv.empty() && consumed > 0);
        out.commands.emplace_back(argv.begin(), argv.end());  // before the views' bytes move
      }
      buffer.erase(0, consumed);
      if (status == ParseStatus::kIncomplete) break;
    }
    if (stream.empty()) break;
  }
  out.rest = buffer.size();
  return out;
}

std::string Encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

}  // namespace
}  // namespace larder::server

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace larder::server;  // NOLINT: a fuzz entry point
  if (size < 2) return 0;
  ParserLimits limits;
  if (data[0] & 1) {
    limits.max_bulk_len = 1 + data[0] % 64;
    limits.max_multibulk_len = 1 + data[0] % 8;
    limits.max_inline_len = 1 + data[0] % 128;
  }
  limits.unauthenticated = (data[0] & 2) != 0;
  const std::size_t read_size = data[1] % 17;
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  const Outcome whole = Feed(stream, 0, limits);
  FuzzCheck(Feed(stream, read_size, limits) == whole);
  FuzzCheck(Feed(stream, 1, limits) == whole);
  for (const auto& command : whole.commands) {
    Outcome again = Feed(Encode(command), 0, ParserLimits{});
    FuzzCheck(again.error.empty() && again.rest == 0 && again.commands.size() == 1 &&
              again.commands[0] == command);
  }
  return 0;
}
