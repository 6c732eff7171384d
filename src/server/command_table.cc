#include "server/command.h"

#include <utility>

#include "server/args.h"

namespace larder::server {

void CommandTable::Add(CommandSpec spec) {
  std::string key = ToLower(spec.name);
  auto it = index_.find(key);
  if (it != index_.end()) {
    commands_[it->second] = std::move(spec);
    return;
  }
  index_.emplace(std::move(key), commands_.size());
  commands_.push_back(std::move(spec));
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  auto it = index_.find(ToLower(name));
  return it == index_.end() ? nullptr : &commands_[it->second];
}

const CommandSpec* CommandTable::Find(std::string_view name, CommandMemo* memo) const {
  if (memo->filled && memo->name == name) return &commands_[memo->slot];
  auto it = index_.find(ToLower(name));
  if (it == index_.end()) return nullptr;
  memo->name.assign(name);
  memo->slot = it->second;
  memo->filled = true;
  return &commands_[it->second];
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& container,
                                                std::string_view name) {
  for (const CommandSpec& sub : container.subcommands) {
    if (EqualsIgnoreCase(sub.name, name)) return &sub;
  }
  return nullptr;
}

}  // namespace larder::server
