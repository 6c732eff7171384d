#include "larder/stores/config.h"

#include <gtest/gtest.h>

#include <map>

namespace larder::stores {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(StoreConfig, DefaultsAreBoltFilesUnderLarderDirNamedByNode) {
  auto env = Env({{"HOME", "/home/u"}, {"LARDER_NODE_ID", "n1"}});
  auto job = ResolveStoreConfig(StoreRole::kRequester, {}, env);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->type, StoreType::kBolt);
  EXPECT_EQ(job->path, "/home/u/.larder/n1-requester.db");
  EXPECT_EQ(job->type_source, "default");
  EXPECT_EQ(job->path_source, "default");
  auto compute = ResolveStoreConfig(StoreRole::kCompute, {},
                                    Env({{"LARDER_DIR", "/var/l"}, {"LARDER_NODE_ID", "n2"}}));
  ASSERT_TRUE(compute.ok());
  EXPECT_EQ(compute->path, "/var/l/n2-compute.db");
}

TEST(StoreConfig, VariablesAndTheirBacalhauAliases) {
  auto cfg = ResolveStoreConfig(
      StoreRole::kCompute, {},
      Env({{"BACALHAU_COMPUTE_STORE_TYPE", "BoltDB"}, {"BACALHAU_COMPUTE_STORE_PATH", "/x.db"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->type, StoreType::kBolt);
  EXPECT_EQ(cfg->path, "/x.db");
  EXPECT_EQ(cfg->type_source, "BACALHAU_COMPUTE_STORE_TYPE");

  // LARDER_* wins over BACALHAU_*; an empty variable counts as unset.
  cfg = ResolveStoreConfig(StoreRole::kRequester, {},
                           Env({{"LARDER_JOB_STORE_TYPE", "inmemory"},
                                {"BACALHAU_JOB_STORE_TYPE", "bolt"},
                                {"LARDER_JOB_STORE_PATH", ""},
                                {"BACALHAU_JOB_STORE_PATH", "/b.db"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->type, StoreType::kInMemory);
  EXPECT_EQ(cfg->path, "/b.db");
  EXPECT_EQ(cfg->path_source, "BACALHAU_JOB_STORE_PATH");

  cfg = ResolveStoreConfig(StoreRole::kRequester, {},
                           Env({{"BACALHAU_DIR", "/bd"}, {"BACALHAU_NODE_ID", "old"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->path, "/bd/old-requester.db");
  // The compute variables do not configure the job store.
  cfg = ResolveStoreConfig(StoreRole::kRequester, {},
                           Env({{"LARDER_COMPUTE_STORE_TYPE", "bogus"}, {"HOME", "/h"}}));
  ASSERT_TRUE(cfg.ok());
}

TEST(StoreConfig, CodeOverridesTheEnvironment) {
  StoreSettings settings;
  settings.type = StoreType::kInMemory;
  settings.path = "/code.db";
  auto cfg = ResolveStoreConfig(
      StoreRole::kCompute, settings,
      Env({{"LARDER_COMPUTE_STORE_TYPE", "nonsense"}, {"LARDER_COMPUTE_STORE_PATH", "/env.db"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->type, StoreType::kInMemory);
  EXPECT_EQ(cfg->path, "/code.db");
  EXPECT_EQ(cfg->type_source, "code");
  StoreSettings dir_only;
  dir_only.dir = "/d";
  dir_only.node_id = "me";
  cfg = ResolveStoreConfig(StoreRole::kCompute, dir_only,
                           Env({{"LARDER_DIR", "/env"}, {"LARDER_NODE_ID", "env"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->path, "/d/me-compute.db");
}

TEST(StoreConfig, BadValuesNameTheVariableAndTheAllowedValues) {
  auto cfg =
      ResolveStoreConfig(StoreRole::kCompute, {}, Env({{"BACALHAU_COMPUTE_STORE_TYPE", "sqlite"}}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_TRUE(cfg.status().IsInvalidArgument());
  EXPECT_EQ(cfg.status().message(),
            "BACALHAU_COMPUTE_STORE_TYPE=\"sqlite\" is not a store type; allowed values: bolt, "
            "boltdb, inmemory");
  cfg = ResolveStoreConfig(StoreRole::kRequester, {}, Env({{"LARDER_JOB_STORE_TYPE", "bolt "}}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("LARDER_JOB_STORE_TYPE"), std::string::npos);

  // No path, no LARDER_DIR and no HOME: nowhere to put the file.
  cfg = ResolveStoreConfig(StoreRole::kCompute, {}, Env({}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("LARDER_COMPUTE_STORE_PATH"), std::string::npos);
  cfg =
      ResolveStoreConfig(StoreRole::kCompute, {}, Env({{"HOME", "/h"}, {"LARDER_NODE_ID", "a/b"}}));
  EXPECT_TRUE(cfg.status().IsInvalidArgument());

  EXPECT_TRUE(ParseStoreType("InMemory").ok());
  EXPECT_FALSE(ParseStoreType("").ok());
  EXPECT_EQ(StoreTypeName(*ParseStoreType("BOLTDB")), "bolt");
}

TEST(StoreConfig, ProcessEnvReadsTheEnvironment) {
  ::setenv("LARDER_STORE_CONFIG_TEST_VAR", "v", 1);
  EXPECT_EQ(ProcessEnv()("LARDER_STORE_CONFIG_TEST_VAR"), "v");
  ::unsetenv("LARDER_STORE_CONFIG_TEST_VAR");
  EXPECT_FALSE(ProcessEnv()("LARDER_STORE_CONFIG_TEST_VAR").has_value());
}

}  // namespace
}  // namespace larder::stores
