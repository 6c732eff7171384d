#include <gtest/gtest.h>

#include <string>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;

// Geo needs the raw record calls of the engine keyspace (zset_store.h).
class GeoHarness : public CommandHarness {
 public:
  GeoHarness()
      : CommandHarness(Backing::kEngine, {RegisterKeyCommands, RegisterStringCommands,
                                          RegisterZSetCommands, RegisterGeoCommands}) {}
};

void AddSicily(GeoHarness& h) {
  ASSERT_EQ(h.Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269",
                   "37.502669", "Catania"}),
            "2");
}

TEST(GeoCommandsTest, AddPosDistHash) {
  GeoHarness h;
  AddSicily(h);
  EXPECT_EQ(h.Run({"TYPE", "Sicily"}), "zset");
  EXPECT_EQ(h.Run({"ZSCORE", "Sicily", "Palermo"}), "3479099956230698");
  EXPECT_EQ(h.Run({"GEOPOS", "Sicily", "Palermo", "nope"}),
            "[[13.36138933897018433,38.11555639549629859],(nil)]");
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "Catania"}), "166274.1516");
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), "166.2742");
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "nope"}), "(nil)");
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "Catania", "yd"}),
            "-ERR unsupported unit provided. please use M, KM, FT, MI");
  EXPECT_EQ(h.Run({"GEOHASH", "Sicily", "Palermo", "nope"}), "[sqc8b49rny0,(nil)]");
  EXPECT_EQ(h.Run({"GEOHASH", "none", "a"}), "[(nil)]");
}

TEST(GeoCommandsTest, AddOptionsAndErrors) {
  GeoHarness h;
  AddSicily(h);
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "NX", "13", "38", "Palermo"}), "0");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "XX", "CH", "13", "38", "Palermo"}), "1");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "XX", "13", "38", "New"}), "0");
  EXPECT_EQ(h.Run({"ZCARD", "Sicily"}), "2");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "XX", "NX", "13", "38", "x"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "13", "38", "x", "14"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "200", "10", "x"}),
            "-ERR invalid longitude,latitude pair 200.000000,10.000000");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "abc", "10", "x"}), "-ERR value is not a valid float");
  EXPECT_EQ(h.Run({"SET", "s", "v"}), "OK");
  EXPECT_EQ(h.Run({"GEOADD", "s", "1", "2", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(h.Run({"GEOPOS", "s", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST(GeoCommandsTest, SearchAndStore) {
  GeoHarness h;
  AddSicily(h);
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"}),
            "[[Catania,56.4413],[Palermo,190.4424]]");
  EXPECT_EQ(h.Run({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km",
                   "DESC", "WITHHASH"}),
            "[[Catania,3479447370796909],[Palermo,3479099956230698]]");
  EXPECT_EQ(h.Run({"GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km"}), "[Palermo]");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"}), "[Catania]");
  EXPECT_EQ(h.Run({"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                   "km", "STOREDIST"}),
            "2");
  EXPECT_EQ(h.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}),
            "[Catania,56.441257870158204,Palermo,190.44242984775784]");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst"}), "0");
  EXPECT_EQ(h.Run({"EXISTS", "dst"}), "0");
  EXPECT_EQ(h.Run({"GEORADIUS_RO", "Sicily", "0", "0", "1", "km", "STORE", "dst"}),
            "-ERR syntax error");
  EXPECT_EQ(h.Run({"GEOSEARCH", "Sicily", "BYBOX", "1", "1", "km", "ASC"}),
            "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH");
  EXPECT_EQ(h.Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "ASC", "WITHDIST"}),
            "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"}),
            "-ERR the ANY argument requires COUNT argument");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d", "WITHDIST"}),
            "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
            "WITHCOORD options");
  EXPECT_EQ(h.Run({"GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km"}),
            "-ERR could not decode requested zset member");
  EXPECT_EQ(h.Run({"GEORADIUSBYMEMBER", "none", "nope", "1", "km"}), "[]");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "-1", "km"}),
            "-ERR radius cannot be negative");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0"}),
            "-ERR COUNT must be > 0");
}

}  // namespace
}  // namespace larder::server
