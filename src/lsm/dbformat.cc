// Internal keys (dbformat.h).
#include "lsm/dbformat.h"

#include <fmt/format.h>

namespace larder::lsm {

std::string DebugString(std::string_view internal_key) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    return fmt::format("<bad internal key of {} bytes>", internal_key.size());
  }
  std::string out;
  for (const char c : parsed.user_key) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  out += fmt::format("@{}:{}", parsed.sequence, static_cast<int>(parsed.type));
  return out;
}

}  // namespace larder::lsm
