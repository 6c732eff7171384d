// Unpredictable bytes from the kernel (getrandom(2)), for identifiers that must not be guessed:
// record ids (src/stores/ids.h), lock tokens (src/server/lock_table.h).
//
// Thread-safety: thread-safe.
#ifndef LARDER_BASE_RANDOM_H_
#define LARDER_BASE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace larder {

// Fills out[0, n) from getrandom(2); on a kernel without it, from std::random_device.
void RandomBytes(std::uint8_t* out, std::size_t n);

// `bytes` random bytes as 2 * bytes lower-case hex digits.
std::string RandomHex(std::size_t bytes);

// Bytes as lower-case hex digits, two per byte.
std::string ToHex(std::string_view bytes);

}  // namespace larder

#endif  // LARDER_BASE_RANDOM_H_
