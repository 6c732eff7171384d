#include "server/args.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

namespace larder::server {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Redis's string2ld/getDoubleFromObject rules around strtold/strtod: the whole string must be
// the number (no leading blank, no trailing bytes, no NUL inside), not NaN, and not an overflow or
// an underflow to zero. Longer inputs than Redis's buffer (5 KiB) are refused as Redis does.
constexpr std::size_t kMaxFloatChars = 5 * 1024;

template <typename T, T (*Convert)(const char*, char**)>
std::optional<T> ParseFloating(std::string_view s) {
  if (s.empty() || s.size() >= kMaxFloatChars || IsSpace(s[0])) return std::nullopt;
  const std::string buf(s);  // NUL-terminated for strto*
  char* end = nullptr;
  errno = 0;
  const T value = Convert(buf.c_str(), &end);
  if (static_cast<std::size_t>(end - buf.c_str()) != buf.size()) return std::nullopt;
  if (errno == ERANGE && (std::isinf(value) || value == 0)) return std::nullopt;
  if (errno == EINVAL || std::isnan(value)) return std::nullopt;
  return value;
}

long double StrToLd(const char* s, char** end) { return std::strtold(s, end); }
double StrToD(const char* s, char** end) { return std::strtod(s, end); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char FoldCase(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Matches one single-character element of a glob pattern (a literal, '?', an escape or a
// [class]) at pattern[*p] against c, and advances *p past the element. REQUIRES: *p < size and
// pattern[*p] != '*'. The bracket rules are Redis's stringmatchlen's, quirks included: '\' in a
// class escapes the next byte (compared exactly), "x-y" is a range in either order, and a class
// without its ']' runs to the end of the pattern.
bool MatchElement(std::string_view pattern, std::size_t* p, char c, bool nocase) {
  const std::size_t n = pattern.size();
  std::size_t i = *p;
  switch (pattern[i]) {
    case '?':
      *p = i + 1;
      return true;
    case '[': {
      ++i;
      const bool negate = i < n && pattern[i] == '^';
      if (negate) ++i;
      bool match = false;
      while (true) {
        if (i >= n) {  // no ']': the class ends the pattern
          break;
        }
        if (pattern[i] == '\\' && n - i >= 2) {
          ++i;
          if (pattern[i] == c) match = true;
        } else if (pattern[i] == ']') {
          break;
        } else if (n - i >= 3 && pattern[i + 1] == '-') {
          // Redis compares plain (signed) chars here.
          int start = static_cast<signed char>(pattern[i]);
          int end = static_cast<signed char>(pattern[i + 2]);
          int ch = static_cast<signed char>(c);
          if (start > end) std::swap(start, end);
          if (nocase) {
            start = static_cast<signed char>(FoldCase(static_cast<char>(start)));
            end = static_cast<signed char>(FoldCase(static_cast<char>(end)));
            ch = static_cast<signed char>(FoldCase(c));
          }
          i += 2;
          if (ch >= start && ch <= end) match = true;
        } else if (nocase ? FoldCase(pattern[i]) == FoldCase(c) : pattern[i] == c) {
          match = true;
        }
        ++i;
      }
      *p = i < n ? i + 1 : n;
      return negate ? !match : match;
    }
    case '\\':
      if (n - i >= 2) ++i;
      [[fallthrough]];
    default:
      *p = i + 1;
      return nocase ? FoldCase(pattern[i]) == FoldCase(c) : pattern[i] == c;
  }
}

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  line = line.substr(0, line.find('\0'));
  const std::size_t n = line.size();
  auto at = [&](std::size_t k) { return k < n ? line[k] : '\0'; };
  std::size_t i = 0;
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    std::string arg;
    char quote = 0;  // the open quote character; 0 outside quotes
    bool done = false;
    while (!done) {
      const char c = at(i);
      if (quote != 0) {
        if (quote == '"' && c == '\\' && at(i + 1) == 'x' && HexValue(at(i + 2)) >= 0 &&
            HexValue(at(i + 3)) >= 0) {
          arg.push_back(static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3))));
          i += 3;
        } else if (quote == '"' && c == '\\' && at(i + 1) != '\0') {
          // \n \r \t \b \a stand for their control characters; any other \c for c.
          static constexpr std::string_view kEscapes = "nrtba";
          static constexpr std::string_view kControls = "\n\r\t\b\a";
          const char escaped = at(++i);
          const std::size_t k = kEscapes.find(escaped);
          arg.push_back(k == std::string_view::npos ? escaped : kControls[k]);
        } else if (quote == '\'' && c == '\\' && at(i + 1) == '\'') {
          arg.push_back(at(++i));
        } else if (c == quote) {
          // A closing quote must be followed by a blank or the end of the line.
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // the line ended inside quotes
        } else {
          arg.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
          case '\'':
            quote = c;
            break;
          default:
            arg.push_back(c);
            break;
        }
      }
      if (at(i) != '\0') ++i;
    }
    out->push_back(std::move(arg));
  }
}

