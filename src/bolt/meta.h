// The meta page: pages 0 and 1 hold the two most recent commits' roots. Commit N writes page
// N % 2; open uses the valid meta with the higher txid.
#ifndef LARDER_BOLT_META_H_
#define LARDER_BOLT_META_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bolt/page.h"
#include "larder/bolt/page_info.h"
#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::bolt {

struct Meta {
  std::uint32_t magic = kMagic;
  std::uint32_t version = kVersion;
  std::uint32_t page_size = 0;
  std::uint32_t flags = 0;
  BucketHeader root;
  Pgid freelist = 0;
  Pgid pgid = 0;  // high-water mark: pages [0, pgid) are in use or free
  Txid txid = 0;
  std::uint64_t checksum = 0;

  // FNV-1a over the 56 bytes before the checksum field.
  std::uint64_t Sum() const;

  // Decodes the meta struct at page offset 16 of `page` (which must have >= 80 bytes).
  static Meta Decode(const std::uint8_t* page);
  // Writes a whole meta page (header with id `page_id`, the struct with a fresh checksum) into
  // `page`, which must be zeroed and at least 80 bytes. A commit writes page txid % 2.
  void EncodePage(std::uint8_t* page, Pgid page_id) const;
  void EncodePage(std::uint8_t* page) const { EncodePage(page, txid % 2); }

  // bbolt's validate(): magic, then version, then checksum. Messages name `page_id`.
  Status Validate(Pgid page_id) const;
  // Validate() plus what a usable meta needs: the page size we read it with, root and freelist
  // below the high-water mark, and the file long enough for that mark.
  Status ValidateForOpen(Pgid page_id, std::uint32_t expected_page_size,
                         std::uint64_t file_size) const;

  // The plain public form (larder/bolt/page_info.h) and back.
  MetaFields Fields() const;
  static Meta FromFields(const MetaFields& f);
};

// Both meta pages of a file, as read at one moment.
struct MetaPages {
  std::uint32_t page_size = 0;
  Meta meta[2];
  Status status[2];  // ValidateForOpen of each

  // The usable meta with the higher txid (meta 0 on a tie): the one an open uses and the next
  // commit does not overwrite. -1 when neither is usable.
  int active() const;
  // The active meta, or Corruption naming `path` when neither is usable.
  Result<Meta> Active(const std::string& path) const;
};

// Meta discovery, the one implementation that DB::Open, RawFile and the hot backup use: reads
// both meta pages of `file` (`file_size` bytes, named `path` in messages) and validates them.
// The page size is meta 0's when meta 0 validates with a valid page size; otherwise the first
// size at which meta 1 validates and names that size. A read error is returned as such: a page
// that cannot be read is not a damaged page. Errors: InvalidArgument when the file is too small
// or is not a bolt file; meta 0's own error (Corruption, NotSupported) when no page size is
// found; Corruption when the file is shorter than two pages. Once the page size is known, a
// damaged meta shows in `status`, not as an error.
Result<MetaPages> ReadMetaPages(File& file, std::uint64_t file_size, const std::string& path);

// The first two pages of a copy of the snapshot `meta` (2 * meta.page_size bytes): `meta` as
// page 0, and the same with txid - 1 as page 1, so that both validate and the copy opens at
// meta.txid. The one meta writing rule of copies: Tx::WriteTo and BackupFile use it.
std::vector<std::uint8_t> EncodeCopyMetaPages(const Meta& meta);

}  // namespace larder::bolt

#endif  // LARDER_BOLT_META_H_
