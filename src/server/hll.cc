#include "server/hll.h"

#include <cmath>
#include <cstring>
#include <random>

namespace larder::server::hll {
namespace {

constexpr std::uint64_t kSeed = 0xadc83b19ULL;
constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;
constexpr int kValMaxLen = 4;
constexpr char kMagic[4] = {'H', 'Y', 'L', 'L'};

std::uint8_t* Bytes(std::string* s) { return reinterpret_cast<std::uint8_t*>(s->data()); }
const std::uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// ---- Sparse opcodes ----
bool IsZero(std::uint8_t b) { return (b & 0xc0) == 0x00; }
bool IsXZero(std::uint8_t b) { return (b & 0xc0) == 0x40; }
bool IsVal(std::uint8_t b) { return (b & 0x80) != 0; }
int ZeroLen(std::uint8_t b) { return (b & 0x3f) + 1; }
int XZeroLen(std::uint8_t b0, std::uint8_t b1) { return (((b0 & 0x3f) << 8) | b1) + 1; }
int ValValue(std::uint8_t b) { return ((b >> 2) & 0x1f) + 1; }
int ValLen(std::uint8_t b) { return (b & 0x3) + 1; }
std::uint8_t MakeVal(int value, int len) {
  return static_cast<std::uint8_t>(0x80 | ((value - 1) << 2) | (len - 1));
}
// Appends a run of `len` zero registers as one ZERO or XZERO opcode.
void AppendZeros(std::string* out, int len) {
  if (len > kZeroMaxLen) {
    out->push_back(static_cast<char>(0x40 | ((len - 1) >> 8)));
    out->push_back(static_cast<char>((len - 1) & 0xff));
  } else {
    out->push_back(static_cast<char>(len - 1));
  }
}

// Calls f(first_register, run_length, value) for each opcode of a sparse value. False when the
// body is corrupt: a truncated XZERO, or runs not covering exactly kRegisters registers.
template <typename F>
bool WalkSparse(std::string_view value, F&& f) {
  const std::uint8_t* p = Bytes(value);
  std::size_t pos = kHeaderSize;
  int idx = 0;
  while (pos < value.size()) {
    std::uint8_t b = p[pos];
    int len;
    int v = 0;
    if (IsZero(b)) {
      len = ZeroLen(b);
      pos += 1;
    } else if (IsXZero(b)) {
      if (pos + 1 >= value.size()) return false;
      len = XZeroLen(b, p[pos + 1]);
      pos += 2;
    } else {
      len = ValLen(b);
      v = ValValue(b);
      pos += 1;
    }
    if (idx + len > kRegisters) return false;
    f(idx, len, v);
    idx += len;
  }
  return idx == kRegisters;
}

bool SparseToRegisters(std::string_view value, Registers* regs) {
  return WalkSparse(value, [&](int first, int len, int v) {
    std::memset(regs->data() + first, v, static_cast<std::size_t>(len));
  });
}

Change DenseSetRegister(std::string* value, int index, std::uint8_t count) {
  std::uint8_t* regs = Bytes(value) + kHeaderSize;
  if (DenseGet(regs, index) >= count) return Change::kUnchanged;
  DenseSet(regs, index, count);
  return Change::kUpdated;
}

Change Promote(std::string* value, int index, std::uint8_t count) {
  if (!ToDense(value)) return Change::kCorrupt;
  return DenseSetRegister(value, index, count);
}

// Merges adjacent VAL opcodes of the same value whose runs fit one opcode, looking at up to 5
// opcodes from `start` (the opcode before the one just changed).
void MergeAdjacentVals(std::string* value, std::size_t start) {
  std::size_t pos = start;
  int scan = 5;
  while (pos < value->size() && scan-- > 0) {
    const std::uint8_t* p = Bytes(value);
    if (IsXZero(p[pos])) {
      pos += 2;
      continue;
    }
    if (IsZero(p[pos])) {
      pos += 1;
      continue;
    }
    if (pos + 1 < value->size() && IsVal(p[pos + 1]) && ValValue(p[pos]) == ValValue(p[pos + 1])) {
      int len = ValLen(p[pos]) + ValLen(p[pos + 1]);
      if (len <= kValMaxLen) {
        (*value)[pos + 1] = static_cast<char>(MakeVal(ValValue(p[pos]), len));
        value->erase(pos, 1);
        continue;  // the merged opcode may merge with the next one too
      }
    }
    pos += 1;
  }
}

Change SparseSetRegister(std::string* value, int index, std::uint8_t count,
                         std::size_t sparse_max_bytes) {
  if (count > kSparseValMax) return Promote(value, index, count);
  // Find the opcode covering `index`, and the one before it.
  const std::uint8_t* p = Bytes(value);
  std::size_t pos = kHeaderSize;
  std::size_t prev = 0;  // 0: none
  bool have_prev = false;
  int first = 0;
  int span = 0;
  std::size_t oplen = 1;
  while (pos < value->size()) {
    oplen = 1;
    if (IsZero(p[pos])) {
      span = ZeroLen(p[pos]);
    } else if (IsVal(p[pos])) {
      span = ValLen(p[pos]);
    } else {
      if (pos + 1 >= value->size()) return Change::kCorrupt;
      span = XZeroLen(p[pos], p[pos + 1]);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = pos;
    have_prev = true;
    pos += oplen;
    first += span;
  }
  if (pos >= value->size()) return Change::kCorrupt;
  const std::uint8_t op = p[pos];
  const bool is_val = IsVal(op);
  if (is_val) {
    if (ValValue(op) >= count) return Change::kUnchanged;
  }
  if (span == 1) {  // a VAL or ZERO of one register: rewrite it in place
    (*value)[pos] = static_cast<char>(MakeVal(count, 1));
  } else {
    // Split the run into (left part, the new VAL, right part).
    const int last = first + span - 1;
    std::string seq;
    if (is_val) {
      const int cur = ValValue(op);
      if (index != first) seq.push_back(static_cast<char>(MakeVal(cur, index - first)));
      seq.push_back(static_cast<char>(MakeVal(count, 1)));
      if (index != last) seq.push_back(static_cast<char>(MakeVal(cur, last - index)));
    } else {
      if (index != first) AppendZeros(&seq, index - first);
      seq.push_back(static_cast<char>(MakeVal(count, 1)));
      if (index != last) AppendZeros(&seq, last - index);
    }
    const std::ptrdiff_t delta =
        static_cast<std::ptrdiff_t>(seq.size()) - static_cast<std::ptrdiff_t>(oplen);
    if (delta > 0 && value->size() + static_cast<std::size_t>(delta) > sparse_max_bytes) {
      return Promote(value, index, count);
    }
    value->replace(pos, oplen, seq);
  }
  MergeAdjacentVals(value, have_prev ? prev : kHeaderSize);
  return Change::kUpdated;
}

// Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), summed until it no longer changes.
double Sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0;
  double z = x;
  double z_prev;
  do {
    x *= x;
    z_prev = z;
    z += x * y;
    y += y;
  } while (z_prev != z);
  return z;
}

// Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3.
double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double z_prev;
  do {
    x = std::sqrt(x);
    z_prev = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z_prev != z);
  return z / 3.0;
}

}  // namespace

