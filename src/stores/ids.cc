#include "stores/ids.h"

#include <array>
#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>

#include "base/random.h"

namespace larder::stores {

std::string NewUuidV4() {
  std::array<std::uint8_t, 16> b{};
  RandomBytes(b.data(), b.size());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

std::string NewId(std::string_view prefix) { return std::string(prefix) + NewUuidV4(); }

Status CheckId(std::string_view what, std::string_view id) {
  if (id.empty()) return Status::InvalidArgument(fmt::format("{} is empty", what));
  if (id.size() > 256) {
    return Status::InvalidArgument(fmt::format("{} is {} bytes; at most 256", what, id.size()));
  }
  if (id.find('/') != std::string_view::npos || id.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("{} \"{}\" may not contain '/' or NUL", what, id));
  }
  return Status::Ok();
}

}  // namespace larder::stores
