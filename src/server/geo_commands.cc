// The geo commands of Redis 7.0 over sorted sets (zset_store.h): GEOADD GEOPOS GEODIST GEOHASH
// GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER and the _RO forms. A member's score is
// its 52-bit geohash (geohash.h), so ZRANGE/ZSCORE show what Redis shows; the argument checks,
// their order, the errors and the reply formats follow Redis 7.0.15.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/command.h"
#include "server/geohash.h"
#include "server/keyspace.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/string_family.h"
#include "server/zset_store.h"

namespace larder::server {
namespace {

// ---- Arguments ----

bool ParseDoubleOrReply(CommandContext& ctx, std::string_view s, std::string_view error,
                        double* out) {
  std::optional<double> v = ParseDouble(s);
  if (!v) {
    ctx.reply.Error(error);
    return false;
  }
  *out = *v;
  return true;
}

// "m", "km", "ft", "mi" -> meters per unit; nullopt after replying the error.
std::optional<double> ParseUnit(CommandContext& ctx, std::string_view s) {
  if (EqualsIgnoreCase(s, "m")) return 1.0;
  if (EqualsIgnoreCase(s, "km")) return 1000.0;
  if (EqualsIgnoreCase(s, "ft")) return 0.3048;
  if (EqualsIgnoreCase(s, "mi")) return 1609.34;
  ctx.reply.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return std::nullopt;
}

bool ParseLonLat(CommandContext& ctx, std::size_t at, double* lon, double* lat) {
  if (!ParseDoubleOrReply(ctx, ctx.argv[at], errors::kNotFloat, lon) ||
      !ParseDoubleOrReply(ctx, ctx.argv[at + 1], errors::kNotFloat, lat)) {
    return false;
  }
  if (!geo::ValidLonLat(*lon, *lat)) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.reply.Error(buf);
    return false;
  }
  return true;
}

// <radius> <unit> at argv[at].
bool ParseRadius(CommandContext& ctx, std::size_t at, geo::Shape* shape) {
  double radius;
  if (!ParseDoubleOrReply(ctx, ctx.argv[at], "ERR need numeric radius", &radius)) return false;
  if (radius < 0) {
    ctx.reply.Error("ERR radius cannot be negative");
    return false;
  }
  std::optional<double> unit = ParseUnit(ctx, ctx.argv[at + 1]);
  if (!unit) return false;
  shape->box = false;
  shape->radius = radius;
  shape->to_meters = *unit;
  return true;
}

// <width> <height> <unit> at argv[at].
bool ParseBox(CommandContext& ctx, std::size_t at, geo::Shape* shape) {
  double w, h;
  if (!ParseDoubleOrReply(ctx, ctx.argv[at], "ERR need numeric width", &w) ||
      !ParseDoubleOrReply(ctx, ctx.argv[at + 1], "ERR need numeric height", &h)) {
    return false;
  }
  if (h < 0 || w < 0) {
    ctx.reply.Error("ERR height or width cannot be negative");
    return false;
  }
  std::optional<double> unit = ParseUnit(ctx, ctx.argv[at + 2]);
  if (!unit) return false;
  shape->box = true;
  shape->width = w;
  shape->height = h;
  shape->to_meters = *unit;
  return true;
}

// ---- Replies ----

// A coordinate as Redis's addReplyHumanLongDouble: %.17Lf without trailing zeros; a double
// in RESP3.
void ReplyCoordinate(CommandContext& ctx, double v) {
  std::string text = FormatLongDouble(v);
  if (ctx.reply.protocol() >= 3) {
    ctx.reply.buffer()->append("," + text + "\r\n");
  } else {
    ctx.reply.Bulk(text);
  }
}

void ReplyPosition(CommandContext& ctx, double score) {
  double lon, lat;
  geo::DecodeScore(score, &lon, &lat);
  ctx.reply.ArrayHeader(2);
  ReplyCoordinate(ctx, lon);
  ReplyCoordinate(ctx, lat);
}

// A distance as Redis prints it: "%.4f", a bulk string in both protocols.
void ReplyDistance(CommandContext& ctx, double d) {
  char buf[128];
  int len = std::snprintf(buf, sizeof(buf), "%.4f", d);
  ctx.reply.Bulk(std::string_view(buf, len > 0 ? static_cast<std::size_t>(len) : 0));
}

// Loads argv[1] as a sorted set for a read command; replies WRONGTYPE and returns nullopt for
// another type.
Result<std::optional<ZSetStore::State>> LoadForRead(CommandContext& ctx, ZSetStore& z) {
  LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, z.Load());
  CountRead(ctx, state != ZSetStore::State::kMissing);
  if (state == ZSetStore::State::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return std::optional<ZSetStore::State>();
  }
  return std::optional<ZSetStore::State>(state);
}