std::uint64_t MurmurHash64A(std::string_view data, std::uint64_t seed) {
  constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const std::uint8_t* p = Bytes(data);
  const std::size_t n = data.size();
  std::uint64_t h = seed ^ (n * m);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t k = 0;
    for (int b = 7; b >= 0; --b) k = (k << 8) | p[i + b];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const std::size_t rest = n - i;
  if (rest > 0) {
    for (std::size_t b = rest; b-- > 0;) h ^= static_cast<std::uint64_t>(p[i + b]) << (8 * b);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Pattern PatternOf(std::string_view element) {
  std::uint64_t hash = MurmurHash64A(element, kSeed);
  const int index = static_cast<int>(hash & (kRegisters - 1));
  hash >>= kPrecision;
  hash |= std::uint64_t{1} << kQ;  // bounds the count at kQ + 1
  return {index, static_cast<std::uint8_t>(__builtin_ctzll(hash) + 1)};
}

std::string NewSparse() {
  std::string v(kHeaderSize, '\0');
  std::memcpy(v.data(), kMagic, 4);
  v[4] = static_cast<char>(kSparse);
  AppendZeros(&v, kXZeroMaxLen);
  return v;
}

bool LooksValid(std::string_view value) {
  if (value.size() < kHeaderSize || std::memcmp(value.data(), kMagic, 4) != 0) return false;
  const auto enc = static_cast<std::uint8_t>(value[4]);
  if (enc > kSparse) return false;
  return enc != kDense || value.size() == kDenseSize;
}

bool CacheValid(std::string_view value) { return (Bytes(value)[15] & 0x80) == 0; }

std::uint64_t CachedCardinality(std::string_view value) {
  std::uint64_t card = 0;
  for (int i = 7; i >= 0; --i) card = (card << 8) | Bytes(value)[8 + i];
  return card;
}

void SetCachedCardinality(std::string* value, std::uint64_t card) {
  for (int i = 0; i < 8; ++i) Bytes(value)[8 + i] = static_cast<std::uint8_t>(card >> (8 * i));
}

void InvalidateCache(std::string* value) { Bytes(value)[15] |= 0x80; }

std::uint8_t DenseGet(const std::uint8_t* regs, int index) {
  const std::size_t bit = static_cast<std::size_t>(index) * 6;
  const std::size_t byte = bit / 8;
  const unsigned shift = bit % 8;
  unsigned v = regs[byte] >> shift;
  if (shift > 2) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - shift);
  return static_cast<std::uint8_t>(v & 63);
}

void DenseSet(std::uint8_t* regs, int index, std::uint8_t value) {
  const std::size_t bit = static_cast<std::size_t>(index) * 6;
  const std::size_t byte = bit / 8;
  const unsigned shift = bit % 8;
  const unsigned v = value & 63u;
  regs[byte] = static_cast<std::uint8_t>((regs[byte] & ~(63u << shift)) | (v << shift));
  if (shift > 2) {
    const unsigned hi = 8 - shift;
    regs[byte + 1] = static_cast<std::uint8_t>((regs[byte + 1] & ~(63u >> hi)) | (v >> hi));
  }
}

Change SetRegister(std::string* value, int index, std::uint8_t count,
                   std::size_t sparse_max_bytes) {
  if (IsDense(*value)) return DenseSetRegister(value, index, count);
  return SparseSetRegister(value, index, count, sparse_max_bytes);
}

Change Add(std::string* value, std::string_view element, std::size_t sparse_max_bytes) {
  const Pattern pat = PatternOf(element);
  return SetRegister(value, pat.index, pat.count, sparse_max_bytes);
}

bool ToDense(std::string* value) {
  if (IsDense(*value)) return true;
  Registers regs{};
  if (!SparseToRegisters(*value, &regs)) return false;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), value->data(), kHeaderSize);  // magic and cached cardinality
  dense[4] = static_cast<char>(kDense);
  std::uint8_t* out = Bytes(&dense) + kHeaderSize;
  for (int i = 0; i < kRegisters; ++i) {
    if (regs[i] != 0) DenseSet(out, i, regs[i]);
  }
  *value = std::move(dense);
  return true;
}

