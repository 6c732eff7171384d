#include "server/resp_parser.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "server/args.h"

namespace larder::server {
namespace {

constexpr std::size_t kUnauthenticatedMaxArgs = 10;
constexpr std::size_t kUnauthenticatedMaxBulk = 16384;
// A multibulk header may announce a million arguments; reserve at most this many up front.
constexpr std::size_t kMaxArgvReserve = 1024;

// The index of the first `c` in input[from, end), or npos.
std::size_t FindByte(std::string_view input, std::size_t from, char c) {
  if (from >= input.size()) return std::string_view::npos;
  const void* hit = std::memchr(input.data() + from, c, input.size() - from);
  return hit == nullptr ? std::string_view::npos
                        : static_cast<std::size_t>(static_cast<const char*>(hit) - input.data());
}

}  // namespace

RespParser::RespParser(const ParserLimits& limits) : limits_(limits) {}

void RespParser::Reset() {
  state_ = State::kStart;
  scan_from_ = 0;
  pos_ = 0;
  pending_args_ = -1;
  pending_bulk_ = -1;
  bulks_.clear();
}

ParseStatus RespParser::Fail(std::string message) {
  error_ = std::move(message);
  state_ = State::kError;
  return ParseStatus::kProtocolError;
}

ParseStatus RespParser::Parse(std::string_view input, std::vector<std::string_view>* argv,
                              std::size_t* consumed) {
  argv->clear();
  *consumed = 0;
  std::size_t base = 0;  // bytes of empty requests consumed by this call
  while (true) {
    if (state_ == State::kError) return ParseStatus::kProtocolError;
    const std::string_view rest = input.substr(base);
    input_size_ = rest.size();
    if (rest.empty()) {
      *consumed = base;
      return ParseStatus::kIncomplete;
    }
    if (state_ == State::kStart) state_ = rest[0] == '*' ? State::kMultibulk : State::kInline;
    std::size_t used = 0;
    const ParseStatus status = state_ == State::kInline ? ParseInline(rest, argv, &used)
                                                        : ParseMultibulk(rest, argv, &used);
    if (status == ParseStatus::kProtocolError) return status;
    if (status == ParseStatus::kCommand) {
      *consumed = base + used;
      return status;
    }
    if (used == 0) {  // the request in progress needs more bytes
      *consumed = base;
      return status;
    }
    base += used;  // an empty request: go on with what follows it
  }
}

ParseStatus RespParser::ParseInline(std::string_view input, std::vector<std::string_view>* argv,
                                    std::size_t* consumed) {
  const std::size_t newline = FindByte(input, scan_from_, '\n');
  // Redis fails once more than max_inline_len bytes wait without a newline; failing on a line
  // that long also when its newline came in the same read keeps the outcome independent of how
  // the bytes were split into reads.
  if (newline == std::string_view::npos) {
    if (input.size() > limits_.max_inline_len) {
      return Fail("ERR Protocol error: too big inline request");
    }
    scan_from_ = input.size();
    return ParseStatus::kIncomplete;
  }
  if (newline > limits_.max_inline_len) return Fail("ERR Protocol error: too big inline request");
  std::string_view line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  inline_storage_.clear();
  if (!SplitArgs(line, &inline_storage_)) {
    return Fail("ERR Protocol error: unbalanced quotes in request");
  }
  *consumed = newline + 1;
  Reset();
  if (inline_storage_.empty()) return ParseStatus::kIncomplete;  // a blank line
  argv->assign(inline_storage_.begin(), inline_storage_.end());
  return ParseStatus::kCommand;
}

ParseStatus RespParser::ParseMultibulk(std::string_view input, std::vector<std::string_view>* argv,
                                       std::size_t* consumed) {
  if (pending_args_ < 0) {
    // The header "*<count>\r\n". Like Redis, the line ends at '\r' and the byte after it is
    // skipped unread.
    const std::size_t cr = FindByte(input, scan_from_, '\r');
    if ((cr == std::string_view::npos && input.size() > limits_.max_inline_len) ||
        (cr != std::string_view::npos && cr > limits_.max_inline_len)) {
      return Fail("ERR Protocol error: too big mbulk count string");
    }
    if (cr == std::string_view::npos || cr + 2 > input.size()) {
      scan_from_ = cr == std::string_view::npos ? input.size() : cr;
      return ParseStatus::kIncomplete;
    }
    const std::optional<std::int64_t> count = ParseInt64(input.substr(1, cr - 1));
    if (!count || *count > static_cast<std::int64_t>(limits_.max_multibulk_len)) {
      return Fail("ERR Protocol error: invalid multibulk length");
    }
    if (limits_.unauthenticated && *count > static_cast<std::int64_t>(kUnauthenticatedMaxArgs)) {
      return Fail("ERR Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    scan_from_ = pos_;
    if (*count <= 0) {  // "*0" and "*-1": no command
      *consumed = pos_;
      Reset();
      return ParseStatus::kIncomplete;
    }
    pending_args_ = *count;
    bulks_.clear();
    bulks_.reserve(std::min<std::size_t>(static_cast<std::size_t>(*count), kMaxArgvReserve));
  }
  while (pending_args_ > 0) {
    if (pending_bulk_ < 0) {
      // The bulk header "$<len>\r\n".
      const std::size_t cr = FindByte(input, scan_from_, '\r');
      if ((cr == std::string_view::npos && input.size() - pos_ > limits_.max_inline_len) ||
          (cr != std::string_view::npos && cr - pos_ > limits_.max_inline_len)) {
        return Fail("ERR Protocol error: too big bulk count string");
      }
      if (cr == std::string_view::npos || cr + 2 > input.size()) {
        scan_from_ = cr == std::string_view::npos ? input.size() : cr;
        return ParseStatus::kIncomplete;
      }
      if (input[pos_] != '$') {
        return Fail(std::string("ERR Protocol error: expected '$', got '") + input[pos_] + "'");
      }
      const std::optional<std::int64_t> len = ParseInt64(input.substr(pos_ + 1, cr - pos_ - 1));
      if (!len || *len < 0 || static_cast<std::uint64_t>(*len) > limits_.max_bulk_len) {
        return Fail("ERR Protocol error: invalid bulk length");
      }
      if (limits_.unauthenticated && static_cast<std::uint64_t>(*len) > kUnauthenticatedMaxBulk) {
        return Fail("ERR Protocol error: unauthenticated bulk length");
      }
      pos_ = cr + 2;
      pending_bulk_ = *len;
    }
    // The bulk's bytes and the two bytes after them (not checked, as in Redis).
    const std::size_t len = static_cast<std::size_t>(pending_bulk_);
    if (input.size() - pos_ < len + 2) return ParseStatus::kIncomplete;
    bulks_.emplace_back(pos_, len);
    pos_ += len + 2;
    scan_from_ = pos_;
    pending_bulk_ = -1;
    --pending_args_;
  }
  argv->reserve(bulks_.size());
  for (const auto& [offset, len] : bulks_) argv->push_back(input.substr(offset, len));
  *consumed = pos_;
  Reset();
  return ParseStatus::kCommand;
}

std::size_t RespParser::bytes_wanted() const {
  if (state_ != State::kMultibulk || pending_bulk_ < 0) return 0;
  const std::size_t end = pos_ + static_cast<std::size_t>(pending_bulk_) + 2;
  return end > input_size_ ? end - input_size_ : 0;
}

}  // namespace larder::server
