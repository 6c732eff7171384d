#include "bolt/page.h"

#include <fmt/format.h>

namespace larder::bolt {

std::string PageTypeName(std::uint16_t flags) {
  switch (flags) {
    case kBranchPageFlag:
      return "branch";
    case kLeafPageFlag:
      return "leaf";
    case kMetaPageFlag:
      return "meta";
    case kFreelistPageFlag:
      return "freelist";
    default:
      return fmt::format("unknown<{:02x}>", flags);
  }
}

Status PageView::CheckElements(std::string_view what) const {
  std::uint64_t need = kPageHeaderSize + std::uint64_t{count()} * kElementSize;
  if (need > size_) {
    return Status::Corruption(
        fmt::format("{}: {} elements do not fit in {} bytes", what, count(), size_));
  }
  return Status::Ok();
}

std::string KeyForMessage(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  std::size_t n = std::min<std::size_t>(key.size(), 32);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  if (key.size() > n) out += "...";
  return out;
}

}  // namespace larder::bolt