bool MergeInto(std::string_view value, Registers* max) {
  if (IsDense(value)) {
    const std::uint8_t* regs = Bytes(value) + kHeaderSize;
    for (int i = 0; i < kRegisters; ++i) {
      std::uint8_t v = DenseGet(regs, i);
      if (v > (*max)[i]) (*max)[i] = v;
    }
    return true;
  }
  return WalkSparse(value, [&](int first, int len, int v) {
    for (int i = first; i < first + len; ++i) {
      if (v > (*max)[i]) (*max)[i] = static_cast<std::uint8_t>(v);
    }
  });
}

std::uint64_t EstimateFromHistogram(const std::array<int, kQ + 2>& hist) {
  const double m = kRegisters;
  double z = m * Tau((m - hist[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += hist[j];
    z *= 0.5;
  }
  z += m * Sigma(hist[0] / m);
  return static_cast<std::uint64_t>(std::llroundl(kAlphaInf * m * m / z));
}

std::uint64_t Estimate(const Registers& regs) {
  std::array<int, kQ + 2> hist{};
  for (std::uint8_t v : regs) ++hist[v <= kQ + 1 ? v : kQ + 1];
  return EstimateFromHistogram(hist);
}

std::optional<std::uint64_t> Count(std::string_view value) {
  std::array<int, kQ + 2> hist{};
  if (IsDense(value)) {
    const std::uint8_t* regs = Bytes(value) + kHeaderSize;
    for (int i = 0; i < kRegisters; ++i) {
      std::uint8_t v = DenseGet(regs, i);
      ++hist[v <= kQ + 1 ? v : kQ + 1];
    }
  } else if (!WalkSparse(value, [&](int, int len, int v) { hist[v] += len; })) {
    return std::nullopt;
  }
  return EstimateFromHistogram(hist);
}

std::optional<std::string> DecodeSparse(std::string_view value) {
  std::string out;
  const std::uint8_t* p = Bytes(value);
  bool ok = true;
  std::size_t pos = kHeaderSize;
  // Opcodes are printed as written (ZERO "z:", XZERO "Z:"), so walk the bytes here.
  while (pos < value.size()) {
    std::uint8_t b = p[pos];
    if (!out.empty()) out += ' ';
    if (IsZero(b)) {
      out += "z:" + std::to_string(ZeroLen(b));
      pos += 1;
    } else if (IsXZero(b)) {
      if (pos + 1 >= value.size()) {
        ok = false;
        break;
      }
      out += "Z:" + std::to_string(XZeroLen(b, p[pos + 1]));
      pos += 2;
    } else {
      out += "v:" + std::to_string(ValValue(b)) + "," + std::to_string(ValLen(b));
      pos += 1;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string SelfTest() {
  std::mt19937_64 rng(12345);
  // Register packing: random values written to every register read back, for several rounds.
  std::string dense(kDenseSize - kHeaderSize, '\0');
  Registers want{};
  auto* regs = reinterpret_cast<std::uint8_t*>(dense.data());
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < kRegisters; ++i) {
      want[i] = static_cast<std::uint8_t>(rng() & 63);
      DenseSet(regs, i, want[i]);
    }
    for (int i = 0; i < kRegisters; ++i) {
      if (DenseGet(regs, i) != want[i]) return "TESTFAILED Register error at " + std::to_string(i);
    }
  }
  // Estimates within 5 standard errors (1.04 / sqrt(m)) at growing cardinalities, with the
  // sparse and dense representations agreeing.
  std::string sparse = NewSparse();
  std::string full = NewSparse();
  if (!ToDense(&full)) return "TESTFAILED dense conversion";
  const double rel = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  std::uint64_t checkpoint = 1;
  for (std::uint64_t j = 1; j <= 1000000; ++j) {
    std::uint64_t element = rng();
    std::string_view bytes(reinterpret_cast<const char*>(&element), sizeof element);
    (void)Add(&sparse, bytes, 3000);
    (void)Add(&full, bytes, 3000);
    if (j != checkpoint) continue;
    checkpoint *= 10;
    std::optional<std::uint64_t> a = Count(sparse);
    std::optional<std::uint64_t> b = Count(full);
    if (!a || !b || *a != *b)
      return "TESTFAILED sparse and dense estimates differ at " + std::to_string(j);
    double err =
        std::fabs(static_cast<double>(*a) - static_cast<double>(j)) / static_cast<double>(j);
    double bound = j < 10 ? 0.5 : rel * 5;
    if (err > bound) {
      return "TESTFAILED too big error. card:" + std::to_string(j) +
             " obtained:" + std::to_string(*a);
    }
  }
  return {};
}

}  // namespace larder::server::hll
