#include "server/geohash.h"

#include <gtest/gtest.h>

#include <cmath>

namespace larder::server::geo {
namespace {

TEST(GeohashTest, ScoresMatchRedis) {
  // GEOADD then ZSCORE on Redis 7.0.15.
  EXPECT_EQ(ScoreOf(-5.6, 42.6), 2157242200379188.0);
  EXPECT_EQ(ScoreOf(13.361389, 38.115556), 3479099956230698.0);
  EXPECT_EQ(ScoreOf(15.087269, 37.502669), 3479447370796909.0);
  EXPECT_EQ(ScoreOf(-73.9454966, 40.747533), 1791875804419201.0);
}

TEST(GeohashTest, DecodeIsTheBoxCentre) {
  double lon, lat;
  DecodeScore(3479099956230698.0, &lon, &lat);
  // Redis's GEOPOS: 13.36138933897018433 38.11555639549629859.
  EXPECT_DOUBLE_EQ(lon, 13.36138933897018433);
  EXPECT_DOUBLE_EQ(lat, 38.11555639549629859);
  EXPECT_LT(std::fabs(lon - 13.361389), 1e-5);
  EXPECT_EQ(ScoreOf(lon, lat), 3479099956230698.0);  // a decoded position encodes back
}

TEST(GeohashTest, GeohashStrings) {
  EXPECT_EQ(GeohashString(-5.6, 42.6).substr(0, 10), "ezs42e44yx");  // Wikipedia's example
  double lon, lat;
  DecodeScore(ScoreOf(-5.6, 42.6), &lon, &lat);
  EXPECT_EQ(GeohashString(lon, lat), "ezs42e44yx0");
}

TEST(GeohashTest, Limits) {
  EXPECT_TRUE(ValidLonLat(180, 85.05112878));
  EXPECT_TRUE(ValidLonLat(-180, -85.05112878));
  EXPECT_FALSE(ValidLonLat(180.0001, 0));
  EXPECT_FALSE(ValidLonLat(0, 85.06));
  Hash h;
  EXPECT_FALSE(EncodeWgs84(0, 86, 26, &h));
}

TEST(GeohashTest, Distances) {
  // Palermo - Catania as Redis's GEODIST: 166274.1516 m.
  double lon1, lat1, lon2, lat2;
  DecodeScore(3479099956230698.0, &lon1, &lat1);
  DecodeScore(3479447370796909.0, &lon2, &lat2);
  EXPECT_NEAR(Distance(lon1, lat1, lon2, lat2), 166274.1516, 0.00005);
  EXPECT_DOUBLE_EQ(Distance(lon1, lat1, lon2, lat2), Distance(lon2, lat2, lon1, lat1));
  EXPECT_EQ(Distance(10, 20, 10, 20), 0.0);
  // Along a meridian: one degree of latitude.
  EXPECT_NEAR(Distance(10, 0, 10, 1), kEarthRadiusMeters * M_PI / 180, 1e-6);
}

TEST(GeohashTest, MoveWrapsAround) {
  Hash h;
  ASSERT_TRUE(EncodeWgs84(179.99, 0, 4, &h));
  Hash east = Move(h, 1, 0);
  Area a = Decode({-180, 180}, {kLatMin, kLatMax}, east);
  EXPECT_DOUBLE_EQ(a.lon.min, -180);  // east of the last column is the first
  EXPECT_EQ(Move(east, -1, 0).bits, h.bits);
  Hash north = Move(h, 0, 1);
  Area hn = Decode({-180, 180}, {kLatMin, kLatMax}, north);
  Area hc = Decode({-180, 180}, {kLatMin, kLatMax}, h);
  EXPECT_DOUBLE_EQ(hn.lat.min, hc.lat.max);
  EXPECT_DOUBLE_EQ(hn.lon.min, hc.lon.min);
}

TEST(GeohashTest, StepsShrinkWithTheRadius) {
  EXPECT_EQ(EstimateSteps(0, 0), 26);
  EXPECT_GT(EstimateSteps(100, 0), EstimateSteps(100000, 0));
  EXPECT_EQ(EstimateSteps(100000, 70), EstimateSteps(100000, 0) - 1);
  EXPECT_EQ(EstimateSteps(100000, 85), EstimateSteps(100000, 0) - 2);
  EXPECT_EQ(EstimateSteps(5e7, 0), 1);
}

// Every point within the shape lies in one of the search boxes' score ranges.
TEST(GeohashTest, SearchBoxesCoverTheShape) {
  for (bool box : {false, true}) {
    for (double clat : {-60.0, -10.0, 0.0, 45.0, 69.0}) {
      for (double r_km : {1.0, 50.0, 400.0}) {
        Shape s;
        s.box = box;
        s.lon = 12.5;
        s.lat = clat;
        s.radius = r_km;
        s.width = 2 * r_km;
        s.height = r_km;
        s.to_meters = 1000;
        std::array<Hash, 9> boxes = SearchBoxes(s);
        for (int i = -40; i <= 40; ++i) {
          for (int j = -40; j <= 40; ++j) {
            double lat = clat + j * (r_km / 111.0) / 40 * 1.2;
            double lon = 12.5 + i * (r_km / 111.0 / std::cos(DegToRad(clat))) / 40 * 1.2;
            if (!ValidLonLat(lon, lat)) continue;
            double score = ScoreOf(lon, lat);
            double plon, plat, dist;
            DecodeScore(score, &plon, &plat);
            if (!InShape(s, plon, plat, &dist)) continue;
            bool covered = false;
            for (const Hash& h : boxes) {
              if (h.IsZero()) continue;
              double min, max;
              BoxScores(h, &min, &max);
              covered = covered || (score >= min && score < max);
            }
            ASSERT_TRUE(covered) << box << " " << clat << " " << r_km << " " << lon << "," << lat;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace larder::server::geo
