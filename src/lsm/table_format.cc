// Block handles, footer, properties, compression and block reads (table_format.h).
#include "lsm/table_format.h"

#include <lz4.h>
#include <zstd.h>

#include <fmt/format.h>

#include <memory>
#include <span>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::lsm {
namespace {

// The largest inflation each codec can produce per compressed byte: an LZ4 sequence of n
// bytes yields at most about 255n; a zstd RLE block of 4 bytes yields at most 128 KiB.
constexpr std::uint64_t kLz4MaxRatio = 256;
constexpr std::uint64_t kZstdMaxRatio = 32768;
constexpr int kZstdLevel = 1;
// Properties: tags from 64 carry bytes; 64 is pointer_bytes_by_vlog.
constexpr std::uint32_t kFirstBytesTag = 64;
constexpr std::uint32_t kPointerBytesTag = 64;

struct ZstdCCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

}  // namespace

void PutBlockHandle(std::string* dst, BlockHandle h) {
  PutVarint64(dst, h.offset);
  PutVarint64(dst, h.size);
}

bool GetBlockHandle(std::string_view* in, BlockHandle* h) {
  return GetVarint64(in, &h->offset) && GetVarint64(in, &h->size);
}

void Footer::EncodeTo(std::string* dst) const {
  const std::size_t start = dst->size();
  for (const BlockHandle& h : {index, filter, properties, range_deletions}) {
    PutFixed64(dst, h.offset);
    PutFixed64(dst, h.size);
  }
  PutFixed32(dst, version);
  const std::uint32_t crc = crc32c::Value(AsBytes(std::string_view(*dst).substr(start)));
  PutFixed32(dst, crc32c::Mask(crc));
  PutFixed64(dst, kTableMagic);
}