// ---- GEOADD GEOPOS GEODIST GEOHASH ----

Status GeoAdd(CommandContext& ctx) {
  std::uint32_t flags = 0;
  bool ch = false;
  std::size_t at = 2;
  for (; at < ctx.argv.size(); ++at) {
    if (EqualsIgnoreCase(ctx.argv[at], "nx")) {
      flags |= kZAddNx;
    } else if (EqualsIgnoreCase(ctx.argv[at], "xx")) {
      flags |= kZAddXx;
    } else if (EqualsIgnoreCase(ctx.argv[at], "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  const std::size_t rest = ctx.argv.size() - at;
  if (rest % 3 != 0 || rest == 0 || ((flags & kZAddNx) && (flags & kZAddXx))) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  std::vector<double> scores;
  for (std::size_t i = at; i < ctx.argv.size(); i += 3) {
    double lon, lat;
    if (!ParseLonLat(ctx, i, &lon, &lat)) return Status::Ok();
    scores.push_back(geo::ScoreOf(lon, lat));
  }
  std::string_view key = ctx.argv[1];
  ZSetStore z(ctx.db, key, ZSetLimitsFor(ctx));
  LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, z.Load());
  if (state == ZSetStore::State::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  std::int64_t added = 0, updated = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(ZAddResult r, z.Add(ctx.argv[at + i * 3 + 2], scores[i], flags));
    if (r.outcome == ZAddOutcome::kAdded) ++added;
    if (r.outcome == ZAddOutcome::kUpdated) ++updated;
  }
  LARDER_RETURN_IF_ERROR(z.Commit());
  if (added + updated > 0) NotifyKeyspaceEvent(ctx, kNotifyZSet, "zadd", key);
  ctx.reply.Integer(ch ? added + updated : added);
  return Status::Ok();
}

// The scores of the members argv[2..] (nullopt: no such member, or no such key), after
// loading argv[1]; nullopt after replying WRONGTYPE.
Result<std::optional<std::vector<std::optional<double>>>> MemberScores(CommandContext& ctx) {
  using Scores = std::vector<std::optional<double>>;
  ZSetStore z(ctx.db, ctx.argv[1], ZSetLimitsFor(ctx));
  LARDER_ASSIGN_OR_RETURN(std::optional<ZSetStore::State> state, LoadForRead(ctx, z));
  if (!state) return std::optional<Scores>();
  Scores scores(ctx.argv.size() - 2);
  for (std::size_t i = 2; i < ctx.argv.size() && *state == ZSetStore::State::kZSet; ++i) {
    LARDER_ASSIGN_OR_RETURN(scores[i - 2], z.Score(ctx.argv[i]));
  }
  return std::optional<Scores>(std::move(scores));
}

Status GeoPos(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(auto scores, MemberScores(ctx));
  if (!scores) return Status::Ok();
  ctx.reply.ArrayHeader(scores->size());
  for (const std::optional<double>& score : *scores) {
    if (score) {
      ReplyPosition(ctx, *score);
    } else {
      ctx.reply.NullArray();
    }
  }
  return Status::Ok();
}

Status GeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.argv.size() == 5) {
    std::optional<double> unit = ParseUnit(ctx, ctx.argv[4]);
    if (!unit) return Status::Ok();
    to_meters = *unit;
  } else if (ctx.argv.size() > 5) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  ZSetStore z(ctx.db, ctx.argv[1], ZSetLimitsFor(ctx));
  LARDER_ASSIGN_OR_RETURN(std::optional<ZSetStore::State> state, LoadForRead(ctx, z));
  if (!state) return Status::Ok();
  std::optional<double> s1, s2;
  if (*state == ZSetStore::State::kZSet) {
    LARDER_ASSIGN_OR_RETURN(s1, z.Score(ctx.argv[2]));
    if (s1) {
      LARDER_ASSIGN_OR_RETURN(s2, z.Score(ctx.argv[3]));
    }
  }
  if (!s1 || !s2) {
    ctx.reply.Null();
    return Status::Ok();
  }
  double lon1, lat1, lon2, lat2;
  geo::DecodeScore(*s1, &lon1, &lat1);
  geo::DecodeScore(*s2, &lon2, &lat2);
  ReplyDistance(ctx, geo::Distance(lon1, lat1, lon2, lat2) / to_meters);
  return Status::Ok();
}

