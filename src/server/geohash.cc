#include "server/geohash.h"

#include <cmath>

namespace larder::server::geo {
namespace {

constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};
constexpr double kMercatorMax = 20037726.37;  // half the Earth's circumference in Web Mercator
constexpr char kBase32[] = "0123456789bcdefghjkmnpqrstuvwxyz";

// Spreads the 32 bits of v to the even bit positions of a 64-bit word.
std::uint64_t Spread(std::uint32_t v) {
  std::uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}
// The inverse: the even bits of x packed into 32 bits.
std::uint32_t Squeeze(std::uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<std::uint32_t>(x);
}

// Latitude at even positions, longitude at odd ones.
std::uint64_t Interleave(std::uint32_t lat, std::uint32_t lon) {
  return Spread(lat) | (Spread(lon) << 1);
}

std::uint64_t Align52(Hash h) { return h.bits << (52 - h.step * 2); }

// The bounding box of a shape: [min_lon, min_lat, max_lon, max_lat].
std::array<double, 4> BoundingBox(const Shape& s) {
  const double height = s.to_meters * (s.box ? s.height / 2 : s.radius);
  const double width = s.to_meters * (s.box ? s.width / 2 : s.radius);
  const double lat_delta = RadToDeg(height / kEarthRadiusMeters);
  const double lon_delta_top =
      RadToDeg(width / kEarthRadiusMeters / std::cos(DegToRad(s.lat + lat_delta)));
  const double lon_delta_bottom =
      RadToDeg(width / kEarthRadiusMeters / std::cos(DegToRad(s.lat - lat_delta)));
  // The wider edge is the one nearer the equator.
  const bool south = s.lat < 0;
  const double lon_delta = south ? lon_delta_bottom : lon_delta_top;
  return {s.lon - lon_delta, s.lat - lat_delta, s.lon + lon_delta, s.lat + lat_delta};
}

struct Neighbours {
  Hash north, south, east, west, north_east, north_west, south_east, south_west;
};

Neighbours NeighboursOf(Hash h) {
  return {Move(h, 0, 1), Move(h, 0, -1), Move(h, 1, 0),  Move(h, -1, 0),
          Move(h, 1, 1), Move(h, -1, 1), Move(h, 1, -1), Move(h, -1, -1)};
}

}  // namespace

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Hash* out) {
  if (step > 32 || step == 0) return false;
  if (!ValidLonLat(lon, lat)) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(std::uint64_t{1} << step);
  lon_offset *= static_cast<double>(std::uint64_t{1} << step);
  out->step = step;
  out->bits =
      Interleave(static_cast<std::uint32_t>(lat_offset), static_cast<std::uint32_t>(lon_offset));
  return true;
}

bool EncodeWgs84(double lon, double lat, int step, Hash* out) {
  return Encode(kLonRange, kLatRange, lon, lat, step, out);
}

Area Decode(Range lon_range, Range lat_range, Hash hash) {
  const std::uint32_t ilat = Squeeze(hash.bits);
  const std::uint32_t ilon = Squeeze(hash.bits >> 1);
  const double cells = static_cast<double>(std::uint64_t{1} << hash.step);
  const double lat_scale = lat_range.max - lat_range.min;
  const double lon_scale = lon_range.max - lon_range.min;
  Area a;
  a.lat.min = lat_range.min + (ilat * 1.0 / cells) * lat_scale;
  a.lat.max = lat_range.min + ((ilat + 1) * 1.0 / cells) * lat_scale;
  a.lon.min = lon_range.min + (ilon * 1.0 / cells) * lon_scale;
  a.lon.max = lon_range.min + ((ilon + 1) * 1.0 / cells) * lon_scale;
  return a;
}

void DecodeScore(double score, double* lon, double* lat) {
  // A score no GEOADD wrote (negative, NaN, past 64 bits) decodes as geohash 0, not as UB.
  const bool representable = score >= 0 && score < 18446744073709551616.0;
  Hash h{representable ? static_cast<std::uint64_t>(score) : 0, kStepMax};
  Area a = Decode(kLonRange, kLatRange, h);
  *lon = std::fmin(std::fmax((a.lon.min + a.lon.max) / 2, kLonMin), kLonMax);
  *lat = std::fmin(std::fmax((a.lat.min + a.lat.max) / 2, kLatMin), kLatMax);
}

double ScoreOf(double lon, double lat) {
  Hash h;
  (void)EncodeWgs84(lon, lat, kStepMax, &h);
  return static_cast<double>(Align52(h));
}

