#include "raw_file.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "bolt/freelist.h"
#include "format.h"

namespace larder::cli {

using bolt::kMetaSize;
using bolt::kPageHeaderSize;
using bolt::Meta;
using bolt::Pgid;

namespace {

bool ValidPageSize(std::uint32_t p) {
  return p >= bolt::kMinPageSize && p <= bolt::kMaxPageSize && (p & (p - 1)) == 0;
}

Status LockWithTimeout(File& file, LockMode mode, const std::string& timeout) {
  const auto wait = ParseGoDuration(timeout);
  if (!wait) return Status::InvalidArgument(fmt::format("invalid timeout {:?}", timeout));
  const auto deadline = std::chrono::steady_clock::now() + *wait;
  while (true) {
    Status s = file.TryLock(mode);
    if (s.ok() || s.code() != Code::kBusy) return s;
    if (wait->count() != 0 && std::chrono::steady_clock::now() >= deadline) {
      return Status::Busy(fmt::format("{}: timed out waiting for the file lock", file.path()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

Result<std::unique_ptr<RawFile>> RawFile::Open(const std::string& path, const std::string& timeout,
                                               bool writable) {
  FileSystem* fs = DefaultFileSystem();
  LARDER_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  if (!exists) return Status::NotFound(path + ": no such file");
  auto raw = std::unique_ptr<RawFile>(new RawFile());
  OpenOptions oo;
  oo.read_only = !writable;
  LARDER_ASSIGN_OR_RETURN(raw->file_, fs->Open(path, oo));
  LARDER_RETURN_IF_ERROR(
      LockWithTimeout(*raw->file_, writable ? LockMode::kExclusive : LockMode::kShared, timeout));
  LARDER_ASSIGN_OR_RETURN(raw->file_size_, raw->file_->Size());
  if (raw->file_size_ < kPageHeaderSize + kMetaSize) {
    return Status::InvalidArgument(fmt::format(
        "{}: file size too small ({} bytes) for a bolt database", path, raw->file_size_));
  }
  std::vector<std::uint8_t> head(kPageHeaderSize + kMetaSize);
  auto read_meta_at = [&](std::uint64_t off, Meta* m) -> bool {
    auto n = raw->file_->ReadAt(off, head);
    if (!n.ok() || *n < head.size()) return false;
    *m = Meta::Decode(head.data());
    return true;
  };
  Meta m0;
  if (read_meta_at(0, &m0) && m0.Validate(0).ok() && ValidPageSize(m0.page_size)) {
    raw->page_size_ = m0.page_size;
  } else {
    // Meta 0 is damaged: probe for a valid meta 1 at each possible page size.
    for (std::uint32_t p = bolt::kMinPageSize; p <= bolt::kMaxPageSize && p < raw->file_size_;
         p <<= 1) {
      Meta m1;
      if (read_meta_at(p, &m1) && m1.Validate(1).ok() && m1.page_size == p) {
        raw->page_size_ = p;
        break;
      }
    }
    if (raw->page_size_ == 0) {
      return Status::Corruption(
          fmt::format("{}: not a bolt database: no valid meta page found", path));
    }
  }
  if (raw->file_size_ < 2 * std::uint64_t{raw->page_size_}) {
    return Status::Corruption(fmt::format("{}: file size {} is smaller than two pages of {}", path,
                                          raw->file_size_, raw->page_size_));
  }
  for (int i = 0; i < 2; ++i) {
    if (!read_meta_at(std::uint64_t{raw->page_size_} * i, &raw->metas_[i])) {
      raw->meta_status_[i] = Status::Corruption(fmt::format("meta page {}: unreadable", i));
    } else {
      raw->meta_status_[i] = raw->metas_[i].ValidateForOpen(i, raw->page_size_, raw->file_size_);
    }
  }
  return raw;
}

int RawFile::active_meta() const {
  const bool ok0 = meta_status_[0].ok(), ok1 = meta_status_[1].ok();
  if (ok0 && ok1) return metas_[1].txid > metas_[0].txid ? 1 : 0;
  if (ok0) return 0;
  if (ok1) return 1;
  return -1;
}

Result<std::vector<std::uint8_t>> RawFile::ReadPage(Pgid id, bool with_overflow) const {
  if (id >= page_count()) {
    return Status::InvalidArgument(
        fmt::format("page {}: past the end of the file ({} pages)", id, page_count()));
  }
  std::vector<std::uint8_t> buf(page_size_);
  LARDER_ASSIGN_OR_RETURN(std::size_t n, file_->ReadAt(id * page_size_, buf));
  if (n != buf.size()) return Status::Corruption(fmt::format("page {}: short read", id));
  if (!with_overflow) return buf;
  const std::uint32_t overflow = bolt::PageView(buf.data(), buf.size()).overflow();
  if (overflow == 0) return buf;
  if (std::uint64_t{overflow} >= page_count() - id) {
    return Status::Corruption(
        fmt::format("page {}: {} overflow pages run past the end of the file ({} pages)", id,
                    overflow, page_count()));
  }
  buf.resize(std::size_t{page_size_} * (std::size_t{overflow} + 1));
  LARDER_ASSIGN_OR_RETURN(n, file_->ReadAt(id * page_size_, buf));
  if (n != buf.size()) return Status::Corruption(fmt::format("page {}: short read", id));
  return buf;
}

Result<std::set<Pgid>> RawFile::FreePages() const {
  const int active = active_meta();
  if (active < 0) return Status::Corruption("neither meta page is valid");
  const Meta& m = metas_[active];
  if (m.freelist == bolt::kNoFreelist) return std::set<Pgid>{};
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint8_t> page, ReadPage(m.freelist, true));
  std::vector<Pgid> ids, dups;
  LARDER_RETURN_IF_ERROR(
      bolt::Freelist::ReadPage(bolt::PageView(page.data(), page.size()), m.pgid, &ids, &dups));
  return std::set<Pgid>(ids.begin(), ids.end());
}

Status RawFile::WritePageBytes(Pgid id, std::size_t offset_in_page,
                               const std::vector<std::uint8_t>& data) {
  return file_->WriteAt(id * page_size_ + offset_in_page, data);
}

}  // namespace larder::cli
