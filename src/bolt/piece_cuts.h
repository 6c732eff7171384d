// Where a node too large for one page is cut into pieces, and the insert pattern that decides
// how full those pieces are packed.
//
// bbolt cuts left to right, each piece up to the bucket's fill percent (half a page by
// default), so that later inserts between the keys find room. That room is wasted where
// inserts only ever land at one point: a list's head pushes insert each key just before the
// last one (a descending run), its tail pushes and appends each one just after the last (an
// ascending run). The pieces such a run leaves behind never take another key, so they are
// packed full:
//  - ascending run: full pieces from the left until the rest fits a page; the rest is the last
//    piece, where the run goes on (as LMDB packs an append-only load);
//  - descending run: the mirror image, full pieces from the right; the rest is the first piece;
//  - otherwise: bbolt's cut.
// The keys that happen to share the node with the run are packed too. When they are many, the
// run's point may land in a full piece; that piece is cut again at its next split, around less of
// them, so a run's pages come out full after a split or two.
// A rest that still exceeds a page (a few huge elements) gets bbolt's cut. Every piece holds at
// least kMinKeysPerPage elements, whatever their sizes.
//
// Thread-safety: plain values and a pure function.
#ifndef LARDER_BOLT_PIECE_CUTS_H_
#define LARDER_BOLT_PIECE_CUTS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace larder::bolt::internal {

// Follows a node's inserts since it was read (or made): whether they form one run.
class InsertRun {
 public:
  enum class Kind : std::uint8_t { kNone, kOne, kDescending, kAscending, kScattered };

  // An element was inserted at `index` (of the node after the insert).
  void Inserted(std::size_t index) {
    switch (kind_) {
      case Kind::kNone:
        kind_ = Kind::kOne;
        break;
      case Kind::kOne:
        kind_ = index == last_       ? Kind::kDescending
                : index == last_ + 1 ? Kind::kAscending
                                     : Kind::kScattered;
        break;
      case Kind::kDescending:
        if (index != last_) kind_ = Kind::kScattered;
        break;
      case Kind::kAscending:
        if (index != last_ + 1) kind_ = Kind::kScattered;
        break;
      case Kind::kScattered:
        break;
    }
    last_ = index;
  }
  // An element was removed, or the elements changed some other way: no run any more.
  void Broken() { kind_ = Kind::kScattered; }
  // The node starts afresh (read from its page, or made).
  void Reset() { kind_ = Kind::kNone; }

  Kind kind() const { return kind_; }
  // The index of the last insert (meaningful unless kind() is kNone).
  std::size_t last() const { return last_; }

 private:
  Kind kind_ = Kind::kNone;
  std::size_t last_ = 0;
};

struct PieceCutRequest {
  std::size_t page_size = 0;
  // Most bytes of a piece cut by bbolt's rule (page size times the fill percent).
  std::size_t fill_bytes = 0;
  // The run to pack for (kAscending or kDescending); any other kind: bbolt's cut.
  InsertRun::Kind run = InsertRun::Kind::kNone;
};

// The start index of every piece after the first, ascending; empty when the elements fit one
// piece. `element_bytes[i]` is what element i takes in a page (element header, key, value);
// a page also has a kPageHeaderSize header.
std::vector<std::size_t> PieceCuts(std::span<const std::size_t> element_bytes,
                                   const PieceCutRequest& request);

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_PIECE_CUTS_H_