bool ValidLonLat(double lon, double lat) {
  return !(lon > kLonMax || lon < kLonMin || lat > kLatMax || lat < kLatMin);
}

std::string GeohashString(double lon, double lat) {
  Hash h;
  (void)Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kStepMax, &h);
  std::string out(11, '0');
  for (int i = 0; i < 10; ++i) out[i] = kBase32[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
  // 52 bits fill 10 characters and 2 bits: the 11th is written as 0, as Redis does.
  return out;
}

double DegToRad(double deg) { return deg * (M_PI / 180.0); }
double RadToDeg(double rad) { return rad / (M_PI / 180.0); }

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(DegToRad(lat2) - DegToRad(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  const double v = std::sin((DegToRad(lon2) - DegToRad(lon1)) / 2);
  if (v == 0.0) return LatDistance(lat1, lat2);  // same meridian
  const double lat1r = DegToRad(lat1);
  const double lat2r = DegToRad(lat2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

bool InShape(const Shape& s, double lon, double lat, double* dist) {
  if (!s.box) {
    *dist = Distance(s.lon, s.lat, lon, lat);
    return *dist <= s.radius * s.to_meters;
  }
  const double width = s.width * s.to_meters;
  const double height = s.height * s.to_meters;
  if (LatDistance(lat, s.lat) > height / 2) return false;
  if (Distance(lon, lat, s.lon, lat) > width / 2) return false;
  *dist = Distance(s.lon, s.lat, lon, lat);
  return true;
}

int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;  // so that the range fits the centre's box and its neighbours in most cases
  if (lat > 66 || lat < -66) {  // boxes narrow towards the poles
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

Hash Move(Hash h, int dlon, int dlat) {
  // A coordinate that does not move keeps every bit, even one past the step (the index 2^step
  // of longitude 180 or latitude 85.05112878), as Redis's neighbour computation does.
  const std::uint64_t mask = (std::uint64_t{1} << h.step) - 1;
  std::uint64_t lat = Squeeze(h.bits);
  std::uint64_t lon = Squeeze(h.bits >> 1);
  if (dlon != 0) lon = (lon + static_cast<std::uint64_t>(static_cast<std::int64_t>(dlon))) & mask;
  if (dlat != 0) lat = (lat + static_cast<std::uint64_t>(static_cast<std::int64_t>(dlat))) & mask;
  return {Interleave(static_cast<std::uint32_t>(lat), static_cast<std::uint32_t>(lon)), h.step};
}

std::array<Hash, 9> SearchBoxes(const Shape& s) {
  const std::array<double, 4> bounds = BoundingBox(s);
  const double min_lon = bounds[0], min_lat = bounds[1], max_lon = bounds[2], max_lat = bounds[3];
  // The box's half diagonal for a rectangle.
  double radius =
      s.box ? std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2)) : s.radius;
  radius *= s.to_meters;
  int steps = EstimateSteps(radius, s.lat);
  Hash hash;
  (void)EncodeWgs84(s.lon, s.lat, steps, &hash);
  Neighbours n = NeighboursOf(hash);
  Area area = Decode(kLonRange, kLatRange, hash);
  // Near a box's edge the neighbours may not reach the shape's bounds: one step coarser then.
  const bool decrease = Decode(kLonRange, kLatRange, n.north).lat.max < max_lat ||
                        Decode(kLonRange, kLatRange, n.south).lat.min > min_lat ||
                        Decode(kLonRange, kLatRange, n.east).lon.max < max_lon ||
                        Decode(kLonRange, kLatRange, n.west).lon.min > min_lon;
  if (steps > 1 && decrease) {
    steps--;
    (void)EncodeWgs84(s.lon, s.lat, steps, &hash);
    n = NeighboursOf(hash);
    area = Decode(kLonRange, kLatRange, hash);
  }
  // Drop the neighbours on a side the shape does not reach.
  if (steps >= 2) {
    if (area.lat.min < min_lat) n.south = n.south_west = n.south_east = Hash{};
    if (area.lat.max > max_lat) n.north = n.north_east = n.north_west = Hash{};
    if (area.lon.min < min_lon) n.west = n.south_west = n.north_west = Hash{};
    if (area.lon.max > max_lon) n.east = n.south_east = n.north_east = Hash{};
  }
  return {hash,         n.north,      n.south,      n.east,      n.west,
          n.north_east, n.north_west, n.south_east, n.south_west};
}

void BoxScores(Hash hash, double* min, double* max) {
  *min = static_cast<double>(Align52(hash));
  hash.bits++;
  *max = static_cast<double>(Align52(hash));
}

}  // namespace larder::server::geo
