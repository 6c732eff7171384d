// Entries keyed "<owner>/<suffix>" in a bucket (history, summaries): the last sequence number of
// an owner, and deleting all of an owner's entries. Run inside the caller's transaction.
#ifndef LARDER_SRC_STORES_OWNER_ENTRIES_H_
#define LARDER_SRC_STORES_OWNER_ENTRIES_H_

#include <cstdint>
#include <string_view>

#include "larder/bolt/bucket.h"
#include "larder/result.h"

namespace larder::stores {

// The largest sequence number among keys "<owner>/<20 digits>" (0 when there are none).
// Corruption for a malformed key of that owner.
Result<std::uint64_t> LastSeq(const bolt::Bucket& bucket, std::string_view owner);

// Deletes every key starting with "<owner>/"; returns how many.
Result<std::uint64_t> DeleteOwnerEntries(bolt::Bucket& bucket, std::string_view owner);

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_OWNER_ENTRIES_H_
