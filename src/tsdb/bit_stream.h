// Bit-granular writer and reader for the page encodings (page_codec.h): bits are packed most
// significant first into bytes, so a stream of n bits takes ceil(n / 8) bytes.
//
// Thread-safety: one thread per object. BitReader reads a view it does not own; the bytes must
// outlive it.
#ifndef LARDER_TSDB_BIT_STREAM_H_
#define LARDER_TSDB_BIT_STREAM_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace larder::tsdb {

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  // Appends the low `bits` bits of `v` (0 <= bits <= 64), most significant first.
  void Write(std::uint64_t v, int bits) {
    if (bits == 0) return;
    if (bits < 64) v &= (std::uint64_t{1} << bits) - 1;
    if (bits > 32) {
      Write(v >> 32, bits - 32);
      Write(v & 0xffffffffu, 32);
      return;
    }
    acc_ = (acc_ << bits) | v;
    pending_ += bits;
    while (pending_ >= 8) {
      pending_ -= 8;
      out_->push_back(static_cast<char>(acc_ >> pending_));
    }
    acc_ &= (std::uint64_t{1} << pending_) - 1;
  }
  // Pads the last byte with zero bits. Call once, after the last Write.
  void Finish() {
    if (pending_ > 0) out_->push_back(static_cast<char>(acc_ << (8 - pending_)));
    pending_ = 0;
    acc_ = 0;
  }

 private:
  std::string* out_;
  std::uint64_t acc_ = 0;  // the pending_ low bits not yet written
  int pending_ = 0;        // 0..7 between calls
};

class BitReader {
 public:
  BitReader(const std::uint8_t* data, std::size_t size) : data_(data), size_bits_(size * 8) {}
  // Reads `bits` bits (0 <= bits <= 64) into `*v`; false, reading nothing, past the end.
  bool Read(int bits, std::uint64_t* v) {
    if (bits < 0 || bits > 64 || size_bits_ - pos_ < static_cast<std::size_t>(bits)) return false;
    std::uint64_t r = 0;
    for (int i = 0; i < bits;) {
      const std::size_t byte = pos_ >> 3;
      const int offset = static_cast<int>(pos_ & 7);
      const int take = std::min(8 - offset, bits - i);
      const std::uint64_t chunk =
          (static_cast<std::uint64_t>(data_[byte]) >> (8 - offset - take)) & ((1u << take) - 1);
      r = (take == 64 ? 0 : r << take) | chunk;
      pos_ += static_cast<std::size_t>(take);
      i += take;
    }
    *v = r;
    return true;
  }
  bool ReadBit(bool* b) {
    std::uint64_t v = 0;
    if (!Read(1, &v)) return false;
    *b = v != 0;
    return true;
  }
  std::size_t bits_left() const { return size_bits_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_bits_;
  std::size_t pos_ = 0;
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_BIT_STREAM_H_
