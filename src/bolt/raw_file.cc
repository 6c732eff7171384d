// RawFile and RawPage (larder/bolt/raw_file.h): page-level reading and surgery of a bolt file,
// on the engine's own page layout (page.h), meta discovery (meta.h) and lock waiting
// (file_ops.h).
#include "larder/bolt/raw_file.h"

#include <fmt/format.h>

#include "bolt/file_ops.h"
#include "bolt/freelist.h"
#include "bolt/meta.h"
#include "bolt/page.h"

namespace larder::bolt {

RawPage::RawPage(Pgid id, std::vector<std::uint8_t> bytes)
    : id_(id), bytes_(std::move(bytes)), header_(ReadPageHeader(bytes_.data())) {}

MetaFields RawPage::Meta() const { return bolt::Meta::Decode(bytes_.data()).Fields(); }

Result<std::uint64_t> RawPage::ItemCount() const {
  const PageView p(bytes_.data(), bytes_.size());
  switch (header_.kind()) {
    case PageKind::kBranch:
    case PageKind::kLeaf:
      LARDER_RETURN_IF_ERROR(p.CheckElements(fmt::format("page {}", id_)));
      return std::uint64_t{header_.count};
    case PageKind::kFreelist: {
      std::uint64_t count = 0;
      std::size_t offset = 0;
      LARDER_RETURN_IF_ERROR(FreelistExtent(p, fmt::format("page {}", id_), &count, &offset));
      return count;
    }
    default:
      return std::uint64_t{0};
  }
}

Status RawPage::CheckItems(PageKind want, std::uint64_t i) const {
  if (header_.kind() != want) {
    return Status::InvalidArgument(
        fmt::format("page {}: not a {} page (type {})", id_,
                    PageTypeName(want == PageKind::kLeaf ? kLeafPageFlag : kBranchPageFlag),
                    header_.type_name()));
  }
  LARDER_ASSIGN_OR_RETURN(std::uint64_t count, ItemCount());
  if (i >= count) {
    return Status::InvalidArgument(
        fmt::format("page {}: item {} out of range (the page has {} items)", id_, i, count));
  }
  return Status::Ok();
}

Result<LeafItem> RawPage::Leaf(std::uint64_t i) const {
  LARDER_RETURN_IF_ERROR(CheckItems(PageKind::kLeaf, i));
  LeafElement e;
  if (!PageView(bytes_.data(), bytes_.size()).Leaf(i, &e)) {
    return Status::Corruption(
        fmt::format("page {}: leaf element {} lies outside the page", id_, i));
  }
  return LeafItem{e.key, e.value, e.is_bucket()};
}

Result<BucketRef> RawPage::LeafBucket(std::uint64_t i) const {
  LARDER_ASSIGN_OR_RETURN(LeafItem e, Leaf(i));
  if (!e.is_bucket) {
    return Status::InvalidArgument(fmt::format("page {}: element {} is not a bucket", id_, i));
  }
  if (e.value.size() < kBucketHeaderSize) {
    return Status::Corruption(
        fmt::format("page {}: bucket value of element {} is too short", id_, i));
  }
  const BucketHeader h = DecodeBucketHeader(e.value);
  return BucketRef{h.root, h.sequence};
}

Result<BranchItem> RawPage::Branch(std::uint64_t i) const {
  LARDER_RETURN_IF_ERROR(CheckItems(PageKind::kBranch, i));
  BranchElement e;
  if (!PageView(bytes_.data(), bytes_.size()).Branch(i, &e)) {
    return Status::Corruption(
        fmt::format("page {}: branch element {} lies outside the page", id_, i));
  }
  return BranchItem{e.key, e.pgid};
}

Result<std::vector<Pgid>> RawPage::FreelistIds() const {
  if (header_.kind() != PageKind::kFreelist) {
    return Status::InvalidArgument(
        fmt::format("page {}: not a freelist page (type {})", id_, header_.type_name()));
  }
  std::uint64_t count = 0;
  std::size_t offset = 0;
  LARDER_RETURN_IF_ERROR(FreelistExtent(PageView(bytes_.data(), bytes_.size()),
                                        fmt::format("page {}", id_), &count, &offset));
  std::vector<Pgid> ids(count);
  for (std::uint64_t i = 0; i < count; ++i) ids[i] = LoadU64(bytes_.data() + offset + i * 8);
  return ids;
}

RawFile::~RawFile() = default;

Result<std::unique_ptr<RawFile>> RawFile::Open(const std::string& path,
                                               const RawFileOptions& options) {
  FileSystem* fs = options.fs != nullptr ? options.fs : DefaultFileSystem();
  LARDER_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  if (!exists) return Status::NotFound(path + ": no such file");
  auto raw = std::unique_ptr<RawFile>(new RawFile());
  LARDER_ASSIGN_OR_RETURN(raw->file_, fs->Open(path, {.read_only = !options.writable,
                                                      .access = AccessPattern::kRandom}));
  LARDER_RETURN_IF_ERROR(WaitForLock(*raw->file_,
                                     options.writable ? LockMode::kExclusive : LockMode::kShared,
                                     options.lock_timeout));
  LARDER_ASSIGN_OR_RETURN(raw->file_size_, raw->file_->Size());
  LARDER_ASSIGN_OR_RETURN(const MetaPages metas, ReadMetaPages(*raw->file_, raw->file_size_, path));
  raw->page_size_ = metas.page_size;
  for (int i = 0; i < 2; ++i) {
    raw->metas_[i] = metas.meta[i].Fields();
    raw->meta_status_[i] = metas.status[i];
  }
  return raw;
}

const std::string& RawFile::path() const { return file_->path(); }

int RawFile::active_meta() const {
  MetaPages m;
  for (int i = 0; i < 2; ++i) {
    m.meta[i] = Meta::FromFields(metas_[i]);
    m.status[i] = meta_status_[i];
  }
  return m.active();
}

Result<RawPage> RawFile::ReadPage(Pgid id, bool with_overflow) const {
  if (id >= page_count()) {
    return Status::InvalidArgument(
        fmt::format("page {}: past the end of the file ({} pages)", id, page_count()));
  }
  std::vector<std::uint8_t> buf(page_size_);
  LARDER_ASSIGN_OR_RETURN(std::size_t n, file_->ReadAt(id * page_size_, buf));
  if (n != buf.size()) return Status::Corruption(fmt::format("page {}: short read", id));
  const std::uint32_t overflow = ReadPageHeader(buf.data()).overflow;
  if (!with_overflow || overflow == 0) return RawPage(id, std::move(buf));
  if (std::uint64_t{overflow} >= page_count() - id) {
    return Status::Corruption(
        fmt::format("page {}: {} overflow pages run past the end of the file ({} pages)", id,
                    overflow, page_count()));
  }
  buf.resize(std::size_t{page_size_} * (std::size_t{overflow} + 1));
  LARDER_ASSIGN_OR_RETURN(n, file_->ReadAt(id * page_size_, buf));
  if (n != buf.size()) return Status::Corruption(fmt::format("page {}: short read", id));
  return RawPage(id, std::move(buf));
}

Result<std::set<Pgid>> RawFile::FreePages() const {
  const int active = active_meta();
  if (active < 0) return Status::Corruption("neither meta page is valid");
  const MetaFields& m = metas_[active];
  if (!m.has_freelist()) return std::set<Pgid>{};
  LARDER_ASSIGN_OR_RETURN(RawPage page, ReadPage(m.freelist, true));
  std::vector<Pgid> ids, dups;
  LARDER_RETURN_IF_ERROR(
      Freelist::ReadPage(PageView(page.bytes().data(), page.bytes().size()), m.pgid, &ids, &dups));
  return std::set<Pgid>(ids.begin(), ids.end());
}

Result<RawFile::PageList> RawFile::ListPages() const {
  LARDER_ASSIGN_OR_RETURN(const std::set<Pgid> free, FreePages());
  const Pgid hwm = metas_[active_meta()].pgid;  // FreePages checked there is one
  PageList list;
  for (Pgid id = 0; id < hwm; ++id) {
    if (free.count(id) != 0) {
      // A free page's header is stale: do not skip what it calls overflow.
      list.pages.push_back({id, true, {}});
      continue;
    }
    Result<RawPage> page = ReadPage(id, false);
    if (!page.ok()) {
      list.stopped = page.status();
      break;
    }
    list.pages.push_back({id, false, page->header()});
    id += page->header().overflow;
  }
  return list;
}

Pgid RawFile::end_of_pages() const {
  const int active = active_meta();
  return active >= 0 ? metas_[active].pgid : page_count();
}

Status RawFile::RevertMetaPage() {
  const int active = active_meta();
  if (active < 0) return Status::Corruption("neither meta page is valid");
  const int other = 1 - active;
  if (!meta_status_[other].ok()) {
    return Status::Corruption(fmt::format("cannot revert: the older meta page {} isn't valid: {}",
                                          other, meta_status_[other].message()));
  }
  // The older meta page over the newer one, keeping the page id of its place.
  LARDER_ASSIGN_OR_RETURN(RawPage page, ReadPage(other, false));
  std::vector<std::uint8_t> bytes(page.bytes().begin(), page.bytes().end());
  StoreU64(bytes.data(), static_cast<Pgid>(active));
  LARDER_RETURN_IF_ERROR(file_->WriteAt(std::uint64_t{page_size_} * active, bytes));
  metas_[active] = metas_[other];
  meta_status_[active] = meta_status_[other];
  return Status::Ok();
}

Result<std::array<Status, 2>> RawFile::AbandonFreelist() {
  std::array<Status, 2> checks;
  int changed = 0;
  for (int i = 0; i < 2; ++i) {
    Meta m = Meta::FromFields(metas_[i]);
    checks[i] = m.Validate(i);
    if (!checks[i].ok()) continue;
    m.freelist = kNoFreelist;
    // Only the meta struct is rewritten; the page header and the rest stay as they are.
    std::vector<std::uint8_t> page(kPageHeaderSize + kMetaSize, 0);
    m.EncodePage(page.data(), i);
    LARDER_RETURN_IF_ERROR(file_->WriteAt(std::uint64_t{page_size_} * i + kPageHeaderSize,
                                          std::span(page).subspan(kPageHeaderSize)));
    metas_[i] = Meta::Decode(page.data()).Fields();
    ++changed;
  }
  if (changed == 0) return Status::Corruption("neither meta page is valid");
  return checks;
}

Status RawFile::Sync() { return file_->Sync(); }

}  // namespace larder::bolt
