#include "stores/owner_entries.h"

#include <string>

#include <fmt/format.h>

#include "stores/keys.h"

namespace larder::stores {

Result<std::uint64_t> LastSeq(const bolt::Bucket& bucket, std::string_view owner) {
  // The owner's last entry sorts just before "<owner>0" ('0' follows '/').
  const std::string prefix = keys::OwnerPrefix(owner);
  bolt::Cursor c = bucket.NewCursor();
  c.Seek(std::string(owner) + "0");
  if (c.Valid()) {
    c.Prev();
  } else {
    c.Last();
  }
  LARDER_RETURN_IF_ERROR(c.status());
  if (!c.Valid() || !c.key().starts_with(prefix)) return std::uint64_t{0};
  std::string_view digits = c.key().substr(prefix.size());
  if (digits.empty() || digits.size() > 20) {
    return Status::Corruption(fmt::format("history key {} is malformed", c.key()));
  }
  std::uint64_t seq = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') {
      return Status::Corruption(fmt::format("history key {} is malformed", c.key()));
    }
    seq = seq * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return seq;
}

Result<std::uint64_t> DeleteOwnerEntries(bolt::Bucket& bucket, std::string_view owner) {
  const std::string prefix = keys::OwnerPrefix(owner);
  std::uint64_t removed = 0;
  bolt::Cursor c = bucket.NewCursor();
  for (c.Seek(prefix); c.Valid() && c.key().starts_with(prefix); c.Next()) {
    LARDER_RETURN_IF_ERROR(c.Delete());
    ++removed;
  }
  LARDER_RETURN_IF_ERROR(c.status());
  return removed;
}

}  // namespace larder::stores
