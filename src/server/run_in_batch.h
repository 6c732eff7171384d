// RunInBatch: runs work that may change the keyspace or free what blocked clients wait for
// (a client's close whose lock is released, the cron's lease expiry, blocked clients' timeouts)
// outside an I/O thread's batch, with the same guarantees as a batch of commands: the execution
// lock, one keyspace batch, the blocked clients it made ready served, and their replies
// delivered only once the batch is durable (blocking.h).
//
// Lock order (server.h): takes the execution lock, so the caller must not hold it.
#ifndef LARDER_SERVER_RUN_IN_BATCH_H_
#define LARDER_SERVER_RUN_IN_BATCH_H_

#include <functional>

#include "larder/status.h"

namespace larder::server {

class Server;

// Takes the execution lock, Keyspace::BeginBatch, runs fn, serves the blocked clients made
// ready, EndBatch, releases the lock, WaitDurable, then delivers the served clients' replies.
// When the engine fails (the batch cannot begin, end or become durable) the server is poisoned,
// the error returned, and the served clients closed without their replies; fn still runs (with
// the lock, outside a batch when it could not begin: its keyspace calls then fail) so that a
// close always drops the client everywhere. REQUIRES: the execution lock not held.
Status RunInBatch(Server& server, const std::function<void()>& fn);

}  // namespace larder::server

#endif  // LARDER_SERVER_RUN_IN_BATCH_H_
