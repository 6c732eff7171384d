#include "bolt/meta.h"

#include <fmt/format.h>

#include <span>
#include <vector>

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

void Meta::EncodePage(std::uint8_t* page, Pgid page_id) const {
  WritePageHeader(page, page_id, kMetaPageFlag, 0, 0);
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

MetaFields Meta::Fields() const {
  return {magic,         version,  page_size, flags, root.root,
          root.sequence, freelist, pgid,      txid,  checksum};
}

Meta Meta::FromFields(const MetaFields& f) {
  Meta m;
  m.magic = f.magic;
  m.version = f.version;
  m.page_size = f.page_size;
  m.flags = f.flags;
  m.root = {f.root, f.sequence};
  m.freelist = f.freelist;
  m.pgid = f.pgid;
  m.txid = f.txid;
  m.checksum = f.checksum;
  return m;
}

int MetaPages::active() const {
  const bool ok0 = status[0].ok(), ok1 = status[1].ok();
  if (ok0 && ok1) return meta[1].txid > meta[0].txid ? 1 : 0;
  if (ok0) return 0;
  if (ok1) return 1;
  return -1;
}

Result<Meta> MetaPages::Active(const std::string& path) const {
  const int i = active();
  if (i < 0) return status[0].WithContext(path + ": both meta pages are invalid");
  return meta[i];
}

Result<MetaPages> ReadMetaPages(File& file, std::uint64_t file_size, const std::string& path) {
  if (file_size < kPageHeaderSize + kMetaSize) {
    return Status::InvalidArgument(
        fmt::format("{}: file size too small ({} bytes) for a bolt database", path, file_size));
  }
  std::uint8_t head[kPageHeaderSize + kMetaSize];
  // The meta at `off`; nullopt-like false when the file ends before it.
  auto read_at = [&](std::uint64_t off, Meta* m) -> Result<bool> {
    auto n = file.ReadAt(off, head);
    if (!n.ok()) {
      return n.status().WithContext(fmt::format("reading the meta page at offset {}", off));
    }
    if (*n < sizeof(head)) return false;
    *m = Meta::Decode(head);
    return true;
  };
  MetaPages out;
  Meta m0;
  LARDER_ASSIGN_OR_RETURN(const bool have0, read_at(0, &m0));
  Status first_error = have0 ? m0.Validate(0) : Status::Corruption("meta page 0: short read");
  if (first_error.ok() && !ValidPageSize(m0.page_size)) {
    first_error =
        Status::Corruption(fmt::format("meta page 0: invalid page size {}", m0.page_size));
  }
  if (first_error.ok()) {
    out.page_size = m0.page_size;
  } else {
    // Meta 0 is damaged: probe for a valid meta 1 at each possible page size.
    for (std::uint32_t p = kMinPageSize; p <= kMaxPageSize && p < file_size; p <<= 1) {
      Meta m1;
      LARDER_ASSIGN_OR_RETURN(const bool have1, read_at(p, &m1));
      if (have1 && m1.Validate(1).ok() && m1.page_size == p) {
        out.page_size = p;
        break;
      }
    }
    if (out.page_size == 0) {
      if (first_error.code() == Code::kInvalidArgument) {
        return Status::InvalidArgument(
            fmt::format("{}: not a bolt database: {}", path, first_error.message()));
      }
      return first_error.WithContext(path);
    }
  }
  if (file_size < 2 * std::uint64_t{out.page_size}) {
    return Status::Corruption(fmt::format("{}: file size {} is smaller than two pages of {}", path,
                                          file_size, out.page_size));
  }
  for (int i = 0; i < 2; ++i) {
    LARDER_ASSIGN_OR_RETURN(const bool have,
                            read_at(std::uint64_t{out.page_size} * i, &out.meta[i]));
    out.status[i] = have ? out.meta[i].ValidateForOpen(i, out.page_size, file_size)
                         : Status::Corruption(fmt::format("meta page {}: short read", i));
  }
  return out;
}

std::vector<std::uint8_t> EncodeCopyMetaPages(const Meta& meta) {
  const std::size_t p = meta.page_size;
  std::vector<std::uint8_t> pages(2 * p, 0);
  Meta older = meta;
  if (older.txid > 0) older.txid -= 1;
  meta.EncodePage(pages.data(), 0);
  older.EncodePage(pages.data() + p, 1);
  return pages;
}

}  // namespace larder::bolt
