// Geohashes as Redis's geo commands use them (docs/formats/larderd.md, "Geo"): a position is a
// sorted-set score holding a 52-bit geohash, 26 bits of longitude over [-180, 180] interleaved
// with 26 bits of latitude over [-85.05112878, 85.05112878] (Web Mercator's limits), the
// longitude bit the more significant of each pair. A search covers the query's shape with the
// geohash box holding its centre and the 8 boxes around it, at a step (bits per coordinate)
// chosen from the radius, then filters each box's score range by distance.
//
// Distances are haversine distances on a sphere of radius 6372797.560856 m, as Redis's.
//
// Thread-safety: pure functions.
#ifndef LARDER_SERVER_GEOHASH_H_
#define LARDER_SERVER_GEOHASH_H_

#include <array>
#include <cstdint>
#include <string>

namespace larder::server::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kStepMax = 26;  // bits per coordinate of a stored score
inline constexpr double kEarthRadiusMeters = 6372797.560856;

struct Range {
  double min, max;
};

// A geohash of `step` bits per coordinate (bits: interleaved, 2*step significant bits). step 0
// with bits 0 is "no box" (a neighbour dropped from a search).
struct Hash {
  std::uint64_t bits = 0;
  int step = 0;
  bool IsZero() const { return bits == 0 && step == 0; }
};

struct Area {
  Range lon, lat;
};

// Encodes a position; false when outside the ranges (or the coordinate limits above).
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Hash* out);
// With Redis's ranges.
bool EncodeWgs84(double lon, double lat, int step, Hash* out);
// The box a hash names.
Area Decode(Range lon_range, Range lat_range, Hash hash);
// The position a stored score stands for (its box's centre, clamped to the limits).
void DecodeScore(double score, double* lon, double* lat);
// The score of a position (52 bits as a double). REQUIRES: ValidLonLat.
double ScoreOf(double lon, double lat);
bool ValidLonLat(double lon, double lat);

// The 11-character base32 geohash GEOHASH shows (standard latitude range [-90, 90]).
std::string GeohashString(double lon, double lat);

double DegToRad(double deg);
double RadToDeg(double rad);
// Haversine distance in meters.
double Distance(double lon1, double lat1, double lon2, double lat2);
// Meters between two latitudes along a meridian.
double LatDistance(double lat1, double lat2);

// A search shape: a circle (radius) or an axis-aligned box (width x height), in `unit`s of
// `to_meters` meters, around (lon, lat).
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double radius = 0;
  double width = 0, height = 0;
  double to_meters = 1;
};
// Whether (lon, lat) lies in the shape; *dist is its distance to the centre in meters.
bool InShape(const Shape& shape, double lon, double lat, double* dist);

// The boxes a search walks, in Redis's order: the centre's box, then north, south, east, west,
// north-east, north-west, south-east, south-west; dropped ones are zero.
std::array<Hash, 9> SearchBoxes(const Shape& shape);
// The [min, max) score range of a box.
void BoxScores(Hash hash, double* min, double* max);

// Internal pieces, exposed for tests.
int EstimateSteps(double range_meters, double lat);
Hash Move(Hash hash, int dlon, int dlat);  // the neighbour box, wrapping around

}  // namespace larder::server::geo

#endif  // LARDER_SERVER_GEOHASH_H_
