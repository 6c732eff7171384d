// HyperLogLog values in Redis's documented string representation, so that GET/SET of an HLL,
// the corruption checks and the counts behave as Redis 7.0's (docs/formats/larderd.md,
// "HyperLogLog values"):
//
//   header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, the cached
//   cardinality as 8 bytes little-endian whose top bit (of byte 15) set means "stale".
//   dense: 16384 registers of 6 bits, packed from the least significant bit of byte 0 on
//   (12288 bytes). sparse: runs of opcodes: ZERO 00xxxxxx (xxxxxx+1 zero registers), XZERO
//   01xxxxxx yyyyyyyy (14-bit length+1 zero registers), VAL 1vvvvvxx (xx+1 registers of value
//   vvvvv+1); a sparse value is promoted to dense when a register exceeds 32 or the string
//   would grow past hll-sparse-max-bytes.
//
// An element's register and value come from the 64-bit MurmurHash2 (MurmurHash64A, seed
// 0xadc83b19): the low 14 bits choose the register, the value is 1 + the number of trailing
// zeros of the remaining 50 bits (at most 51). The estimate is Ertl's improved estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches", 2017).
//
// Thread-safety: pure functions over caller-owned strings.
#ifndef LARDER_SERVER_HLL_H_
#define LARDER_SERVER_HLL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace larder::server::hll {

inline constexpr int kPrecision = 14;
inline constexpr int kRegisters = 1 << kPrecision;  // 16384
inline constexpr int kQ = 64 - kPrecision;          // bits left for the run length: 50
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;  // 12304
inline constexpr std::uint8_t kDense = 0;
inline constexpr std::uint8_t kSparse = 1;
inline constexpr int kSparseValMax = 32;  // the largest value a VAL opcode holds

// One byte per register (0..51): the form unions and estimates work on.
using Registers = std::array<std::uint8_t, kRegisters>;

// The outcome of changing an HLL value.
enum class Change { kCorrupt = -1, kUnchanged = 0, kUpdated = 1 };

// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2), reading 8-byte blocks little-endian.
std::uint64_t MurmurHash64A(std::string_view data, std::uint64_t seed);

// The register an element lands in and the value it proposes (1..51).
struct Pattern {
  int index;
  std::uint8_t count;
};
Pattern PatternOf(std::string_view element);

// An empty HLL: sparse, one XZERO covering every register, cached cardinality 0 (valid).
std::string NewSparse();

// Whether `value` is an HLL as Redis's PFADD/PFCOUNT accept it: at least a header, "HYLL",
// encoding 0 or 1, and a dense value exactly kDenseSize bytes. (A sparse body may still be
// corrupt: that is found when it is read, kCorrupt / nullopt below.)
bool LooksValid(std::string_view value);
// REQUIRES: LooksValid.
inline bool IsDense(std::string_view value) { return value[4] == kDense; }

bool CacheValid(std::string_view value);
std::uint64_t CachedCardinality(std::string_view value);
void SetCachedCardinality(std::string* value, std::uint64_t card);  // marks it valid
void InvalidateCache(std::string* value);

// Dense register access. REQUIRES: 0 <= index < kRegisters; `regs` points at 12288 bytes.
std::uint8_t DenseGet(const std::uint8_t* regs, int index);
void DenseSet(std::uint8_t* regs, int index, std::uint8_t value);

// Raises register `index` of `value` (REQUIRES: LooksValid) to `count` when it is lower, in
// place, keeping the encoding's rules (sparse opcodes split and merged as Redis does, promotion
// to dense past kSparseValMax or `sparse_max_bytes`). kCorrupt when a sparse body is invalid.
Change SetRegister(std::string* value, int index, std::uint8_t count, std::size_t sparse_max_bytes);
// PFADD of one element: SetRegister with PatternOf(element).
Change Add(std::string* value, std::string_view element, std::size_t sparse_max_bytes);

// Turns a sparse value dense (header and cache kept). False when the sparse body is corrupt
// (the value is then unchanged); true and no change when already dense.
bool ToDense(std::string* value);

// Raises each of *max to the value's register where that is higher. False when corrupt.
bool MergeInto(std::string_view value, Registers* max);

// The estimate from a register histogram (hist[v] = registers of value v, v in 0..kQ+1).
std::uint64_t EstimateFromHistogram(const std::array<int, kQ + 2>& hist);
std::uint64_t Estimate(const Registers& regs);
// The estimate of one value, ignoring its cache; nullopt when corrupt.
std::optional<std::uint64_t> Count(std::string_view value);

// PFDEBUG DECODE's text for a sparse value ("Z:16384", "z:3 v:2,1 ..."); nullopt when corrupt.
std::optional<std::string> DecodeSparse(std::string_view value);

// PFSELFTEST: register packing round trips and the estimate's error over growing cardinalities.
// Empty on success, else what failed.
std::string SelfTest();

}  // namespace larder::server::hll

#endif  // LARDER_SERVER_HLL_H_
