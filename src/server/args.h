// Parsing of command arguments as Redis 7.0 does it, and Redis's standard error replies, so
// every command family reports the same strings.
//
// Thread-safety: pure functions and constants.
#ifndef LARDER_SERVER_ARGS_H_
#define LARDER_SERVER_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace larder::server {

// Strict integer as Redis's string2ll: optional '-', no '+', no spaces, no leading zeros
// ("0" alone is fine, "-0" is not), within int64. nullopt otherwise.
std::optional<std::int64_t> ParseInt64(std::string_view s);
// As ParseInt64, then within [min, max].
std::optional<std::int64_t> ParseInt64InRange(std::string_view s, std::int64_t min,
                                              std::int64_t max);
// Redis's string2ld/strtold rules: no spaces, not NaN; "inf"/"-inf" accepted (callers reject
// infinities where Redis does). nullopt otherwise.
std::optional<long double> ParseLongDouble(std::string_view s);
std::optional<double> ParseDouble(std::string_view s);

// A blocking command's timeout in seconds (BLPOP, BZPOPMIN...) as Redis 7.0 parses it: a long
// double (ParseLongDouble), times 1000, rounded up to whole milliseconds. Returns the timeout in ms
// (0: wait forever), or nullopt with *error set to Redis's reply: "ERR timeout is not a float or
// out of range", or "ERR timeout is negative" (also for values past the int64 range of ms, as
// Redis's conversion makes them negative).
std::optional<std::int64_t> ParseTimeoutSeconds(std::string_view arg, std::string_view* error);

// Splits a line into arguments as Redis's sdssplitargs (inline commands, redis.conf lines):
// blanks separate arguments; "double quotes" take \n \r \t \b \a \xHH and \<any> escapes;
// 'single quotes' take \'; a closing quote must be followed by a blank or the end of the line. As
// Redis reads the line as a C string, a NUL byte ends it. Appends to *out; false on unbalanced
// quotes.
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

// ASCII case-insensitive equality (command names, options such as "NX", "withscores").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

// Redis glob-style pattern match (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): * ? [abc] [^a] [a-z]
// and backslash escapes, with optional case folding, as Redis's stringmatchlen.
bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase = false);

// Formats a double as Redis 7.0 replies one (ZSCORE, RESP3 doubles, ZSCAN's scores): "%.17g",
// with infinities as "inf" / "-inf".
std::string FormatDouble(double v);

// Formats a long double as INCRBYFLOAT/HINCRBYFLOAT reply it (%.17Lf, trailing zeros removed).
std::string FormatLongDouble(long double v);

// Redis 7.0's error strings (the reply text after '-').
namespace errors {
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNaN = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
// A random-count argument of INT64_MIN (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER).
inline constexpr std::string_view kRandomCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
}  // namespace errors

// The count argument of HRANDFIELD, SRANDMEMBER, ZRANDMEMBER: sets *count and returns nullopt,
// or returns the error to reply (not an integer; INT64_MIN, which Redis refuses).
std::optional<std::string_view> ParseRandomCount(std::string_view arg, std::int64_t* count);

// The biggest |count| the random-member commands (HRANDFIELD, SRANDMEMBER...) answer: the reply
// is built under the execution lock, and Redis itself runs out of memory long before
// (docs/server.md, differences). Beyond it: "ERR value is out of range".
inline constexpr std::int64_t kMaxRandomCount = std::int64_t{1} << 27;

// "ERR wrong number of arguments for 'get' command" (the name as the client sent it, lower-cased
// as Redis 7.0 does; "config|get" style for subcommands).
std::string WrongArityError(std::string_view command);
// "ERR unknown command 'foo', with args beginning with: 'a' 'b' " (Redis 7.0's exact form,
// arguments truncated at 128 bytes each).
std::string UnknownCommandError(std::string_view name, const std::string_view* args,
                                std::size_t nargs);
// "ERR unknown subcommand 'x'. Try CONFIG HELP."
std::string UnknownSubcommandError(std::string_view command, std::string_view sub);
// "ERR invalid expire time in 'set' command"
std::string InvalidExpireError(std::string_view command);

}  // namespace larder::server

#endif  // LARDER_SERVER_ARGS_H_
