// Inode: one element of a node (node.h): a leaf's key and value with the leaf element's flags,
// or a branch's key and child page.
//
// 32 bytes, two to a cache line: a write transaction edits a leaf by inserting and erasing
// inodes in its array, so an inode's size is what each edit moves (a leaf holds up to about two
// pages' worth of keys: a hundred inodes or more for short records), and a descent reads one
// inode per level. The views are stored as pointer and 32-bit size, and a leaf's value shares its
// place with a branch's child page id. Sizes fit: keys are at most kMaxKeySize, values at most
// kMaxValueSize (under 2^31), and a page element's sizes are 32-bit fields.
//
// Ownership: the bytes viewed are not owned; they live in a page of the transaction's snapshot
// or in its arena (Node's contract).
// Thread-safety: a value type.
#ifndef LARDER_BOLT_INODE_H_
#define LARDER_BOLT_INODE_H_

#include <cassert>
#include <cstdint>
#include <string_view>

#include "bolt/page.h"

namespace larder::bolt::internal {

class Inode {
 public:
  Inode() = default;
  static Inode Leaf(std::string_view key, std::string_view value, std::uint32_t flags) {
    Inode in;
    in.set_key(key);
    in.set_value(value, flags);
    return in;
  }
  static Inode Branch(std::string_view key, Pgid child) {
    Inode in;
    in.branch_ = true;
    in.set_key(key);
    in.pgid_ = child;
    return in;
  }

  bool is_branch() const { return branch_; }
  std::string_view key() const { return {key_, key_size_}; }
  // A leaf's value (or bucket header, with an inline page) and flags. REQUIRES: !is_branch().
  std::string_view value() const {
    assert(!branch_);
    return {value_, value_size_};
  }
  std::uint32_t flags() const {
    assert(!branch_);
    return flags_;
  }
  // A branch's child page. REQUIRES: is_branch().
  Pgid pgid() const {
    assert(branch_);
    return pgid_;
  }
  // The value's bytes (a branch has none), for a page's size and contents.
  std::size_t value_size() const { return branch_ ? 0 : value_size_; }

  void set_key(std::string_view key) {
    key_ = key.data();
    key_size_ = static_cast<std::uint32_t>(key.size());
  }
  // REQUIRES: !is_branch().
  void set_value(std::string_view value, std::uint32_t flags) {
    assert(!branch_);
    value_ = value.data();
    value_size_ = static_cast<std::uint32_t>(value.size());
    flags_ = flags;
  }

 private:
  const char* key_ = nullptr;
  union {
    const char* value_ = nullptr;  // leaf
    Pgid pgid_;                    // branch
  };
  std::uint32_t key_size_ = 0;
  std::uint32_t value_size_ = 0;  // leaf
  std::uint32_t flags_ = 0;       // leaf
  bool branch_ = false;
};
static_assert(sizeof(Inode) == 32);

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_INODE_H_