Status GeoHash(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(auto scores, MemberScores(ctx));
  if (!scores) return Status::Ok();
  ctx.reply.ArrayHeader(scores->size());
  for (const std::optional<double>& score : *scores) {
    if (!score) {
      ctx.reply.Null();
      continue;
    }
    double lon, lat;
    geo::DecodeScore(*score, &lon, &lat);
    ctx.reply.Bulk(geo::GeohashString(lon, lat));
  }
  return Status::Ok();
}

// ---- GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER ----

enum SearchFlag : unsigned {
  kByCoords = 1u << 0,     // GEORADIUS[_RO]: lon lat radius unit
  kByMember = 1u << 1,     // GEORADIUSBYMEMBER[_RO]: member radius unit
  kSearch = 1u << 2,       // GEOSEARCH[STORE]: FROM... BY... options
  kSearchStore = 1u << 3,  // GEOSEARCHSTORE dest src
  kNoStore = 1u << 4,      // the _RO forms
};

struct GeoPoint {
  std::string member;
  double score;
  double dist;  // meters, then in the query's unit
};

// The members of `z` within the shape, walking the search boxes in Redis's order; with a
// `limit` (COUNT ... ANY), stops once that many are found.
Result<std::vector<GeoPoint>> FindInShape(ZSetStore& z, const geo::Shape& shape,
                                          std::size_t limit) {
  std::vector<GeoPoint> found;
  const std::array<geo::Hash, 9> boxes = geo::SearchBoxes(shape);
  std::size_t last = 0;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    if (boxes[i].IsZero()) continue;
    // With a huge radius neighbours repeat; Redis skips a repeat of the box processed last
    // (except of the centre's box: its check starts from the second box processed).
    if (last != 0 && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) {
      continue;
    }
    if (limit != 0 && found.size() >= limit) break;
    ZScoreRange range;
    geo::BoxScores(boxes[i], &range.min.value, &range.max.value);
    range.max.exclusive = true;
    LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> members, z.RangeByScore(range));
    for (ZMember& m : members) {
      double lon, lat, dist = 0;
      geo::DecodeScore(m.score, &lon, &lat);
      if (!geo::InShape(shape, lon, lat, &dist)) continue;
      found.push_back(GeoPoint{std::move(m.member), m.score, dist});
      if (limit != 0 && found.size() >= limit) break;
    }
    last = i;
  }
  return found;
}

struct SearchOptions {
  bool withdist = false, withhash = false, withcoord = false, any = false;
  int sort = 0;  // 0 none, 1 ascending, -1 descending
  std::int64_t count = 0;
  std::optional<std::string_view> store;
  bool storedist = false;
  bool frommember = false, fromlonlat = false, byradius = false, bybox = false;
};

// Stores the results as a sorted set at `dest` (scores: geohashes, or distances with STOREDIST),
// replacing what it held; nothing found deletes it. Replies the count.
Status StoreResults(CommandContext& ctx, std::string_view dest, const std::vector<GeoPoint>& pts,
                    std::size_t n, bool storedist, bool search) {
  LARDER_ASSIGN_OR_RETURN(bool deleted, ctx.db.Delete(dest));
  if (n > 0) {
    ZSetStore out(ctx.db, dest, ZSetLimitsFor(ctx));
    LARDER_RETURN_IF_ERROR(out.Reset());
    for (std::size_t i = 0; i < n; ++i) {
      LARDER_RETURN_IF_ERROR(
          out.Add(pts[i].member, storedist ? pts[i].dist : pts[i].score).status());
    }
    LARDER_RETURN_IF_ERROR(out.Commit());
    NotifyKeyspaceEvent(ctx, kNotifyZSet, search ? "geosearchstore" : "georadiusstore", dest);
  } else if (deleted) {
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dest);
  }
  ctx.reply.Integer(static_cast<std::int64_t>(n));
  return Status::Ok();
}

void ReplyResults(CommandContext& ctx, const SearchOptions& o, const std::vector<GeoPoint>& pts,
                  std::size_t n) {
  const std::size_t extras = (o.withdist ? 1 : 0) + (o.withhash ? 1 : 0) + (o.withcoord ? 1 : 0);
  ctx.reply.ArrayHeader(n);
  for (std::size_t i = 0; i < n; ++i) {
    const GeoPoint& p = pts[i];
    if (extras != 0) ctx.reply.ArrayHeader(extras + 1);
    ctx.reply.Bulk(p.member);
    if (o.withdist) ReplyDistance(ctx, p.dist);
    if (o.withhash) ctx.reply.Integer(static_cast<std::int64_t>(p.score));
    if (o.withcoord) ReplyPosition(ctx, p.score);
  }
}

