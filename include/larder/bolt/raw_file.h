// Page-level access to a bolt file without opening it as a database: for inspection tools (the
// CLI's pages, page, page-item and dump), surgery and fuzzing.
//
// RawFile reads pages by id through a FileSystem and decodes them into plain structs, so that a
// caller can print them without knowing the on-disk layout (docs/formats/bolt.md). Nothing here
// trusts the file's bytes: a page past the end of the file, overflow running past it, an element
// array that does not fit its page or an element whose key or value lies outside the page gives
// an error Status, never a crash.
//
// Thread-safety: a RawFile and a RawPage are safe for concurrent const use (reads only); the
// writing members (surgery) need external synchronization.
#ifndef LARDER_BOLT_RAW_FILE_H_
#define LARDER_BOLT_RAW_FILE_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/bolt/page_info.h"
#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::bolt {

// One page run read from a file: the page and, when asked for, its overflow pages. Owns its
// bytes; the views in the items it returns live as long as it does. Error messages name the
// page by the id it was read as.
class RawPage {
 public:
  RawPage(Pgid id, std::vector<std::uint8_t> bytes);

  Pgid id() const { return id_; }
  const PageHeader& header() const { return header_; }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

  // The meta struct that follows the header (meaningful on meta pages).
  MetaFields Meta() const;
  // Branch and leaf pages: the element count, when the element array fits the page read.
  // Freelist pages: the number of ids listed, when they fit. Corruption otherwise; 0 for other
  // page types.
  Result<std::uint64_t> ItemCount() const;
  // Element `i` of a leaf page. InvalidArgument when the page is not a leaf or `i` is out of
  // range; Corruption when the elements or this element's key/value lie outside the page.
  Result<LeafItem> Leaf(std::uint64_t i) const;
  // The sub-bucket header in the value of leaf element `i`: Leaf's errors, InvalidArgument
  // when the element is not a bucket, Corruption when its value is too short for the header.
  Result<BucketRef> LeafBucket(std::uint64_t i) const;
  // Element `i` of a branch page; errors as Leaf's.
  Result<BranchItem> Branch(std::uint64_t i) const;
  // The ids a freelist page lists, in stored order, unchecked (for printing).
  Result<std::vector<Pgid>> FreelistIds() const;

 private:
  Status CheckItems(PageKind want, std::uint64_t i) const;

  Pgid id_;
  std::vector<std::uint8_t> bytes_;
  PageHeader header_;
};

struct RawFileOptions {
  // Open read-write with an exclusive lock (surgery) instead of read-only with a shared lock.
  bool writable = false;
  // How long to wait for the file lock; zero waits forever. Expiry gives Busy.
  std::chrono::nanoseconds lock_timeout{0};
  // nullptr: the operating system's. Not owned; must outlive the RawFile.
  FileSystem* fs = nullptr;
};

class RawFile {
 public:
  // Opens `path`, takes the lock, and reads both meta pages (the engine's meta discovery: the
  // page size is meta 0's, or the size at which a valid meta 1 is found when meta 0 is
  // damaged). Errors: NotFound, Busy (lock timeout), InvalidArgument (too small, not a bolt
  // file), Corruption (no usable page size), the I/O error itself. A file whose metas are both
  // invalid but whose page size is known opens: see meta_status().
  static Result<std::unique_ptr<RawFile>> Open(const std::string& path,
                                               const RawFileOptions& options = {});
  ~RawFile();
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  const std::string& path() const;
  std::uint32_t page_size() const { return page_size_; }
  std::uint64_t file_size() const { return file_size_; }
  // Pages wholly inside the file.
  std::uint64_t page_count() const { return file_size_ / page_size_; }

  // Meta page 0 or 1 as stored, and whether it is usable (valid, and its pages inside the file).
  const MetaFields& meta(int i) const { return metas_[i]; }
  const Status& meta_status(int i) const { return meta_status_[i]; }
  // The meta a database open would use: the usable one with the higher txid (0 on a tie);
  // -1 when neither is usable.
  int active_meta() const;

  // Reads page `id` alone (one page of bytes) or with its overflow pages. InvalidArgument when
  // the page lies past the end of the file, Corruption when its overflow runs past it.
  Result<RawPage> ReadPage(Pgid id, bool with_overflow) const;
  // The page ids the active meta's freelist page records (empty when the file has none).
  // Corruption when there is no usable meta or the freelist page is damaged.
  Result<std::set<Pgid>> FreePages() const;
  // The pages below the active meta's high-water mark in id order: a free page as free, a page
  // in use with its header (its overflow pages are not listed). FreePages' errors; a page that
  // cannot be read ends the list early, with the reason in `stopped`.
  struct PageList {
    std::vector<PageListEntry> pages;
    Status stopped;  // OK when the list is complete
  };
  Result<PageList> ListPages() const;
  // Where a walk over every page ends: the active meta's high-water mark, or page_count()
  // when no meta is usable.
  Pgid end_of_pages() const;

  // Surgery (writable opens only; nothing is synced until Sync()).
  // Copies the older meta page over the active one. Corruption when either is not usable.
  Status RevertMetaPage();
  // Marks "no freelist" in each meta page that passes the magic/version/checksum check and
  // rewrites its checksum; a meta that fails it is left as is (re-checksumming a damaged meta
  // would make it look valid). Returns each meta's check (OK: changed). Corruption when
  // neither was changed.
  Result<std::array<Status, 2>> AbandonFreelist();
  Status Sync();

 private:
  RawFile() = default;

  std::unique_ptr<File> file_;
  std::uint32_t page_size_ = 0;
  std::uint64_t file_size_ = 0;
  MetaFields metas_[2];
  Status meta_status_[2];
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_RAW_FILE_H_
