// DBImpl's online backup and checkpoint (db.h).
#include "lsm/db_impl.h"

namespace larder::lsm {

Result<std::uint64_t> DBImpl::Backup(const std::string& /*file*/,
                                     std::optional<std::uint64_t> /*since*/) {
  return Status::NotSupported("lsm::DB::Backup is not implemented yet");
}

Status DBImpl::Checkpoint(const std::string& /*dest*/) {
  return Status::NotSupported("lsm::DB::Checkpoint is not implemented yet");
}

}  // namespace larder::lsm
