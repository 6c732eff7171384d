// RespParser: splits a client's query buffer into commands (RESP multibulk or inline), with
// Redis's limits and Redis 7.0's protocol error strings.
//
// Thread-safety: one parser per connection, used by one thread at a time.
#ifndef LARDER_SERVER_RESP_PARSER_H_
#define LARDER_SERVER_RESP_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace larder::server {

// Redis's defaults. A request over a limit is a protocol error (the connection is closed after
// the error reply), as in Redis.
struct ParserLimits {
  std::size_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
  std::size_t max_multibulk_len = 1024 * 1024;      // arguments per command
  std::size_t max_inline_len = 64 * 1024;           // one inline command line
  // Redis's tighter limits for a client that has not authenticated while requirepass is set:
  // at most 10 arguments and bulks of at most 16384 bytes.
  bool unauthenticated = false;
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
  //   kCommand: *argv holds the arguments (at least one; argv[0] is the command name as sent,
  //     which a client may send empty) and *consumed the bytes that made the command. The views
  //     point into `input`, or into storage owned by the parser for an inline command; they stay
  //     valid until the next call to Parse and while `input`'s bytes are not moved or changed.
  //   kIncomplete: call again with the same bytes plus more appended; the parser remembers how
  //     far it got, so a large bulk is not re-scanned (work is linear in the bytes).
  //   kProtocolError: error() is the Redis text, e.g. "ERR Protocol error: invalid bulk length".
  //     The error is sticky: later calls return it again (the connection is to be closed).
  // Requests that carry no command are consumed silently, as Redis does: an empty or blank inline
  // line ("\r\n", "  \r\n") and a multibulk count <= 0 ("*0\r\n", "*-1\r\n"). Their bytes are
  // added to *consumed, also when the result is kIncomplete (the only case where kIncomplete
  // has *consumed > 0); the caller drops *consumed bytes from the front either way.
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
  // Resume state of the command in progress. Offsets are relative to the command's first byte,
  // which is input[0] on the next call (the caller keeps unconsumed bytes in place).
  enum class State { kStart, kInline, kMultibulk, kError };
  void Reset();
  ParseStatus ParseInline(std::string_view input, std::vector<std::string_view>* argv,
                          std::size_t* consumed);
  ParseStatus ParseMultibulk(std::string_view input, std::vector<std::string_view>* argv,
                             std::size_t* consumed);
  ParseStatus Fail(std::string message);

  State state_ = State::kStart;
  std::size_t scan_from_ = 0;    // where the search for the current line's end resumes
  std::size_t pos_ = 0;          // multibulk: the first byte not yet parsed
  long long pending_args_ = -1;  // multibulk: arguments still to read; -1 before the header
  long long pending_bulk_ = -1;  // multibulk: the current bulk's length; -1 before its header
  std::size_t input_size_ = 0;   // the size of the last input (for bytes_wanted)
  std::vector<std::pair<std::size_t, std::size_t>> bulks_;  // (offset, length) of read bulks
  std::vector<std::string> inline_storage_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_RESP_PARSER_H_
