// Byte and duration printers shared by the larder CLI commands.
//
// Byte formats (--format), as bbolt's CLI names them:
//   auto          the bytes as they are when valid UTF-8 of printable characters, else hex
//   ascii-encoded a Go %q quoted string ("a\x00b")
//   hex           lowercase hex
//   bytes         the raw bytes
//   redacted      <redacted len:N sha256:HEX> (<redacted len:N> in builds without OpenSSL)
// Parse formats (--parse-format) for keys and values given on the command line:
//   ascii-encoded the argument's bytes as given; hex: the argument decoded from hex.
#ifndef LARDER_TOOLS_LARDER_FORMAT_H_
#define LARDER_TOOLS_LARDER_FORMAT_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace larder::cli {

enum class ByteFormat { kAuto, kAsciiEncoded, kHex, kBytes, kRedacted };

// The names accepted by --format and --parse-format.
const std::vector<std::string>& ByteFormatNames();
const std::vector<std::string>& ParseFormatNames();

std::optional<ByteFormat> ByteFormatFromName(std::string_view name);
std::string FormatBytes(std::string_view data, ByteFormat format);

// Decodes a command-line argument; nullopt when `text` is not valid in `parse_format`.
std::optional<std::string> ParseBytes(std::string_view text, std::string_view parse_format);

std::string HexEncode(std::string_view data);
// Go's strconv.Quote: double-quoted, with Go escapes for unprintable characters and bad UTF-8.
std::string GoQuote(std::string_view data);
// True when `data` is valid UTF-8 and every character is printable (Go's unicode.IsPrint,
// approximated for characters outside the Basic Latin and Latin-1 blocks).
bool IsPrintableUtf8(std::string_view data);

// Go's time.Duration.String(): "1.5s", "14.69184ms", "265.03µs", "8ns", "1h2m3s", "0s".
std::string GoDuration(std::chrono::nanoseconds d);
// Parses a Go duration ("5s", "1m30s", "250ms", "0"); a bare number means seconds.
std::optional<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

}  // namespace larder::cli

#endif  // LARDER_TOOLS_LARDER_FORMAT_H_
