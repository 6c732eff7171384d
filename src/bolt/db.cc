// The public DB: open/close and managed transactions (Update, View, Batch).
#include "larder/bolt/db.h"

#include <condition_variable>
#include <mutex>

#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"

namespace larder::bolt {

DB::DB(std::unique_ptr<internal::DBImpl> impl) : impl_(std::move(impl)) {}
DB::~DB() = default;

Result<std::unique_ptr<DB>> DB::Open(const std::string& path, const Options& options) {
  LARDER_ASSIGN_OR_RETURN(auto impl, internal::DBImpl::Open(path, options));
  return std::unique_ptr<DB>(new DB(std::move(impl)));
}

Result<std::unique_ptr<Tx>> DB::Begin(bool writable) {
  LARDER_ASSIGN_OR_RETURN(auto tx, impl_->BeginTx(writable));
  return std::unique_ptr<Tx>(new Tx(std::move(tx)));
}

Status DB::Update(const std::function<Status(Tx&)>& fn) {
  LARDER_ASSIGN_OR_RETURN(auto tx, Begin(true));
  Status s = fn(*tx);
  if (!s.ok()) {
    tx->Rollback().ok();
    return s;
  }
  return tx->Commit();
}

Status DB::View(const std::function<Status(Tx&)>& fn) {
  LARDER_ASSIGN_OR_RETURN(auto tx, Begin(false));
  Status s = fn(*tx);
  tx->Rollback().ok();
  return s;
}

Status DB::Close() { return impl_->Close(); }
const std::string& DB::path() const { return impl_->path(); }
std::uint32_t DB::page_size() const { return impl_->page_size(); }
bool DB::read_only() const { return impl_->options().read_only; }
DBStats DB::Stats() const { return impl_->Stats(); }
void DB::ReleaseCachedMemory() { impl_->arena_cache()->Clear(); }

}  // namespace larder::bolt