std::optional<std::int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.size() == 1 && s[0] == '0') return 0;
  if (s.size() <= 18 && s[0] >= '1' && s[0] <= '9') {
    // The common case (every RESP length, most arguments): positive and too short to overflow.
    std::int64_t v = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  std::size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) ++i;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return std::nullopt;  // no leading zero
  std::uint64_t magnitude = 0;
  // Up to 19 digits cannot overflow 64 bits (the protocol's lengths are all such): no check.
  const bool may_overflow = s.size() - i > 19;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(s[i] - '0');
    if (may_overflow && magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    magnitude = magnitude * 10 + digit;
  }
  constexpr std::uint64_t kMax =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > kMax + 1) return std::nullopt;
    return magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                 : -static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > kMax) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

std::optional<std::int64_t> ParseInt64InRange(std::string_view s, std::int64_t min,
                                              std::int64_t max) {
  const std::optional<std::int64_t> v = ParseInt64(s);
  if (!v || *v < min || *v > max) return std::nullopt;
  return v;
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  return ParseFloating<long double, StrToLd>(s);
}

std::optional<double> ParseDouble(std::string_view s) { return ParseFloating<double, StrToD>(s); }

std::optional<std::int64_t> ParseTimeoutSeconds(std::string_view arg, std::string_view* error) {
  const std::optional<long double> seconds = ParseLongDouble(arg);
  if (!seconds) {
    *error = "ERR timeout is not a float or out of range";
    return std::nullopt;
  }
  const long double ms = std::ceil(*seconds * 1000);  // 0.0001 s waits 1 ms, not forever
  // 2^63: outside int64 (infinities too), which Redis's cast turns into a negative number.
  constexpr long double kLimit = 9223372036854775808.0L;
  if (!(ms > -kLimit && ms < kLimit) || static_cast<std::int64_t>(ms) < 0) {
    *error = "ERR timeout is negative";
    return std::nullopt;
  }
  return static_cast<std::int64_t>(ms);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (FoldCase(a[i]) != FoldCase(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = FoldCase(c);
  return out;
}

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase) {
  // Redis's matcher loops while both pattern and string remain, so an empty string matches
  // only the empty pattern ("*" included: KEYS and SCAN special-case a lone "*" themselves).
  if (s.empty()) return pattern.empty();
  // Iterative matching with backtracking to the last '*': each other element matches exactly one
  // byte, so this decides the same as Redis's recursion, in O(pattern * string) at worst.
  std::size_t p = 0;
  std::size_t i = 0;
  std::size_t star_p = std::string_view::npos;  // the pattern position after the last '*' run
  std::size_t star_i = 0;                       // where that '*' began matching in s
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_i = i;
      continue;
    }
    if (p < pattern.size()) {
      std::size_t next = p;
      if (MatchElement(pattern, &next, s[i], nocase)) {
        p = next;
        ++i;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    i = ++star_i;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // std::to_chars with a precision is printf's %.17g by definition (args_test checks it against
  // snprintf) and the cheapest way to it (bench/format_bench.cc, against fmt and snprintf):
  // every score in a reply goes through here.
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 17);
  return std::string(buf, end.ptr);
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024 + 64];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (len < 0 || static_cast<std::size_t>(len) >= sizeof(buf)) return std::string();
  std::string out(buf, static_cast<std::size_t>(len));
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::string WrongArityError(std::string_view command) {
  return "ERR wrong number of arguments for '" + ToLower(command) + "' command";
}

std::string UnknownCommandError(std::string_view name, const std::string_view* args,
                                std::size_t nargs) {
  // As Redis 7.0: the name cut at 128 bytes, then quoted arguments while the list is shorter
  // than 128 bytes, each cut to what is left of those 128. Redis formats them with "%.*s", so
  // each also ends at its first NUL byte.
  constexpr std::size_t kLimit = 128;
  auto c_string = [](std::string_view s) { return s.substr(0, s.find('\0')); };
  std::string list;
  for (std::size_t i = 0; i < nargs && list.size() < kLimit; ++i) {
    const std::size_t room = kLimit - list.size();
    list += '\'';
    list.append(c_string(args[i]).substr(0, room));
    list += "' ";
  }
  return "ERR unknown command '" + std::string(c_string(name).substr(0, kLimit)) +
         "', with args beginning with: " + list;
}

std::string UnknownSubcommandError(std::string_view command, std::string_view sub) {
  std::string upper(command);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return "ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " + upper +
         " HELP.";
}

std::string InvalidExpireError(std::string_view command) {
  return "ERR invalid expire time in '" + ToLower(command) + "' command";
}

std::optional<std::string_view> ParseRandomCount(std::string_view arg, std::int64_t* count) {
  const std::optional<std::int64_t> parsed = ParseInt64(arg);
  if (!parsed) return errors::kNotInteger;
  if (*parsed == INT64_MIN) return errors::kRandomCountRange;
  *count = *parsed;
  return std::nullopt;
}

}  // namespace larder::server
