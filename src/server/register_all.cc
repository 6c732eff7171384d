#include "server/command.h"

namespace larder::server {

void RegisterAllCommands(CommandTable& table) {
  RegisterConnectionCommands(table);
  RegisterServerCommands(table);
  RegisterKeyspaceAdminCommands(table);
  RegisterPersistenceCommands(table);
  RegisterStringCommands(table);
  RegisterBitCommands(table);
  RegisterKeyCommands(table);
  RegisterHashCommands(table);
  RegisterSetCommands(table);
  RegisterSortCommands(table);
  RegisterTransactionCommands(table);
  RegisterPubSubCommands(table);
  RegisterCompatCommands(table);
  RegisterZSetCommands(table);
  RegisterListCommands(table);
  RegisterHyperLogLogCommands(table);
  RegisterGeoCommands(table);
  RegisterLockCommands(table);
  RegisterQueueCommands(table);
  RegisterStreamCommands(table);
  RegisterTsCommands(table);
}

}  // namespace larder::server
