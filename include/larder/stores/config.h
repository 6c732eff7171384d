// Where a store keeps its data: a bolt file or memory, chosen by environment variables that
// code may override.
//
//   role       type variable               path variable              default path
//   requester  LARDER_JOB_STORE_TYPE       LARDER_JOB_STORE_PATH ${LARDER_DIR}/${NODE}-requester.db
//   compute    LARDER_COMPUTE_STORE_TYPE   LARDER_COMPUTE_STORE_PATH
//   ${LARDER_DIR}/${NODE}-compute.db
//
// Each LARDER_* name also answers to its BACALHAU_* name (BACALHAU_JOB_STORE_TYPE, ...,
// BACALHAU_DIR, BACALHAU_NODE_ID), so that existing deployments' settings carry over; when both
// are set, the LARDER_* one wins. Types: "bolt" (default; "boltdb" is accepted for it) or
// "inmemory", compared without regard to case. LARDER_DIR defaults to ~/.larder, the node name
// (LARDER_NODE_ID) to the host name. An empty variable counts as unset.
//
// Thread-safety: plain values and pure functions; the default environment lookup reads the
// process environment (getenv), which must not be modified concurrently.
#ifndef LARDER_STORES_CONFIG_H_
#define LARDER_STORES_CONFIG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "larder/result.h"

namespace larder::stores {

enum class StoreType : std::uint8_t {
  kBolt = 0,      // a bolt (bbolt-format) file at StoreConfig::path
  kInMemory = 1,  // the bolt engine over memory pages (bolt::Options::in_memory); nothing survives
};

// "bolt" or "inmemory".
std::string_view StoreTypeName(StoreType type);
// Parses a store type value: bolt, boltdb or inmemory, in any case. InvalidArgument otherwise.
Result<StoreType> ParseStoreType(std::string_view value);

// Which node role's store: the requester's job store or the compute node's execution store.
enum class StoreRole : std::uint8_t { kRequester = 0, kCompute = 1 };

// Values set in code. Each one that is set overrides the environment.
struct StoreSettings {
  std::optional<StoreType> type;
  std::optional<std::string> path;     // the bolt file (ignored for kInMemory)
  std::optional<std::string> dir;      // instead of LARDER_DIR, for the default path
  std::optional<std::string> node_id;  // instead of LARDER_NODE_ID, for the default path
};

// The resolved configuration.
struct StoreConfig {
  StoreType type = StoreType::kBolt;
  std::string path;  // the file for kBolt; a name only for kInMemory
  // Where each value came from, for messages: a variable name, "code" or "default".
  std::string type_source;
  std::string path_source;
};

// Looks an environment variable up: its value, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment (getenv).
EnvLookup ProcessEnv();

// Resolves the configuration of `role`'s store: `settings`, then the environment (`env`), then
// the defaults. InvalidArgument with a message naming the variable and the allowed values for a
// bad type ("LARDER_COMPUTE_STORE_TYPE=\"sqlite\" is not a store type; allowed values: bolt,
// boltdb, inmemory"), or when a default path is needed and neither LARDER_DIR nor HOME is set.
Result<StoreConfig> ResolveStoreConfig(StoreRole role, const StoreSettings& settings = {},
                                       const EnvLookup& env = ProcessEnv());

}  // namespace larder::stores

#endif  // LARDER_STORES_CONFIG_H_
