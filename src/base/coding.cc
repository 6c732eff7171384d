#include "base/coding.h"

namespace larder {

const std::uint8_t* DecodeVarint(const std::uint8_t* p, const std::uint8_t* limit, int max_bits,
                                 std::uint64_t* v) {
  std::uint64_t result = 0;
  for (int shift = 0; p < limit && shift < max_bits; shift += 7) {
    const std::uint8_t byte = *p++;
    const std::uint64_t group = byte & 0x7f;
    // Bits of this group that do not fit the type: overflow.
    if (shift + 7 > max_bits && (group >> (max_bits - shift)) != 0) return nullptr;
    result |= group << shift;
    if ((byte & 0x80) == 0) {
      // A last byte of 0 after a continuation adds nothing: a shorter encoding exists.
      if (byte == 0 && shift > 0) return nullptr;
      *v = result;
      return p;
    }
  }
  return nullptr;  // truncated, or still continuing past the type's width
}

}  // namespace larder
