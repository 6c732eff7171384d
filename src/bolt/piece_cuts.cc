#include "bolt/piece_cuts.h"

#include <algorithm>

#include "bolt/page.h"

namespace larder::bolt::internal {
namespace {

// Byte sums over the elements, so that any range's page size is one subtraction.
class ElementSizes {
 public:
  explicit ElementSizes(std::span<const std::size_t> bytes) : suffix_(bytes.size() + 1, 0) {
    for (std::size_t i = bytes.size(); i-- > 0;) suffix_[i] = suffix_[i + 1] + bytes[i];
  }
  std::size_t count() const { return suffix_.size() - 1; }
  std::size_t Element(std::size_t i) const { return suffix_[i] - suffix_[i + 1]; }
  // A page holding elements [begin, end), header included.
  std::size_t Page(std::size_t begin, std::size_t end) const {
    return kPageHeaderSize + suffix_[begin] - suffix_[end];
  }

 private:
  std::vector<std::size_t> suffix_;  // suffix_[i]: bytes of elements [i, count)
};

// bbolt's cut of [begin, end): from the left, pieces of at most `max_bytes` (and at least
// kMinKeysPerPage elements) while the rest does not fit a page. Appends the cuts; returns where
// the last piece starts.
std::size_t CutFromLeft(const ElementSizes& sizes, std::size_t begin, std::size_t end,
                        std::size_t page_size, std::size_t max_bytes,
                        std::vector<std::size_t>* cuts) {
  std::size_t start = begin;
  while (end - start > kMinKeysPerPage * 2 && sizes.Page(start, end) >= page_size) {
    std::size_t size = kPageHeaderSize, index = start;
    for (std::size_t i = start; i + kMinKeysPerPage < end; ++i) {
      index = i;
      const std::size_t element = sizes.Element(i);
      if (i - start >= kMinKeysPerPage && size + element > max_bytes) break;
      size += element;
    }
    if (index == start) break;  // cannot happen with more than 4 elements; be safe
    cuts->push_back(index);
    start = index;
  }
  return start;
}

// Full pieces from the left, while the rest does not fit a page: each at least
// kMinKeysPerPage elements, none starting above `ceiling` (at most count - kMinKeysPerPage, so
// that the rest keeps as many).
// Appends the cuts; returns where the rest starts.
std::size_t PackFromLeft(const ElementSizes& sizes, std::size_t ceiling, std::size_t page_size,
                         std::vector<std::size_t>* cuts) {
  const std::size_t n = sizes.count();
  std::size_t start = 0;
  while (start < ceiling && sizes.Page(start, n) > page_size) {
    std::size_t size = kPageHeaderSize, index = start;
    while (index < ceiling) {
      const std::size_t element = sizes.Element(index);
      if (index - start >= kMinKeysPerPage && size + element > page_size) break;
      size += element;
      ++index;
    }
    if (index - start < kMinKeysPerPage) break;
    cuts->push_back(index);
    start = index;
  }
  return start;
}

// The mirror image: full pieces from the right while the rest does not fit a page, none
// starting below `floor` (at least kMinKeysPerPage). Appends the cuts in descending order;
// returns where the rest ends.
std::size_t PackFromRight(const ElementSizes& sizes, std::size_t floor, std::size_t page_size,
                          std::vector<std::size_t>* cuts) {
  std::size_t end = sizes.count();
  while (end > floor && sizes.Page(0, end) > page_size) {
    std::size_t size = kPageHeaderSize, index = end;
    while (index > floor) {
      const std::size_t element = sizes.Element(index - 1);
      if (end - index >= kMinKeysPerPage && size + element > page_size) break;
      size += element;
      --index;
    }
    if (end - index < kMinKeysPerPage) break;
    cuts->push_back(index);
    end = index;
  }
  return end;
}

}  // namespace

std::vector<std::size_t> PieceCuts(std::span<const std::size_t> element_bytes,
                                   const PieceCutRequest& request) {
  const ElementSizes sizes(element_bytes);
  const std::size_t n = sizes.count();
  const std::size_t page = request.page_size;
  std::vector<std::size_t> cuts;
  if (request.run == InsertRun::Kind::kAscending && n > kMinKeysPerPage) {
    const std::size_t rest = PackFromLeft(sizes, n - kMinKeysPerPage, page, &cuts);
    CutFromLeft(sizes, rest, n, page, request.fill_bytes, &cuts);
  } else if (request.run == InsertRun::Kind::kDescending) {
    std::vector<std::size_t> right;
    const std::size_t rest = PackFromRight(sizes, kMinKeysPerPage, page, &right);
    CutFromLeft(sizes, 0, rest, page, request.fill_bytes, &cuts);
    cuts.insert(cuts.end(), right.rbegin(), right.rend());
  } else {
    CutFromLeft(sizes, 0, n, page, request.fill_bytes, &cuts);
  }
  return cuts;
}

}  // namespace larder::bolt::internal
