// Plain decoded forms of a bolt file's pages, for callers that inspect files without knowing
// the on-disk layout (RawFile in larder/bolt/raw_file.h returns them). The layout itself is
// the engine's (src/bolt/page.h, meta.h; docs/formats/bolt.md).
#ifndef LARDER_BOLT_PAGE_INFO_H_
#define LARDER_BOLT_PAGE_INFO_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace larder::bolt {

using Pgid = std::uint64_t;  // a page id: the page's offset in the file over the page size
using Txid = std::uint64_t;  // a transaction id: meta page txid % 2 holds commit txid

// bbolt's name of a page type: "branch", "leaf", "meta", "freelist" or "unknown<xx>".
std::string PageTypeName(std::uint16_t flags);

enum class PageKind { kBranch, kLeaf, kMeta, kFreelist, kUnknown };

// A page header as stored.
struct PageHeader {
  Pgid id = 0;
  std::uint16_t flags = 0;
  std::uint16_t count = 0;
  std::uint32_t overflow = 0;  // pages following this one that belong to it

  PageKind kind() const;
  std::string type_name() const { return PageTypeName(flags); }
};

// One entry of a file's page list (bbolt's `pages`).
struct PageListEntry {
  Pgid id = 0;
  bool free = false;  // listed by the freelist; its header is stale and not decoded
  PageHeader header;  // when !free
};

// A meta page's fields as stored (whether they validate is RawFile::meta_status's business).
struct MetaFields {
  std::uint32_t magic = 0;
  std::uint32_t version = 0;
  std::uint32_t page_size = 0;
  std::uint32_t flags = 0;
  Pgid root = 0;               // the root bucket's page
  std::uint64_t sequence = 0;  // the root bucket's sequence
  Pgid freelist = 0;           // the freelist page, or ~0 when the file has none
  Pgid pgid = 0;               // high-water mark: pages [0, pgid) are in use or free
  Txid txid = 0;
  std::uint64_t checksum = 0;

  bool has_freelist() const { return freelist != ~Pgid{0}; }
};

// A leaf element. The views point into the RawPage it came from.
struct LeafItem {
  std::string_view key;
  std::string_view value;
  bool is_bucket = false;  // the value is a sub-bucket (RawPage::LeafBucket decodes it)
};

// A sub-bucket's header, the start of its leaf value.
struct BucketRef {
  Pgid root = 0;  // the bucket's root page; 0 for an inline bucket (its page follows)
  std::uint64_t sequence = 0;
};

// A branch element. The key points into the RawPage it came from.
struct BranchItem {
  std::string_view key;
  Pgid child = 0;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_PAGE_INFO_H_
