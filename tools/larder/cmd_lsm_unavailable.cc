// larder lsm, in a build whose LSM engine has no DB yet (no definition of lsm::DB::Open in
// src/lsm; see tools/larder/CMakeLists.txt): the group exists and says so. cmd_lsm.cc replaces
// this file as soon as the engine's DB is there.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "common.h"

namespace larder::cli {

void RegisterLsmCommands(CLI::App& app, Action& action) {
  CLI::App* lsm = app.add_subcommand("lsm", "Commands over an LSM database directory");
  lsm->allow_extras();
  lsm->callback([&action] {
    action = [] { return Fail("this larder was built without the LSM engine's database"); };
  });
}

}  // namespace larder::cli
