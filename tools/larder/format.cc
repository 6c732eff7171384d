#include "format.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>

#include <openssl/evp.h>

namespace larder::cli {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Decodes one UTF-8 sequence at the start of `s`. Returns the code point and sets `len`, or
// returns -1 (with len 1) for an invalid, overlong, surrogate or out-of-range sequence.
std::int32_t DecodeRune(std::string_view s, std::size_t& len) {
  len = 1;
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return b0;
  std::size_t n;
  std::int32_t cp;
  std::int32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (s.size() < n) return -1;
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  len = n;
  return cp;
}

struct Range {
  std::int32_t lo, hi;
};

// Characters Go's unicode.IsPrint rejects outside ASCII: controls, spaces other than U+0020,
// format characters, private use, noncharacters, and the largely unassigned planes. Unassigned
// code points inside the assigned planes are not listed (that would need Unicode's tables).
constexpr Range kUnprintable[] = {
    {0x0080, 0x00A0},   {0x00AD, 0x00AD},    {0x0378, 0x0379},   {0x0380, 0x0383},
    {0x038B, 0x038B},   {0x038D, 0x038D},    {0x03A2, 0x03A2},   {0x0600, 0x0605},
    {0x061C, 0x061C},   {0x06DD, 0x06DD},    {0x070F, 0x070F},   {0x08E2, 0x08E2},
    {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F},   {0x2028, 0x202F},
    {0x205F, 0x206F},   {0x3000, 0x3000},    {0xD800, 0xF8FF},   {0xFDD0, 0xFDEF},
    {0xFEFF, 0xFEFF},   {0xFFF0, 0xFFFB},    {0xFFFE, 0xFFFF},   {0x110BD, 0x110BD},
    {0x110CD, 0x110CD}, {0x13430, 0x1343F},  {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0x40000, 0xE00FF}, {0xE01F0, 0x10FFFF},
};

bool IsPrintRune(std::int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if ((r & 0xFFFE) == 0xFFFE) return false;  // U+xxFFFE and U+xxFFFF are noncharacters
  for (const Range& range : kUnprintable) {
    if (r >= range.lo && r <= range.hi) return false;
  }
  return true;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

// Appends the fraction of v / 10^prec with trailing zeros dropped (Go's fmtFrac) and returns
// the integer part.
std::uint64_t AppendFrac(std::string& digits, std::uint64_t v, int prec) {
  bool print = false;
  std::string frac;
  for (int i = 0; i < prec; ++i) {
    const std::uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) frac.insert(frac.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) digits = "." + frac + digits;
  return v;
}

}  // namespace

const std::vector<std::string>& ByteFormatNames() {
  static const std::vector<std::string> names = {"auto", "ascii-encoded", "hex", "bytes",
                                                 "redacted"};
  return names;
}

const std::vector<std::string>& ParseFormatNames() {
  static const std::vector<std::string> names = {"ascii-encoded", "hex"};
  return names;
}

std::optional<ByteFormat> ByteFormatFromName(std::string_view name) {
  if (name == "auto") return ByteFormat::kAuto;
  if (name == "ascii-encoded") return ByteFormat::kAsciiEncoded;
  if (name == "hex") return ByteFormat::kHex;
  if (name == "bytes") return ByteFormat::kBytes;
  if (name == "redacted") return ByteFormat::kRedacted;
  return std::nullopt;
}

std::string FormatBytes(std::string_view data, ByteFormat format) {
  switch (format) {
    case ByteFormat::kAuto:
      return IsPrintableUtf8(data) ? std::string(data) : HexEncode(data);
    case ByteFormat::kAsciiEncoded:
      return GoQuote(data);
    case ByteFormat::kHex:
      return HexEncode(data);
    case ByteFormat::kBytes:
      return std::string(data);
    case ByteFormat::kRedacted:
      return fmt::format("<redacted len:{} sha256:{}>", data.size(), Sha256Hex(data));
  }
  return std::string(data);
}

std::optional<std::string> ParseBytes(std::string_view text, std::string_view parse_format) {
  if (parse_format == "ascii-encoded") return std::string(text);
  if (parse_format != "hex" || text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string HexEncode(std::string_view data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (char c : data) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0F]);
  }
  return out;
}

std::string GoQuote(std::string_view data) {
  std::string out = "\"";
  std::size_t i = 0;
  while (i < data.size()) {
    std::size_t len;
    const std::int32_t r = DecodeRune(data.substr(i), len);
    if (r < 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(data[i]));
    } else if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (IsPrintRune(r)) {
      out.append(data.substr(i, len));
    } else {
      switch (r) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r < 0x20 || r == 0x7F) {
            out += fmt::format("\\x{:02x}", r);
          } else if (r < 0x10000) {
            out += fmt::format("\\u{:04x}", r);
          } else {
            out += fmt::format("\\U{:08x}", r);
          }
      }
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

bool IsPrintableUtf8(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size()) {
    std::size_t len;
    const std::int32_t r = DecodeRune(data.substr(i), len);
    if (r < 0 || !IsPrintRune(r)) return false;
    i += len;
  }
  return true;
}

std::string GoDuration(std::chrono::nanoseconds d) {
  const std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  const bool neg = ns < 0;
  std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  std::string out;
  if (u < 1'000'000'000) {
    if (u < 1'000) {
      out = fmt::format("{}ns", u);
    } else if (u < 1'000'000) {
      std::string tail = "µs";
      u = AppendFrac(tail, u, 3);
      out = fmt::format("{}{}", u, tail);
    } else {
      std::string tail = "ms";
      u = AppendFrac(tail, u, 6);
      out = fmt::format("{}{}", u, tail);
    }
  } else {
    std::string tail = "s";
    u = AppendFrac(tail, u, 9);
    out = fmt::format("{}{}", u % 60, tail);
    u /= 60;
    if (u > 0) {
      out = fmt::format("{}m{}", u % 60, out);
      u /= 60;
      if (u > 0) out = fmt::format("{}h{}", u, out);
    }
  }
  return neg ? "-" + out : out;
}

std::optional<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::nanoseconds(0);
  struct Unit {
    std::string_view name;
    double ns;
  };
  static constexpr Unit kUnits[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                                    {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  std::size_t i = 0;
  bool bare_number = true;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    const std::string number(text.substr(start, i - start));
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return std::nullopt;
    const std::size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      if (!bare_number || i != text.size() || start != 0) return std::nullopt;
      if (!(value * 1e9 <= 9.2e18)) return std::nullopt;  // also rejects NaN and infinity
      return std::chrono::nanoseconds(static_cast<std::int64_t>(value * 1e9));
    }
    bare_number = false;
    const Unit* found = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == unit) found = &u;
    }
    if (found == nullptr) return std::nullopt;
    total += value * found->ns;
  }
  if (!(total <= 9.2e18)) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

}  // namespace larder::cli
