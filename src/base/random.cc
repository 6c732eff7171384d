#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <random>

namespace larder {

void RandomBytes(std::uint8_t* out, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = ::getrandom(out + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      break;  // no getrandom: fall back below
    }
    done += static_cast<std::size_t>(got);
  }
  if (done < n) {
    std::random_device rd;
    for (; done < n; ++done) out[done] = static_cast<std::uint8_t>(rd());
  }
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RandomBytes(reinterpret_cast<std::uint8_t*>(raw.data()), raw.size());
  return ToHex(raw);
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 0xf];
  }
  return out;
}

}  // namespace larder
