// larder: inspect, modify, compact and benchmark bolt (bbolt-compatible) database files.
// Exit codes: 0 success, 1 the command failed, 2 bad usage.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <set>
#include <string>
#include <vector>

#include "common.h"
#include "larder/version.h"

namespace larder::cli {
namespace {

void CollectLongNames(const CLI::App& app, std::set<std::string>& names) {
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) names.insert(name);
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    CollectLongNames(*sub, names);
}

// bbolt's flags are Go flags: "-count 10" and "-count=10" mean "--count". Rewrites arguments
// of the form -NAME or -NAME=VALUE, where NAME is a known long option, up to a "--".
std::vector<std::string> NormalizeArgs(int argc, char** argv, const std::set<std::string>& longs) {
  std::vector<std::string> args(argv, argv + argc);
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 3 || a[0] != '-' || a[1] == '-') continue;
    const std::string name =
        a.substr(1, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 1);
    if (longs.count(name) != 0) a.insert(0, "-");
  }
  return args;
}

int Run(int argc, char** argv) {
  CLI::App app{"larder: inspect, modify, compact and benchmark bolt database files", "larder"};
  app.require_subcommand(1);
  app.fallthrough(false);
  Action action;

  CLI::App* version = app.add_subcommand("version", "Print the larder version");
  version->callback([&action] {
    action = [] {
      fmt::print("larder version {}\n", LARDER_VERSION_STRING);
      return kExitOk;
    };
  });
  RegisterInspectCommands(app, action);
  RegisterWriteCommands(app, action);
  RegisterCompactCommand(app, action);
  RegisterBenchCommand(app, action);
  RegisterPageCommands(app, action);
  RegisterExportCommands(app, action);
  RegisterSurgeryCommands(app, action);
  RegisterLockCommand(app, action);
  RegisterLsmCommands(app, action);
  RegisterTsCommands(app, action);
  RegisterQueueCommands(app, action);

  std::set<std::string> longs;
  CollectLongNames(app, longs);
  std::vector<std::string> args = NormalizeArgs(argc, argv, longs);
  if (args.size() > 1 && !args[1].empty() && args[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      known = known || sub->check_name(args[1]);
    }
    if (!known) {
      fmt::print(stderr, "Error: unknown command {:?}\nRun 'larder --help' for usage.\n", args[1]);
      return kExitUsage;
    }
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!action) return kExitUsage;
  const int code = action();
  std::fflush(stdout);
  return code;
}

}  // namespace
}  // namespace larder::cli

int main(int argc, char** argv) {
  try {
    return larder::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return larder::cli::kExitError;
  }
}
