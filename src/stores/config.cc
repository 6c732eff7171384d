#include "larder/stores/config.h"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace larder::stores {
namespace {

constexpr std::string_view kAllowedTypes = "bolt, boltdb, inmemory";

struct RoleNames {
  std::string_view type_var;
  std::string_view type_alias;
  std::string_view path_var;
  std::string_view path_alias;
  std::string_view file_suffix;
};

RoleNames NamesOf(StoreRole role) {
  if (role == StoreRole::kRequester) {
    return {"LARDER_JOB_STORE_TYPE", "BACALHAU_JOB_STORE_TYPE", "LARDER_JOB_STORE_PATH",
            "BACALHAU_JOB_STORE_PATH", "-requester.db"};
  }
  return {"LARDER_COMPUTE_STORE_TYPE", "BACALHAU_COMPUTE_STORE_TYPE", "LARDER_COMPUTE_STORE_PATH",
          "BACALHAU_COMPUTE_STORE_PATH", "-compute.db"};
}

struct Found {
  std::string value;
  std::string name;  // the variable it came from
};

// The first of `names` that is set and not empty.
std::optional<Found> Lookup(const EnvLookup& env, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    std::optional<std::string> v = env(name);
    if (v.has_value() && !v->empty()) return Found{*v, std::string(name)};
  }
  return std::nullopt;
}

std::string HostName() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "node";
  return std::string(buf.data());
}

}  // namespace

std::string_view StoreTypeName(StoreType type) {
  return type == StoreType::kInMemory ? "inmemory" : "bolt";
}

Result<StoreType> ParseStoreType(std::string_view value) {
  std::string lower;
  for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "bolt" || lower == "boltdb") return StoreType::kBolt;
  if (lower == "inmemory") return StoreType::kInMemory;
  return Status::InvalidArgument(
      fmt::format("\"{}\" is not a store type; allowed values: {}", value, kAllowedTypes));
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<StoreConfig> ResolveStoreConfig(StoreRole role, const StoreSettings& settings,
                                       const EnvLookup& env) {
  const RoleNames names = NamesOf(role);
  StoreConfig config;

  if (settings.type.has_value()) {
    config.type = *settings.type;
    config.type_source = "code";
  } else if (auto found = Lookup(env, {names.type_var, names.type_alias})) {
    Result<StoreType> type = ParseStoreType(found->value);
    if (!type.ok()) {
      return Status::InvalidArgument(
          fmt::format("{}=\"{}\" is not a store type; allowed values: {}", found->name,
                      found->value, kAllowedTypes));
    }
    config.type = *type;
    config.type_source = found->name;
  } else {
    config.type = StoreType::kBolt;
    config.type_source = "default";
  }

  if (settings.path.has_value() && !settings.path->empty()) {
    config.path = *settings.path;
    config.path_source = "code";
    return config;
  }
  if (auto found = Lookup(env, {names.path_var, names.path_alias})) {
    config.path = found->value;
    config.path_source = found->name;
    return config;
  }

  std::string dir;
  if (settings.dir.has_value() && !settings.dir->empty()) {
    dir = *settings.dir;
  } else if (auto found = Lookup(env, {"LARDER_DIR", "BACALHAU_DIR"})) {
    dir = found->value;
  } else if (auto home = Lookup(env, {"HOME"})) {
    dir = home->value + "/.larder";
  } else if (config.type == StoreType::kInMemory) {
    dir.push_back('.');  // a name only; nothing is written (not `= "."`: GCC 12 -Wrestrict)
  } else {
    return Status::InvalidArgument(
        fmt::format("no path for the {} store: set {} (or LARDER_DIR, or HOME for ~/.larder)",
                    role == StoreRole::kRequester ? "job" : "execution", names.path_var));
  }
  std::string node;
  if (settings.node_id.has_value() && !settings.node_id->empty()) {
    node = *settings.node_id;
  } else if (auto found = Lookup(env, {"LARDER_NODE_ID", "BACALHAU_NODE_ID"})) {
    node = found->value;
  } else {
    node = HostName();
  }
  if (node.find('/') != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("node id \"{}\" may not contain '/' (it names a file)", node));
  }
  config.path = dir + "/" + node + std::string(names.file_suffix);
  config.path_source = "default";
  return config;
}

}  // namespace larder::stores
