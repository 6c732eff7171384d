// Direct, bounds-checked reading of a bolt file's pages, without the engine: for the page-level
// commands (pages, page, page-item, dump) and surgery. Nothing here trusts the file's bytes.
#ifndef LARDER_TOOLS_LARDER_RAW_FILE_H_
#define LARDER_TOOLS_LARDER_RAW_FILE_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bolt/meta.h"
#include "bolt/page.h"
#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::cli {

class RawFile {
 public:
  // Opens `path` (read-only with a shared lock, or read-write with an exclusive lock), waiting
  // at most `timeout` (Go duration; 0 waits forever) for the lock, and finds the page size.
  static Result<std::unique_ptr<RawFile>> Open(const std::string& path, const std::string& timeout,
                                               bool writable = false);

  std::uint32_t page_size() const { return page_size_; }
  std::uint64_t file_size() const { return file_size_; }
  // Pages wholly inside the file.
  std::uint64_t page_count() const { return file_size_ / page_size_; }

  // The meta struct of page 0 or 1 (decoded as is) and whether it validates.
  const bolt::Meta& meta(int i) const { return metas_[i]; }
  const Status& meta_status(int i) const { return meta_status_[i]; }
  // The index of the active meta: the valid one with the higher txid; -1 when neither is valid.
  int active_meta() const;

  // Reads page `id` alone (one page of bytes) or with its overflow pages. Errors (never a crash)
  // when the page lies past the end of the file or its overflow runs past it.
  Result<std::vector<std::uint8_t>> ReadPage(bolt::Pgid id, bool with_overflow) const;

  // The free page ids recorded by the active meta's freelist page (empty when the meta says no
  // freelist). Errors when the freelist page is damaged or there is no valid meta.
  Result<std::set<bolt::Pgid>> FreePages() const;

  // Writes `data` at page `id`'s offset (writable opens only).
  Status WritePageBytes(bolt::Pgid id, std::size_t offset_in_page,
                        const std::vector<std::uint8_t>& data);
  Status Sync() { return file_->Sync(); }

 private:
  std::unique_ptr<File> file_;
  std::uint32_t page_size_ = 0;
  std::uint64_t file_size_ = 0;
  bolt::Meta metas_[2];
  Status meta_status_[2];
};

}  // namespace larder::cli

#endif  // LARDER_TOOLS_LARDER_RAW_FILE_H_
