#include "bolt/meta.h"

#include <fmt/format.h>

#include <span>

#include "base/checksum.h"

namespace larder::bolt {
namespace {
void EncodeStruct(const Meta& m, std::uint8_t* p) {
  StoreU32(p, m.magic);
  StoreU32(p + 4, m.version);
  StoreU32(p + 8, m.page_size);
  StoreU32(p + 12, m.flags);
  EncodeBucketHeader(p + 16, m.root);
  StoreU64(p + 32, m.freelist);
  StoreU64(p + 40, m.pgid);
  StoreU64(p + 48, m.txid);
  StoreU64(p + 56, m.checksum);
}
}  // namespace

std::uint64_t Meta::Sum() const {
  std::uint8_t buf[kMetaSize];
  EncodeStruct(*this, buf);
  return Fnv1a64(std::span<const std::uint8_t>(buf, 56));
}

Meta Meta::Decode(const std::uint8_t* page) {
  const std::uint8_t* p = page + kPageHeaderSize;
  Meta m;
  m.magic = LoadU32(p);
  m.version = LoadU32(p + 4);
  m.page_size = LoadU32(p + 8);
  m.flags = LoadU32(p + 12);
  m.root.root = LoadU64(p + 16);
  m.root.sequence = LoadU64(p + 24);
  m.freelist = LoadU64(p + 32);
  m.pgid = LoadU64(p + 40);
  m.txid = LoadU64(p + 48);
  m.checksum = LoadU64(p + 56);
  return m;
}

void Meta::EncodePage(std::uint8_t* page) const {
  WritePageHeader(page, txid % 2, kMetaPageFlag, 0, 0);
  Meta copy = *this;
  copy.checksum = Sum();
  EncodeStruct(copy, page + kPageHeaderSize);
}

Status Meta::Validate(Pgid page_id) const {
  if (magic != kMagic) {
    return Status::InvalidArgument(
        fmt::format("meta page {}: invalid database (bad magic {:#010x})", page_id, magic));
  }
  if (version != kVersion) {
    return Status::NotSupported(fmt::format("meta page {}: version mismatch (version {}, want {})",
                                            page_id, version, kVersion));
  }
  if (checksum != Sum()) {
    return Status::Corruption(fmt::format("meta page {}: checksum error", page_id));
  }
  return Status::Ok();
}

Status Meta::ValidateForOpen(Pgid page_id, std::uint32_t expected_page_size,
                             std::uint64_t file_size) const {
  LARDER_RETURN_IF_ERROR(Validate(page_id));
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("meta page {}: {}", page_id, why));
  };
  if (page_size != expected_page_size) return bad("page size does not match the file's");
  if (pgid < 4) return bad(fmt::format("high-water mark {} is below 4", pgid));
  if (root.root < 2 || root.root >= pgid) {
    return bad(fmt::format("root page {} out of range [2, {})", root.root, pgid));
  }
  if (freelist != kNoFreelist && (freelist < 2 || freelist >= pgid)) {
    return bad(fmt::format("freelist page {} out of range [2, {})", freelist, pgid));
  }
  if (pgid > file_size / page_size) {
    return bad(fmt::format("high-water mark {} is past the end of the file ({} pages)", pgid,
                           file_size / page_size));
  }
  return Status::Ok();
}

}  // namespace larder::bolt
