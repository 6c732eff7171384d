// The meta page: pages 0 and 1 hold the two most recent commits' roots. Commit N writes page
// N % 2; open uses the valid meta with the higher txid.
#ifndef LARDER_BOLT_META_H_
#define LARDER_BOLT_META_H_

#include <cstdint>

#include "bolt/page.h"
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
  // Writes a whole meta page (header with id txid % 2, the struct with a fresh checksum) into
  // `page`, which must be zeroed and at least 80 bytes.
  void EncodePage(std::uint8_t* page) const;

  // bbolt's validate(): magic, then version, then checksum. Messages name `page_id`.
  Status Validate(Pgid page_id) const;
  // Validate() plus what a usable meta needs: the page size we read it with, root and freelist
  // below the high-water mark, and the file long enough for that mark.
  Status ValidateForOpen(Pgid page_id, std::uint32_t expected_page_size,
                         std::uint64_t file_size) const;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_META_H_
