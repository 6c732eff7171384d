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

PageKind PageHeader::kind() const {
  switch (flags) {
    case kBranchPageFlag:
      return PageKind::kBranch;
    case kLeafPageFlag:
      return PageKind::kLeaf;
    case kMetaPageFlag:
      return PageKind::kMeta;
    case kFreelistPageFlag:
      return PageKind::kFreelist;
    default:
      return PageKind::kUnknown;
  }
}

Status CheckPageSize(std::uint32_t page_size) {
  if (ValidPageSize(page_size)) return Status::Ok();
  return Status::InvalidArgument(fmt::format("page size {} is not a power of two from {} to {}",
                                             page_size, kMinPageSize, kMaxPageSize));
}

Status FreelistExtent(const PageView& page, std::string_view what, std::uint64_t* count,
                      std::size_t* offset) {
  *count = page.count();
  *offset = kPageHeaderSize;
  if (*count == kFreelistCountOverflow) {
    if (page.size() < kPageHeaderSize + 8) {
      return Status::Corruption(fmt::format("{}: freelist page too small", what));
    }
    *count = LoadU64(page.data() + kPageHeaderSize);
    *offset += 8;
  }
  if (*count > (page.size() - *offset) / 8) {
    return Status::Corruption(
        fmt::format("{}: freelist count {} does not fit in {} bytes", what, *count, page.size()));
  }
  return Status::Ok();
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
