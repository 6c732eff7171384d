// BZPOPMIN BZPOPMAX BZMPOP: registered once blocking.h's implementation is merged.
#include "server/zset_commands.h"

namespace larder::server {

void RegisterZSetBlockingCommands(CommandTable& table) {}

}  // namespace larder::server
