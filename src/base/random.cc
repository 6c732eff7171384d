#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <random>
#include <vector>

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
  std::vector<std::uint8_t> raw(bytes);
  RandomBytes(raw.data(), raw.size());
  std::string out;
  out.reserve(2 * bytes);
  for (std::uint8_t b : raw) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 0xf];
  }
  return out;
}

}  // namespace larder
