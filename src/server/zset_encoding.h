// The records of a sorted set, under its collection version (Database's raw record calls). Each
// record starts with a one-byte sub-tag; docs/formats/larderd.md ("Sorted sets") has the layout:
//
//   'm' member                  -> score: the double's IEEE bits, u64be (exactly as given)
//   's' ordered(8) member       -> "" (or "-" for a score of -0.0): the score index
//
// (The rank index is in memory: rank_cache.h. Files written before December 2026 also
// hold its old on-disk records under sub-tags 'r' and 't'; nothing reads them, and they go with
// their set.)
//
// An *entry* is the part of a score-index record after its sub-tag: ordered(8) member, where
// ordered() maps doubles to u64be keys whose byte order is the numeric order (-0.0 as 0.0).
//
// Thread-safety: pure functions.
#ifndef LARDER_SERVER_ZSET_ENCODING_H_
#define LARDER_SERVER_ZSET_ENCODING_H_

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/key_encoding.h"

namespace larder::server::zenc {

inline constexpr char kMemberSub = 'm';
inline constexpr char kScoreSub = 's';
// A sub-tag past the score index: a reverse walk from it starts at the last score record.
inline constexpr char kPastScoreSub = 't';
inline constexpr std::size_t kOrderedSize = 8;

// The order-preserving image of a double (REQUIRES: not NaN); -0.0 maps as 0.0.
inline std::uint64_t Ordered(double score) {
  if (score == 0) score = 0;  // -0.0 -> +0.0
  const auto bits = std::bit_cast<std::uint64_t>(score);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}
inline double FromOrdered(std::uint64_t ordered) {
  const std::uint64_t bits = (ordered >> 63) != 0 ? ordered & ~(std::uint64_t{1} << 63) : ~ordered;
  return std::bit_cast<double>(bits);
}

// 's' ordered(score) member (with `sub` another level's tag).
inline std::string EntryRecord(char sub, std::uint64_t ordered, std::string_view member) {
  std::string out(1, sub);
  enc::AppendBe64(&out, ordered);
  out.append(member);
  return out;
}
inline std::string EntryRecord(char sub, std::string_view entry) {
  std::string out(1, sub);
  out.append(entry);
  return out;
}
inline std::string MemberRecord(std::string_view member) {
  std::string out(1, kMemberSub);
  out.append(member);
  return out;
}

inline std::string EncodeScore(double score) {
  return enc::Be64(std::bit_cast<std::uint64_t>(score));
}
inline double DecodeScore(std::string_view value) {
  return value.size() == 8 ? std::bit_cast<double>(enc::ReadBe64(value)) : 0.0;
}

// A score-index record's score and member (REQUIRES: record is 's' + entry).
inline double EntryScore(std::string_view record, std::string_view value) {
  if (!value.empty()) return -0.0;
  return FromOrdered(enc::ReadBe64(record.substr(1)));
}
inline std::string_view EntryMember(std::string_view record) {
  return record.substr(1 + kOrderedSize);
}
inline bool IsScoreRecord(std::string_view record) {
  return record.size() >= 1 + kOrderedSize && record[0] == kScoreSub;
}

}  // namespace larder::server::zenc

#endif  // LARDER_SERVER_ZSET_ENCODING_H_
