// lsm::Restore until online backup lands (include/larder/lsm/db.h): says so instead of failing
// to link. Removed when db_backup.cc implements it.
#include "larder/lsm/db.h"

namespace larder::lsm {

Result<std::uint64_t> Restore(const std::vector<std::string>&, const std::string&,
                              const Options&) {
  return Status::NotSupported("lsm restore: online backup is not built yet");
}

}  // namespace larder::lsm
