// The bolt page layout (bbolt 1.3.x), and bounds-checked views over pages read from a file.
//
// Every page starts with a 16-byte header: id u64, flags u16, count u16, overflow u32. Branch
// and leaf pages then hold `count` 16-byte elements whose `pos` is measured from the element's
// own address; keys (and values) follow the element array. See docs/formats/bolt.md.
//
// Nothing here trusts the bytes: a PageView knows how many bytes it may read, and every element
// accessor checks that the element and its key/value lie inside them.
#ifndef LARDER_BOLT_PAGE_H_
#define LARDER_BOLT_PAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/coding.h"
#include "larder/bolt/page_info.h"
#include "larder/status.h"

namespace larder::bolt {

// On-disk constants. Part of the file format: never change them.
inline constexpr std::size_t kPageHeaderSize = 16;
inline constexpr std::size_t kElementSize = 16;  // branch and leaf elements alike
inline constexpr std::size_t kMetaSize = 64;
inline constexpr std::size_t kBucketHeaderSize = 16;
inline constexpr std::uint16_t kBranchPageFlag = 0x01;
inline constexpr std::uint16_t kLeafPageFlag = 0x02;
inline constexpr std::uint16_t kMetaPageFlag = 0x04;
inline constexpr std::uint16_t kFreelistPageFlag = 0x10;
inline constexpr std::uint32_t kBucketLeafFlag = 0x01;
inline constexpr Pgid kNoFreelist = ~Pgid{0};
inline constexpr std::uint32_t kMagic = 0xED0CDAED;
inline constexpr std::uint32_t kVersion = 2;
inline constexpr std::uint16_t kFreelistCountOverflow = 0xFFFF;

// Engine tunables (bbolt's values).
inline constexpr std::size_t kMinKeysPerPage = 2;
inline constexpr double kMinFillPercent = 0.1;
inline constexpr double kMaxFillPercent = 1.0;
inline constexpr std::uint32_t kMinPageSize = 1024;
inline constexpr std::uint32_t kMaxPageSize = 65536;
inline constexpr std::size_t kMaxTreeDepth = 64;  // deeper means a cycle or a damaged file

// A page size a file may have: a power of two in [kMinPageSize, kMaxPageSize].
inline bool ValidPageSize(std::uint32_t p) {
  return p >= kMinPageSize && p <= kMaxPageSize && (p & (p - 1)) == 0;
}
// InvalidArgument naming `page_size` unless ValidPageSize.
Status CheckPageSize(std::uint32_t page_size);

// The header at the start of `p` (at least kPageHeaderSize bytes).
inline PageHeader ReadPageHeader(const std::uint8_t* p) {
  return {LoadU64(p), LoadU16(p + 8), LoadU16(p + 10), LoadU32(p + 12)};
}

struct LeafElement {
  std::uint32_t flags;
  std::string_view key;
  std::string_view value;
  bool is_bucket() const { return (flags & kBucketLeafFlag) != 0; }
};

struct BranchElement {
  std::string_view key;
  Pgid pgid;
};

// A read-only view of one page run (the page and its overflow pages). Copyable, non-owning:
// valid while the bytes it points to are.
class PageView {
 public:
  PageView() = default;
  PageView(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return data_ == nullptr; }

  Pgid id() const { return LoadU64(data_); }
  std::uint16_t flags() const { return LoadU16(data_ + 8); }
  std::uint16_t count() const { return LoadU16(data_ + 10); }
  std::uint32_t overflow() const { return LoadU32(data_ + 12); }
  bool is_leaf() const { return flags() == kLeafPageFlag; }
  bool is_branch() const { return flags() == kBranchPageFlag; }

  // Checks what the header promises: the element array fits. REQUIRES: size() >= 16.
  // `what` names the page in messages ("page 12", "inline page of bucket \"x\"").
  Status CheckElements(std::string_view what) const;
  // The cheap test behind CheckElements, for hot paths: format a message only on failure.
  bool ElementsFit() const {
    return kPageHeaderSize + std::uint64_t{count()} * kElementSize <= size_;
  }

  // Element accessors; false when the element or its data lies outside the page.
  // REQUIRES: i < count() and CheckElements() passed.
  bool Leaf(std::size_t i, LeafElement* out) const {
    const std::uint8_t* e = data_ + kPageHeaderSize + i * kElementSize;
    std::uint64_t start = kPageHeaderSize + i * kElementSize + std::uint64_t{LoadU32(e + 4)};
    std::uint32_t ksize = LoadU32(e + 8), vsize = LoadU32(e + 12);
    if (start + ksize + vsize > size_) return false;
    out->flags = LoadU32(e);
    out->key = {reinterpret_cast<const char*>(data_ + start), ksize};
    out->value = {reinterpret_cast<const char*>(data_ + start + ksize), vsize};
    return true;
  }
  bool Branch(std::size_t i, BranchElement* out) const {
    const std::uint8_t* e = data_ + kPageHeaderSize + i * kElementSize;
    std::uint64_t start = kPageHeaderSize + i * kElementSize + std::uint64_t{LoadU32(e)};
    std::uint32_t ksize = LoadU32(e + 4);
    if (start + ksize > size_) return false;
    out->key = {reinterpret_cast<const char*>(data_ + start), ksize};
    out->pgid = LoadU64(e + 8);
    return true;
  }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Where a freelist page's ids lie: `*count` little-endian u64s from byte `*offset` (count
// 0xFFFF in the header means the real count is the first u64). Corruption, naming the page
// `what`, when they do not fit in the page.
Status FreelistExtent(const PageView& page, std::string_view what, std::uint64_t* count,
                      std::size_t* offset);

// Writes a page header into `p`.
inline void WritePageHeader(std::uint8_t* p, Pgid id, std::uint16_t flags, std::uint16_t count,
                            std::uint32_t overflow) {
  StoreU64(p, id);
  StoreU16(p + 8, flags);
  StoreU16(p + 10, count);
  StoreU32(p + 12, overflow);
}

// Unsigned bytewise order (memcmp; a prefix sorts first), as Go's bytes.Compare: -1, 0 or 1.
// Inline, 8 bytes at a time: a descent compares short keys a dozen times per lookup.
inline int CompareKeys(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  const auto* pa = reinterpret_cast<const std::uint8_t*>(a.data());
  const auto* pb = reinterpret_cast<const std::uint8_t*>(b.data());
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x = __builtin_bswap64(LoadU64(pa + i)), y = __builtin_bswap64(LoadU64(pb + i));
    if (x != y) return x < y ? -1 : 1;
  }
  for (; i < n; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// Bucket header stored at the start of a bucket's value: root pgid and sequence.
struct BucketHeader {
  Pgid root = 0;
  std::uint64_t sequence = 0;
};
inline BucketHeader DecodeBucketHeader(std::string_view v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
  return {LoadU64(p), LoadU64(p + 8)};
}
inline void EncodeBucketHeader(std::uint8_t* p, const BucketHeader& h) {
  StoreU64(p, h.root);
  StoreU64(p + 8, h.sequence);
}

// Hex of a key for messages, shortened past 32 bytes.
std::string KeyForMessage(std::string_view key);

}  // namespace larder::bolt

#endif  // LARDER_BOLT_PAGE_H_