// Parses the options after argv[base]; replies the error and returns false on one. The FROM
// and BY options fill *shape (FROMMEMBER reads the member's position when the set exists).
Result<bool> ParseSearchOptions(CommandContext& ctx, unsigned flags, std::size_t base, ZSetStore& z,
                                bool src_exists, geo::Shape* shape, SearchOptions* o) {
  const std::size_t argc = ctx.argv.size();
  const bool search = (flags & kSearch) != 0;
  const bool can_store = !(flags & kNoStore) && !search;
  for (std::size_t i = base; i < argc; ++i) {
    std::string_view arg = ctx.argv[i];
    const std::size_t left = argc - i - 1;  // arguments after this one
    if (EqualsIgnoreCase(arg, "withdist")) {
      o->withdist = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      o->withhash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      o->withcoord = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      o->any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      o->sort = 1;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      o->sort = -1;
    } else if (EqualsIgnoreCase(arg, "count") && left >= 1) {
      std::optional<std::int64_t> count = ParseInt64(ctx.argv[++i]);
      if (!count) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      if (*count <= 0) {
        ctx.reply.Error("ERR COUNT must be > 0");
        return false;
      }
      o->count = *count;
    } else if ((EqualsIgnoreCase(arg, "store") || EqualsIgnoreCase(arg, "storedist")) &&
               left >= 1 && can_store) {
      o->store = ctx.argv[++i];
      o->storedist = EqualsIgnoreCase(arg, "storedist");
    } else if (EqualsIgnoreCase(arg, "storedist") && (flags & kSearchStore)) {
      o->storedist = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && left >= 1 && search && !o->fromlonlat) {
      std::string_view member = ctx.argv[++i];
      o->frommember = true;
      if (!src_exists) continue;  // no source: parse on, the reply is the empty one
      LARDER_ASSIGN_OR_RETURN(std::optional<double> score, z.Score(member));
      if (!score) {
        ctx.reply.Error("ERR could not decode requested zset member");
        return false;
      }
      geo::DecodeScore(*score, &shape->lon, &shape->lat);
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && left >= 2 && search && !o->frommember) {
      if (!ParseLonLat(ctx, i + 1, &shape->lon, &shape->lat)) return false;
      o->fromlonlat = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && left >= 2 && search && !o->bybox) {
      if (!ParseRadius(ctx, i + 1, shape)) return false;
      o->byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && left >= 3 && search && !o->byradius) {
      if (!ParseBox(ctx, i + 1, shape)) return false;
      o->bybox = true;
      i += 3;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  std::string error;
  if (o->store && (o->withdist || o->withhash || o->withcoord)) {
    error = std::string("ERR ") +
            ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
            " is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
  } else if (search && !o->frommember && !o->fromlonlat) {
    error = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
            std::string(ctx.argv[0]);
  } else if (search && !o->byradius && !o->bybox) {
    error =
        "ERR exactly one of BYRADIUS and BYBOX can be specified for " + std::string(ctx.argv[0]);
  } else if (o->any && o->count == 0) {
    error = "ERR the ANY argument requires COUNT argument";
  }
  if (!error.empty()) {
    ctx.reply.Error(error);
    return false;
  }
  return true;
}

Status Search(CommandContext& ctx, unsigned flags) {
  const std::size_t src_index = (flags & kSearchStore) ? 2 : 1;
  ZSetStore z(ctx.db, ctx.argv[src_index], ZSetLimitsFor(ctx));
  LARDER_ASSIGN_OR_RETURN(std::optional<ZSetStore::State> state, LoadForRead(ctx, z));
  if (!state) return Status::Ok();
  const bool exists = *state == ZSetStore::State::kZSet;
  geo::Shape shape;
  SearchOptions o;
  std::size_t base;
  if (flags & kByCoords) {
    base = 6;
    if (!ParseLonLat(ctx, 2, &shape.lon, &shape.lat) || !ParseRadius(ctx, 4, &shape)) {
      return Status::Ok();
    }
  } else if (flags & kByMember) {
    base = 5;
    if (exists) {
      LARDER_ASSIGN_OR_RETURN(std::optional<double> score, z.Score(ctx.argv[2]));
      if (!score) {
        ctx.reply.Error("ERR could not decode requested zset member");
        return Status::Ok();
      }
      geo::DecodeScore(*score, &shape.lon, &shape.lat);
      if (!ParseRadius(ctx, 3, &shape)) return Status::Ok();
    }
  } else {
    base = (flags & kSearchStore) ? 3 : 2;
    if (flags & kSearchStore) o.store = ctx.argv[1];
  }
  LARDER_ASSIGN_OR_RETURN(bool ok, ParseSearchOptions(ctx, flags, base, z, exists, &shape, &o));
  if (!ok) return Status::Ok();
  std::vector<GeoPoint> pts;
  if (exists) {
    // COUNT without ANY keeps the nearest: sorted ascending unless told otherwise.
    if (o.count != 0 && o.sort == 0 && !o.any) o.sort = 1;
    LARDER_ASSIGN_OR_RETURN(pts,
                            FindInShape(z, shape, o.any ? static_cast<std::size_t>(o.count) : 0));
  }
  const std::size_t n =
      o.count == 0 ? pts.size() : std::min(pts.size(), static_cast<std::size_t>(o.count));
  if (o.sort != 0) {
    const int dir = o.sort;
    std::stable_sort(pts.begin(), pts.end(), [dir](const GeoPoint& a, const GeoPoint& b) {
      return dir > 0 ? a.dist < b.dist : a.dist > b.dist;
    });
  }
  for (GeoPoint& p : pts) p.dist /= shape.to_meters;
  if (o.store) return StoreResults(ctx, *o.store, pts, n, o.storedist, (flags & kSearch) != 0);
  ReplyResults(ctx, o, pts, n);
  return Status::Ok();
}

Status GeoSearch(CommandContext& ctx) { return Search(ctx, kSearch); }
Status GeoSearchStore(CommandContext& ctx) { return Search(ctx, kSearch | kSearchStore); }
Status GeoRadius(CommandContext& ctx) { return Search(ctx, kByCoords); }
Status GeoRadiusRo(CommandContext& ctx) { return Search(ctx, kByCoords | kNoStore); }
Status GeoRadiusByMember(CommandContext& ctx) { return Search(ctx, kByMember); }
Status GeoRadiusByMemberRo(CommandContext& ctx) { return Search(ctx, kByMember | kNoStore); }

}  // namespace

void RegisterGeoCommands(CommandTable& table) {
  constexpr std::string_view kGroup = "geo";
  table.Add(FamilySpec(kGroup, "geoadd", -5, kCmdWrite | kCmdDenyOom, 1, 1, 1, GeoAdd,
                       "Adds members with their longitude and latitude to a sorted set", "3.2.0"));
  table.Add(FamilySpec(kGroup, "geopos", -2, kCmdReadOnly, 1, 1, 1, GeoPos,
                       "The longitude and latitude of members", "3.2.0"));
  table.Add(FamilySpec(kGroup, "geodist", -4, kCmdReadOnly, 1, 1, 1, GeoDist,
                       "The distance between two members", "3.2.0"));
  table.Add(FamilySpec(kGroup, "geohash", -2, kCmdReadOnly, 1, 1, 1, GeoHash,
                       "Members' positions as geohash strings", "3.2.0"));
  table.Add(FamilySpec(kGroup, "geosearch", -7, kCmdReadOnly, 1, 1, 1, GeoSearch,
                       "Members within a circle or box", "6.2.0"));
  table.Add(FamilySpec(kGroup, "geosearchstore", -8, kCmdWrite | kCmdDenyOom, 1, 2, 1,
                       GeoSearchStore, "Stores the members within a circle or box", "6.2.0"));
  table.Add(FamilySpec(kGroup, "georadius", -6, kCmdWrite | kCmdDenyOom, 1, 1, 1, GeoRadius,
                       "Members within a radius of a point (optionally stored)", "3.2.0"));
  table.Add(FamilySpec(kGroup, "georadius_ro", -6, kCmdReadOnly, 1, 1, 1, GeoRadiusRo,
                       "Members within a radius of a point", "3.2.10"));
  table.Add(FamilySpec(kGroup, "georadiusbymember", -5, kCmdWrite | kCmdDenyOom, 1, 1, 1,
                       GeoRadiusByMember, "Members within a radius of a member (optionally stored)",
                       "3.2.0"));
  table.Add(FamilySpec(kGroup, "georadiusbymember_ro", -5, kCmdReadOnly, 1, 1, 1,
                       GeoRadiusByMemberRo, "Members within a radius of a member", "3.2.10"));
}

}  // namespace larder::server
