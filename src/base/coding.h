// Integer encodings for on-disk structures: fixed-width little-endian, big-endian for sortable
// keys, varints and length-prefixed strings.
//
// bbolt's format stores integers in the host's byte order, which is little-endian on every
// platform we build for; these helpers read through memcpy, so unaligned fields (inline bucket
// pages sit at any offset) are safe and cost nothing on x86-64 and arm64.
//
// Varints are LEB128 as in LevelDB and protobuf: 7 bits a byte, least significant group first,
// the high bit set on every byte but the last. At most 5 bytes for 32-bit values, 10 for 64-bit.
// Decoding is strict, so that every value has exactly one encoding and damage is noticed: the
// Get* functions return false, and leave their input untouched, on truncated input (the last
// byte still has its continuation bit), on a value that overflows the type, and on a non-minimal
// encoding (a final 0x00 byte after a continuation, e.g. 0x80 0x00 for 0).
//
// Every Get* function consumes what it decodes from the front of `*in` on success. Returned
// string_views point into the input and live as long as it does.
//
// Thread-safety: pure functions.
#ifndef LARDER_BASE_CODING_H_
#define LARDER_BASE_CODING_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace larder {

static_assert(std::endian::native == std::endian::little,
              "LarderDB's file formats are little-endian; big-endian hosts are not supported");

// The bytes of `s`, as the FileSystem's writes and the checksums take them. The span points
// into `s` and lives as long as its storage.
inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::uint16_t LoadU16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint32_t LoadU32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint64_t LoadU64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void StoreU16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, sizeof v); }
inline void StoreU32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, sizeof v); }
inline void StoreU64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, sizeof v); }

// Big-endian, for keys that must sort numerically (bench keys, sequences used as keys).
inline void StoreBigEndianU32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void StoreBigEndianU64(std::uint8_t* p, std::uint64_t v) {
  StoreBigEndianU32(p, static_cast<std::uint32_t>(v >> 32));
  StoreBigEndianU32(p + 4, static_cast<std::uint32_t>(v));
}
inline std::uint64_t LoadBigEndianU64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// A key's first 8 bytes as a big-endian integer, zero-padded. When two keys' heads differ they
// order the keys bytewise (equal heads say nothing: the keys may still differ, or one may be the
// other plus zero bytes), so a search over a dense array of heads settles most compares without
// touching the keys. The LSM memtable and table index, and bolt's node search array, use it.
inline std::uint64_t KeyHead(std::string_view key) {
  std::uint64_t v = 0;
  if (!key.empty()) std::memcpy(&v, key.data(), key.size() < 8 ? key.size() : 8);
  return __builtin_bswap64(v);
}

// How many leading bytes `a` and `b` share: the prefix a block shares with the key before it, a
// separator's cut, the bytes a node's search array leaves out.
inline std::size_t CommonPrefixLength(std::string_view a, std::string_view b) {
  const std::size_t limit = a.size() < b.size() ? a.size() : b.size();
  std::size_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// Fixed-width little-endian appends and consuming reads.
inline void PutFixed32(std::string* dst, std::uint32_t v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  dst->append(buf, sizeof buf);
}
inline void PutFixed64(std::string* dst, std::uint64_t v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  dst->append(buf, sizeof buf);
}
// False (and `*in` untouched) when fewer than 4 / 8 bytes remain.
inline bool GetFixed32(std::string_view* in, std::uint32_t* v) {
  if (in->size() < sizeof *v) return false;
  std::memcpy(v, in->data(), sizeof *v);
  in->remove_prefix(sizeof *v);
  return true;
}
inline bool GetFixed64(std::string_view* in, std::uint64_t* v) {
  if (in->size() < sizeof *v) return false;
  std::memcpy(v, in->data(), sizeof *v);
  in->remove_prefix(sizeof *v);
  return true;
}

inline constexpr std::size_t kMaxVarint32Length = 5;
inline constexpr std::size_t kMaxVarint64Length = 10;

// Bytes the varint encoding of `v` takes: 1 to 10.
inline constexpr std::size_t VarintLength(std::uint64_t v) {
  // 1 + floor(bits / 7), with bits the position of the highest set bit (v | 1 makes 0 one byte).
  return static_cast<std::size_t>((std::bit_width(v | 1) + 6) / 7);
}

// Writes the varint of `v` at `dst`, which must have room for VarintLength(v) bytes; returns
// the byte after the last one written.
inline std::uint8_t* EncodeVarint64(std::uint8_t* dst, std::uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<std::uint8_t>(v);
  return dst;
}
inline std::uint8_t* EncodeVarint32(std::uint8_t* dst, std::uint32_t v) {
  return EncodeVarint64(dst, v);
}

inline void PutVarint64(std::string* dst, std::uint64_t v) {
  std::uint8_t buf[kMaxVarint64Length];
  const std::uint8_t* end = EncodeVarint64(buf, v);
  dst->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(end - buf));
}
inline void PutVarint32(std::string* dst, std::uint32_t v) { PutVarint64(dst, v); }

// Decodes one varint from [p, limit) into `*v`, accepting at most `max_bits` bits of value
// (32 or 64). Returns the byte after it, or nullptr when the input is truncated, overflows or is
// not minimal (see the file comment).
const std::uint8_t* DecodeVarint(const std::uint8_t* p, const std::uint8_t* limit, int max_bits,
                                 std::uint64_t* v);

inline bool GetVarint64(std::string_view* in, std::uint64_t* v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(in->data());
  const std::uint8_t* limit = p + in->size();
  if (p < limit && *p < 0x80) {  // one byte: the common case, inline
    *v = *p;
    in->remove_prefix(1);
    return true;
  }
  const std::uint8_t* end = DecodeVarint(p, limit, 64, v);
  if (end == nullptr) return false;
  in->remove_prefix(static_cast<std::size_t>(end - p));
  return true;
}
inline bool GetVarint32(std::string_view* in, std::uint32_t* v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(in->data());
  const std::uint8_t* limit = p + in->size();
  std::uint64_t wide = 0;
  const std::uint8_t* end = DecodeVarint(p, limit, 32, &wide);
  if (end == nullptr) return false;
  *v = static_cast<std::uint32_t>(wide);
  in->remove_prefix(static_cast<std::size_t>(end - p));
  return true;
}

// A varint length followed by that many bytes.
inline void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint64(dst, value.size());
  dst->append(value);
}
// False (and `*in` untouched) when the length is malformed or exceeds what remains.
inline bool GetLengthPrefixed(std::string_view* in, std::string_view* value) {
  std::string_view rest = *in;
  std::uint64_t n = 0;
  if (!GetVarint64(&rest, &n) || n > rest.size()) return false;
  *value = rest.substr(0, static_cast<std::size_t>(n));
  rest.remove_prefix(static_cast<std::size_t>(n));
  *in = rest;
  return true;
}

}  // namespace larder

#endif  // LARDER_BASE_CODING_H_
