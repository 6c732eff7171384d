// RespParser: splits a client's query buffer into commands (RESP multibulk or inline), with
// Redis's limits and Redis 7.0's protocol error strings.
//
// Thread-safety: one parser per connection, used by one thread at a time.
#ifndef LARDER_SERVER_RESP_PARSER_H_
#define LARDER_SERVER_RESP_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace larder::server {

// Redis's defaults. A request over a limit is a protocol error (the connection is closed after
// the error reply), as in Redis.
struct ParserLimits {
  std::size_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
  std::size_t max_multibulk_len = 1024 * 1024;      // arguments per command
  std::size_t max_inline_len = 64 * 1024;           // one inline command line
};

enum class ParseStatus {
  kIncomplete,     // need more bytes; nothing consumed
  kCommand,        // one command parsed
  kProtocolError,  // error() holds the reply text; reply it, then close the connection
};

class RespParser {
 public:
  explicit RespParser(const ParserLimits& limits = {});

  // Parses one command at the start of `input` (the unconsumed query buffer).
  //   kCommand: *argv holds the arguments (argv[0] the command name, never empty) and *consumed
  //     the bytes that made the command. The views point into `input`, or into storage owned by
  //     the parser for an inline command with quotes/escapes; they stay valid until the next call
  //     to Parse and while `input`'s bytes are not moved or changed.
  //   kIncomplete: *consumed is 0. Call again with the same bytes plus more appended; the parser
  //     remembers how far it got, so a large bulk is not re-scanned (work is linear in the bytes).
  //   kProtocolError: error() is the Redis text, e.g. "ERR Protocol error: invalid bulk length".
  // An empty inline line (a bare "\r\n") is consumed silently: kIncomplete with *consumed > 0 is
  // possible only in that case.
  ParseStatus Parse(std::string_view input, std::vector<std::string_view>* argv,
                    std::size_t* consumed);

  const std::string& error() const { return error_; }

  // Bytes still needed to finish the command in progress (0 when unknown), so the connection
  // can size its next read (and reserve a large bulk once instead of growing by doubling).
  std::size_t bytes_wanted() const;

  void set_limits(const ParserLimits& limits) { limits_ = limits; }

 private:
  ParserLimits limits_;
  std::string error_;
  // Resume state (the implementation may change these private members).
  std::size_t resume_offset_ = 0;
  long long pending_args_ = -1;
  long long pending_bulk_ = -1;
  std::vector<std::string> inline_storage_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_RESP_PARSER_H_