Result<Footer> Footer::Decode(std::string_view in, std::string_view file) {
  if (in.size() != kSize) {
    return Status::Corruption(fmt::format("{}: footer of {} bytes", file, in.size()));
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  if (LoadU64(p + kSize - 8) != kTableMagic) {
    return Status::Corruption(fmt::format("{}: not a sorted table (bad magic number)", file));
  }
  const std::uint32_t crc = crc32c::Value({p, 68});
  if (crc32c::Unmask(LoadU32(p + 68)) != crc) {
    return Status::Corruption(fmt::format("{}: footer checksum mismatch", file));
  }
  Footer f;
  BlockHandle* handles[] = {&f.index, &f.filter, &f.properties, &f.range_deletions};
  for (int i = 0; i < 4; ++i) {
    handles[i]->offset = LoadU64(p + 16 * i);
    handles[i]->size = LoadU64(p + 16 * i + 8);
  }
  f.version = LoadU32(p + 64);
  if (f.version != kTableFormatVersion) {
    return Status::NotSupported(fmt::format("{}: table format version {} (this build reads {})",
                                            file, f.version, kTableFormatVersion));
  }
  return f;
}

void TableProperties::EncodeTo(std::string* dst) const {
  const std::uint64_t values[] = {
      num_entries,        num_deletions,   num_range_deletions, raw_key_bytes, raw_value_bytes,
      data_bytes,         index_bytes,     filter_bytes,        smallest_seq,  largest_seq,
      num_pointer_values, num_data_blocks, compression};
  std::uint32_t tag = 1;
  for (const std::uint64_t v : values) {
    PutVarint32(dst, tag++);
    PutVarint64(dst, v);
  }
  if (!pointer_bytes_by_vlog.empty()) {
    std::string pairs;
    for (const auto& [file, bytes] : pointer_bytes_by_vlog) {
      PutVarint64(&pairs, file);
      PutVarint64(&pairs, bytes);
    }
    PutVarint32(dst, kPointerBytesTag);
    PutLengthPrefixed(dst, pairs);
  }
}

Status TableProperties::DecodeFrom(std::string_view in) {
  std::uint64_t* fields[] = {
      &num_entries,        &num_deletions,   &num_range_deletions, &raw_key_bytes, &raw_value_bytes,
      &data_bytes,         &index_bytes,     &filter_bytes,        &smallest_seq,  &largest_seq,
      &num_pointer_values, &num_data_blocks, &compression};
  *this = TableProperties();
  while (!in.empty()) {
    std::uint32_t tag = 0;
    if (!GetVarint32(&in, &tag)) return Status::Corruption("bad properties tag");
    if (tag >= kFirstBytesTag) {
      std::string_view bytes;
      if (!GetLengthPrefixed(&in, &bytes)) return Status::Corruption("bad properties field");
      if (tag != kPointerBytesTag) continue;  // a newer field
      while (!bytes.empty()) {
        std::uint64_t file = 0, n = 0;
        if (!GetVarint64(&bytes, &file) || !GetVarint64(&bytes, &n) ||
            (!pointer_bytes_by_vlog.empty() && file <= pointer_bytes_by_vlog.back().first)) {
          return Status::Corruption("bad value-log pointer bytes");
        }
        pointer_bytes_by_vlog.emplace_back(file, n);
      }
      continue;
    }
    std::uint64_t v = 0;
    if (!GetVarint64(&in, &v)) return Status::Corruption("bad properties entry");
    if (tag >= 1 && tag <= std::size(fields)) *fields[tag - 1] = v;  // else: a newer field
  }
  return Status::Ok();
}

bool CompressBlock(Compression type, std::string_view raw, std::string* out) {
  out->clear();
  PutVarint64(out, raw.size());
  const std::size_t header = out->size();
  std::size_t produced = 0;
  switch (type) {
    case Compression::kNone:
      return false;
    case Compression::kLz4: {
      if (raw.size() > LZ4_MAX_INPUT_SIZE) return false;
      const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
      out->resize(header + static_cast<std::size_t>(bound));
      const int n = LZ4_compress_default(raw.data(), out->data() + header,
                                         static_cast<int>(raw.size()), bound);
      if (n <= 0) return false;
      produced = static_cast<std::size_t>(n);
      break;
    }
    case Compression::kZstd: {
      thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxFree> cctx(ZSTD_createCCtx());
      if (!cctx) return false;
      const std::size_t bound = ZSTD_compressBound(raw.size());
      out->resize(header + bound);
      const std::size_t n = ZSTD_compressCCtx(cctx.get(), out->data() + header, bound, raw.data(),
                                              raw.size(), kZstdLevel);
      if (ZSTD_isError(n)) return false;
      produced = n;
      break;
    }
  }
  out->resize(header + produced);
  return out->size() < raw.size() - raw.size() / 8;
}

Status UncompressBlock(std::uint8_t type, std::string_view payload, std::string* out) {
  if (type == static_cast<std::uint8_t>(Compression::kNone)) {
    out->assign(payload);
    return Status::Ok();
  }
  std::uint64_t raw_size = 0;
  if (!GetVarint64(&payload, &raw_size)) return Status::Corruption("bad uncompressed size");
  if (type == static_cast<std::uint8_t>(Compression::kLz4)) {
    if (raw_size > kLz4MaxRatio * payload.size() + 64 || raw_size > LZ4_MAX_INPUT_SIZE ||
        payload.size() > LZ4_MAX_INPUT_SIZE) {
      return Status::Corruption("implausible lz4 uncompressed size");
    }
    out->resize(raw_size);
    const int n = LZ4_decompress_safe(payload.data(), out->data(), static_cast<int>(payload.size()),
                                      static_cast<int>(raw_size));
    if (n < 0 || static_cast<std::uint64_t>(n) != raw_size) {
      return Status::Corruption("lz4 data does not decompress");
    }
    return Status::Ok();
  }
  if (type == static_cast<std::uint8_t>(Compression::kZstd)) {
    if (raw_size > kZstdMaxRatio * payload.size() + 64 || raw_size > kMaxBlockSize) {
      return Status::Corruption("implausible zstd uncompressed size");
    }
    thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> dctx(ZSTD_createDCtx());
    if (!dctx) return Status::IOError("zstd: out of memory");
    out->resize(raw_size);
    const std::size_t n =
        ZSTD_decompressDCtx(dctx.get(), out->data(), raw_size, payload.data(), payload.size());
    if (ZSTD_isError(n) || n != raw_size) {
      return Status::Corruption("zstd data does not decompress");
    }
    return Status::Ok();
  }
  return Status::Corruption(fmt::format("unknown compression type {}", type));
}

namespace {

// "<file>: <what> block at offset <n>: <problem>", the form of every block error.
Status BlockError(std::string_view file, std::string_view what, BlockHandle h,
                  std::string_view problem) {
  return Status::Corruption(
      fmt::format("{}: {} block at offset {}: {}", file, what, h.offset, problem));
}

// Corruption when `h` is too big to be a block (checked before anything is allocated for it).
Status CheckBlockSize(std::string_view file, std::string_view what, BlockHandle h) {
  if (h.size <= kMaxBlockSize) return Status::Ok();
  return BlockError(file, what, h, fmt::format("implausible size {}", h.size));
}

}  // namespace

Result<std::string_view> UnwrapBlock(std::span<const std::uint8_t> raw, BlockHandle h, bool verify,
                                     std::string_view file, std::string_view what,
                                     std::string* inflated) {
  auto fail = [&](std::string_view problem) { return BlockError(file, what, h, problem); };
  LARDER_RETURN_IF_ERROR(CheckBlockSize(file, what, h));
  const std::size_t payload_size = static_cast<std::size_t>(h.size);
  if (raw.size() != payload_size + kBlockTrailerSize) return fail("truncated");
  const std::uint8_t* p = raw.data();
  const std::uint8_t type = p[payload_size];
  if (verify) {
    const std::uint32_t expected = crc32c::Unmask(LoadU32(p + payload_size + 1));
    if (crc32c::Value({p, payload_size + 1}) != expected) return fail("checksum mismatch");
  }
  const std::string_view payload(reinterpret_cast<const char*>(p), payload_size);
  if (type == static_cast<std::uint8_t>(Compression::kNone)) return payload;
  Status s = UncompressBlock(type, payload, inflated);
  if (!s.ok()) return fail(s.message());
  return std::string_view(*inflated);
}

Result<std::string> ReadBlockContents(File& file, BlockHandle h, bool verify,
                                      std::string_view what) {
  LARDER_RETURN_IF_ERROR(CheckBlockSize(file.path(), what, h));
  const std::size_t n = static_cast<std::size_t>(h.size) + kBlockTrailerSize;
  std::string buf(n, '\0');
  auto got = file.ReadAt(h.offset, {reinterpret_cast<std::uint8_t*>(buf.data()), n});
  if (!got.ok()) return got.status().WithContext(file.path());
  std::string inflated;
  LARDER_ASSIGN_OR_RETURN(std::string_view block,
                          UnwrapBlock({reinterpret_cast<const std::uint8_t*>(buf.data()), *got}, h,
                                      verify, file.path(), what, &inflated));
  if (block.data() != buf.data()) return inflated;
  buf.resize(block.size());
  return buf;
}

}  // namespace larder::lsm
