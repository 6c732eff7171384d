// Arena: bump allocation for one transaction's copies of keys, values and pages. Everything is
// freed together when the transaction ends, which is what makes returned views valid for the
// whole transaction.
//
// Thread-safety: none; owned by one transaction.
#ifndef LARDER_BOLT_ARENA_H_
#define LARDER_BOLT_ARENA_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace larder::bolt {

class Arena {
 public:
  // Uninitialized bytes, 8-byte aligned.
  std::uint8_t* Allocate(std::size_t n) {
    n = (n + 7) & ~std::size_t{7};
    if (n > left_) {
      if (n > kBlockSize / 4) return NewBlock(n);
      ptr_ = NewBlock(kBlockSize);
      left_ = kBlockSize;
    }
    std::uint8_t* p = ptr_;
    ptr_ += n;
    left_ -= n;
    return p;
  }
  std::string_view Copy(std::string_view s) {
    if (s.empty()) return std::string_view();
    std::uint8_t* p = Allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {reinterpret_cast<const char*>(p), s.size()};
  }
  std::size_t bytes() const { return bytes_; }

 private:
  static constexpr std::size_t kBlockSize = 64 * 1024;
  std::uint8_t* NewBlock(std::size_t n) {
    blocks_.push_back(std::make_unique_for_overwrite<std::uint8_t[]>(n));
    bytes_ += n;
    return blocks_.back().get();
  }
  std::vector<std::unique_ptr<std::uint8_t[]>> blocks_;
  std::uint8_t* ptr_ = nullptr;
  std::size_t left_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_ARENA_H_
