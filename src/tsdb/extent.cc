#include "tsdb/extent.h"

#include <lz4.h>
#include <zstd.h>

#include <fmt/format.h>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::tsdb {
namespace {

constexpr std::uint32_t kMagic = 0x31455354;  // "TSE1"
constexpr int kZstdLevel = 3;

}  // namespace

std::string EncodeExtent(std::string_view raw, std::uint16_t pages, ExtentCompression compression) {
  std::string stored;
  if (compression == ExtentCompression::kZstd) {
    stored.resize(ZSTD_compressBound(raw.size()));
    const std::size_t n =
        ZSTD_compress(stored.data(), stored.size(), raw.data(), raw.size(), kZstdLevel);
    stored.resize(ZSTD_isError(n) ? 0 : n);
  } else if (compression == ExtentCompression::kLz4) {
    stored.resize(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(raw.size()))));
    const int n = LZ4_compress_default(raw.data(), stored.data(), static_cast<int>(raw.size()),
                                       static_cast<int>(stored.size()));
    stored.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  if (stored.empty() || stored.size() >= raw.size()) {
    compression = ExtentCompression::kNone;
    stored.assign(raw);
  }
  std::string out(kExtentHeaderSize, '\0');
  auto* h = reinterpret_cast<std::uint8_t*>(out.data());
  StoreU32(h, kMagic);
  h[4] = static_cast<std::uint8_t>(compression);
  StoreU16(h + 6, pages);
  StoreU32(h + 8, static_cast<std::uint32_t>(raw.size()));
  StoreU32(h + 12, static_cast<std::uint32_t>(stored.size()));
  out += stored;
  PutFixed32(&out, crc32c::MaskedValue(out));
  return out;
}

Status DecodeExtent(std::string_view extent, std::string_view file, std::uint64_t offset,
                    std::string* raw) {
  auto bad = [&](std::string_view what) {
    return Status::Corruption(fmt::format("{}: extent at offset {}: {}", file, offset, what));
  };
  if (extent.size() < kExtentHeaderSize + kExtentTrailerSize) return bad("truncated header");
  const auto* h = reinterpret_cast<const std::uint8_t*>(extent.data());
  if (LoadU32(h) != kMagic) return bad("bad magic");
  const std::uint32_t raw_len = LoadU32(h + 8);
  const std::uint32_t stored_len = LoadU32(h + 12);
  if (raw_len > kMaxExtentRaw) return bad("raw length too large");
  if (extent.size() != kExtentHeaderSize + std::size_t{stored_len} + kExtentTrailerSize) {
    return bad("length disagrees with its header");
  }
  const std::size_t body = kExtentHeaderSize + stored_len;
  if (LoadU32(h + body) != crc32c::MaskedValue(extent.substr(0, body))) {
    return bad("checksum mismatch");
  }
  const std::string_view stored = extent.substr(kExtentHeaderSize, stored_len);
  raw->assign(raw_len, '\0');
  switch (static_cast<ExtentCompression>(h[4])) {
    case ExtentCompression::kNone:
      if (stored_len != raw_len) return bad("stored length differs from raw length");
      raw->assign(stored);
      return Status::Ok();
    case ExtentCompression::kZstd: {
      const std::size_t n = ZSTD_decompress(raw->data(), raw->size(), stored.data(), stored.size());
      if (ZSTD_isError(n) || n != raw_len) return bad("zstd payload does not decompress");
      return Status::Ok();
    }
    case ExtentCompression::kLz4: {
      const int n = LZ4_decompress_safe(stored.data(), raw->data(), static_cast<int>(stored.size()),
                                        static_cast<int>(raw->size()));
      if (n < 0 || static_cast<std::uint32_t>(n) != raw_len) {
        return bad("lz4 payload does not decompress");
      }
      return Status::Ok();
    }
  }
  return bad("unknown compression");
}

}  // namespace larder::tsdb
