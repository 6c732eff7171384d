// internal::Access: the engine's own way into the public handles' implementations. The public
// headers expose no accessor and no constructor taking an internal type; DB and Tx name this
// struct a friend, so code inside src/bolt (the kv adapter) and white-box tests reach the pimpl
// here and nowhere else. Not installed.
#ifndef LARDER_BOLT_ACCESS_H_
#define LARDER_BOLT_ACCESS_H_

#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/db.h"
#include "larder/bolt/tx.h"

namespace larder::bolt::internal {

struct Access {
  static DBImpl& Impl(const DB& db) { return *db.impl_; }
  static TxImpl& Impl(const Tx& tx) { return *tx.impl_; }
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_ACCESS_H_
