#include "tsdb/page_codec.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "base/coding.h"
#include "tsdb/bit_stream.h"

namespace larder::tsdb {
namespace {

constexpr char kRegular = 'R';
constexpr char kIrregular = 'I';
constexpr int kMaxScale = 15;
constexpr std::int64_t kMaxMantissa = std::int64_t{1} << 53;
constexpr std::uint64_t kMaxSlots = kMaxPageSamples * 4;

constexpr double kPow10[kMaxScale + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t v) {
  return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}
std::uint64_t Bits(double d) { return std::bit_cast<std::uint64_t>(d); }

// The integer m with m / 10^scale == v bit for bit, or false.
bool Mantissa(double v, int scale, std::int64_t* m) {
  if (!std::isfinite(v)) return false;
  const double x = v * kPow10[scale];
  if (!(std::fabs(x) < static_cast<double>(kMaxMantissa))) return false;
  const auto r = static_cast<std::int64_t>(std::llround(x));
  if (Bits(static_cast<double>(r) / kPow10[scale]) != Bits(v)) return false;
  *m = r;
  return true;
}

Status Bad(std::string_view what) {
  return Status::Corruption(std::string("tsdb page: ") + std::string(what));
}

struct Reader {
  std::string_view in;
  bool Varint(std::uint64_t* v) { return GetVarint64(&in, v); }
  bool Signed(std::int64_t* v) {
    std::uint64_t u = 0;
    if (!GetVarint64(&in, &u)) return false;
    *v = UnZigZag(u);
    return true;
  }
  bool Byte(std::uint8_t* b) {
    if (in.empty()) return false;
    *b = static_cast<std::uint8_t>(in[0]);
    in.remove_prefix(1);
    return true;
  }
};

void EncodeXor(std::span<const Sample> s, std::string* out) {
  PutFixed64(out, Bits(s[0].value));
  BitWriter w(out);
  int prev_lead = -1, prev_trail = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const std::uint64_t x = Bits(s[i].value) ^ Bits(s[i - 1].value);
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    w.Write(1, 1);
    int lead = std::min(std::countl_zero(x), 31);
    const int trail = std::countr_zero(x);
    if (prev_lead >= 0 && lead >= prev_lead && trail >= prev_trail) {
      w.Write(0, 1);
      w.Write(x >> prev_trail, 64 - prev_lead - prev_trail);
      continue;
    }
    const int len = 64 - lead - trail;
    w.Write(1, 1);
    w.Write(static_cast<std::uint64_t>(lead), 5);
    w.Write(static_cast<std::uint64_t>(len - 1), 6);
    w.Write(x >> trail, len);
    prev_lead = lead;
    prev_trail = trail;
  }
  w.Finish();
}

Status DecodeXor(Reader* r, std::size_t n, std::vector<double>* vals) {
  std::uint64_t prev = 0;
  if (!GetFixed64(&r->in, &prev)) return Bad("XOR values truncated");
  vals->push_back(std::bit_cast<double>(prev));
  BitReader br(reinterpret_cast<const std::uint8_t*>(r->in.data()), r->in.size());
  int lead = -1, trail = 0;
  for (std::size_t i = 1; i < n; ++i) {
    bool nonzero = false, fresh = false;
    if (!br.ReadBit(&nonzero)) return Bad("XOR values truncated");
    if (nonzero) {
      if (!br.ReadBit(&fresh)) return Bad("XOR values truncated");
      if (fresh) {
        std::uint64_t l = 0, len = 0;
        if (!br.Read(5, &l) || !br.Read(6, &len)) return Bad("XOR values truncated");
        lead = static_cast<int>(l);
        const int length = static_cast<int>(len) + 1;
        if (lead + length > 64) return Bad("XOR window past 64 bits");
        trail = 64 - lead - length;
      } else if (lead < 0) {
        return Bad("XOR window reused before one was set");
      }
      std::uint64_t bits = 0;
      if (!br.Read(64 - lead - trail, &bits)) return Bad("XOR values truncated");
      prev ^= bits << trail;
    }
    vals->push_back(std::bit_cast<double>(prev));
  }
  if (br.bits_left() >= 8) return Bad("bytes after the XOR values");
  r->in = {};
  return Status::Ok();
}

// The scaled codecs: header (scale, m0), then deltas.
void EncodeScaled(const std::vector<std::int64_t>& m, int scale, ValueCodec codec,
                  std::string* out) {
  out->push_back(static_cast<char>(scale));
  PutVarint64(out, ZigZag(m[0]));
  if (m.size() == 1) return;
  if (codec == ValueCodec::kScaledVarint) {
    for (std::size_t i = 1; i < m.size(); ++i) PutVarint64(out, ZigZag(m[i] - m[i - 1]));
    return;
  }
  std::int64_t lo = m[1] - m[0], hi = lo;
  for (std::size_t i = 2; i < m.size(); ++i) {
    lo = std::min(lo, m[i] - m[i - 1]);
    hi = std::max(hi, m[i] - m[i - 1]);
  }
  const int width = std::bit_width(static_cast<std::uint64_t>(hi - lo));
  PutVarint64(out, ZigZag(lo));
  out->push_back(static_cast<char>(width));
  BitWriter w(out);
  for (std::size_t i = 1; i < m.size(); ++i) {
    w.Write(static_cast<std::uint64_t>(m[i] - m[i - 1] - lo), width);
  }
  w.Finish();
}

Status DecodeScaled(Reader* r, std::size_t n, ValueCodec codec, std::vector<double>* vals) {
  std::uint8_t scale = 0;
  std::int64_t m = 0;
  if (!r->Byte(&scale) || !r->Signed(&m)) return Bad("scaled values truncated");
  if (scale > kMaxScale) return Bad("decimal scale above 15");
  // Unsigned arithmetic: damaged deltas wrap instead of overflowing; values stay finite.
  auto push = [&](std::uint64_t um) {
    vals->push_back(static_cast<double>(static_cast<std::int64_t>(um)) / kPow10[scale]);
  };
  std::uint64_t um = static_cast<std::uint64_t>(m);
  push(um);
  if (n == 1) return Status::Ok();
  if (codec == ValueCodec::kScaledVarint) {
    for (std::size_t i = 1; i < n; ++i) {
      std::int64_t d = 0;
      if (!r->Signed(&d)) return Bad("scaled deltas truncated");
      um += static_cast<std::uint64_t>(d);
      push(um);
    }
    return Status::Ok();
  }
  std::int64_t lo = 0;
  std::uint8_t width = 0;
  if (!r->Signed(&lo) || !r->Byte(&width)) return Bad("scaled deltas truncated");
  if (width > 64) return Bad("delta width above 64 bits");
  BitReader br(reinterpret_cast<const std::uint8_t*>(r->in.data()), r->in.size());
  if (br.bits_left() / (width == 0 ? 1 : width) < (width == 0 ? 0 : n - 1)) {
    return Bad("scaled deltas truncated");
  }
  for (std::size_t i = 1; i < n; ++i) {
    std::uint64_t d = 0;
    if (!br.Read(width, &d)) return Bad("scaled deltas truncated");
    um += d + static_cast<std::uint64_t>(lo);
    push(um);
  }
  if (br.bits_left() >= 8) return Bad("bytes after the scaled deltas");
  r->in = {};
  return Status::Ok();
}

}  // namespace

int FindDecimalScale(std::span<const Sample> samples) {
  int scale = 0;
  std::int64_t m = 0;
  for (const Sample& s : samples) {
    while (!Mantissa(s.value, scale, &m)) {
      if (++scale > kMaxScale) return -1;
    }
  }
  // A value exact at a smaller scale is almost always exact at a larger one; check them all.
  for (; scale <= kMaxScale; ++scale) {
    bool all = true;
    for (const Sample& s : samples) {
      if (!Mantissa(s.value, scale, &m)) {
        all = false;
        break;
      }
    }
    if (all) return scale;
  }
  return -1;
}

std::string EncodePage(std::span<const Sample> s, std::int64_t interval_ms,
                       const EncodeChoice& choice) {
  std::string out;
  const std::int64_t t0 = s.front().time_ms;
  bool regular = choice.allow_regular && interval_ms > 0;
  std::uint64_t slots = 0;
  if (regular) {
    const auto span = static_cast<std::uint64_t>(s.back().time_ms) - static_cast<std::uint64_t>(t0);
    slots = span / static_cast<std::uint64_t>(interval_ms) + 1;
    regular = slots <= kMaxSlots && slots <= s.size() * 4;
    for (std::size_t i = 0; regular && i < s.size(); ++i) {
      regular = (s[i].time_ms - t0) % interval_ms == 0;
    }
  }
  out.push_back(regular ? kRegular : kIrregular);
  const std::size_t codec_at = out.size();
  out.push_back(0);
  PutVarint64(&out, s.size());
  PutVarint64(&out, ZigZag(t0));
  if (regular) {
    PutVarint64(&out, static_cast<std::uint64_t>(interval_ms));
    PutVarint64(&out, slots);
    if (slots > s.size()) {
      std::string bitmap((slots + 7) / 8, '\0');
      for (const Sample& x : s) {
        const auto k = static_cast<std::uint64_t>((x.time_ms - t0) / interval_ms);
        bitmap[k / 8] = static_cast<char>(bitmap[k / 8] | (1 << (k % 8)));
      }
      out += bitmap;
    }
  } else if (s.size() > 1) {
    std::uint64_t prev_delta = static_cast<std::uint64_t>(s[1].time_ms - s[0].time_ms);
    PutVarint64(&out, prev_delta);
    for (std::size_t i = 2; i < s.size(); ++i) {
      const auto delta = static_cast<std::uint64_t>(s[i].time_ms - s[i - 1].time_ms);
      PutVarint64(&out, ZigZag(static_cast<std::int64_t>(delta - prev_delta)));
      prev_delta = delta;
    }
  }
  // Values: the candidates the data allows, the smallest kept.
  std::string best;
  ValueCodec best_codec = ValueCodec::kXor;
  const int scale = FindDecimalScale(s);
  if (scale >= 0) {
    std::vector<std::int64_t> m(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) (void)Mantissa(s[i].value, scale, &m[i]);
    for (ValueCodec c : {ValueCodec::kScaledBitpack, ValueCodec::kScaledVarint}) {
      if (choice.force_codec && choice.codec != c) continue;
      // Varints take at least a byte a delta: they cannot beat a narrower bit-packing.
      if (c == ValueCodec::kScaledVarint && !best.empty() && best.size() <= s.size()) continue;
      std::string candidate;
      EncodeScaled(m, scale, c, &candidate);
      if (best.empty() || candidate.size() < best.size()) {
        best = std::move(candidate);
        best_codec = c;
      }
    }
  }
  // XOR costs at least a bit a sample and seldom less than a byte on decimal data: it is tried
  // only where no scale exists or the scaled form takes more than a byte a sample.
  if (best.empty() || (!choice.force_codec && best.size() > s.size() + 8)) {
    std::string candidate;
    EncodeXor(s, &candidate);
    if (best.empty() || candidate.size() < best.size()) {
      best = std::move(candidate);
      best_codec = ValueCodec::kXor;
    }
  }
  out[codec_at] = static_cast<char>(best_codec);
  out += best;
  return out;
}

Status SummarizePage(std::string_view page, PageSummary* out) {
  Reader r{page};
  std::uint8_t kind = 0, codec = 0;
  std::uint64_t n = 0;
  if (!r.Byte(&kind) || !r.Byte(&codec) || !r.Varint(&n)) return Bad("header truncated");
  if (kind != kRegular && kind != kIrregular) return Bad("unknown page kind");
  if (codec > static_cast<std::uint8_t>(ValueCodec::kScaledVarint)) return Bad("unknown codec");
  if (n == 0 || n > kMaxPageSamples) return Bad("sample count out of range");
  *out = {static_cast<char>(kind), static_cast<ValueCodec>(codec), static_cast<std::uint32_t>(n)};
  return Status::Ok();
}

Status DecodePage(std::string_view page, std::vector<Sample>* out) {
  PageSummary sum;
  LARDER_RETURN_IF_ERROR(SummarizePage(page, &sum));
  Reader r{page};
  r.in.remove_prefix(2);
  std::uint64_t n = 0;
  std::int64_t t0 = 0;
  (void)r.Varint(&n);
  if (!r.Signed(&t0)) return Bad("header truncated");
  std::vector<std::int64_t> times;
  times.reserve(n);
  if (sum.kind == kRegular) {
    std::uint64_t interval = 0, slots = 0;
    if (!r.Varint(&interval) || !r.Varint(&slots)) return Bad("header truncated");
    if (interval == 0 || interval > (std::uint64_t{1} << 40)) return Bad("bad interval");
    if (slots < n || slots > kMaxSlots) return Bad("slot count out of range");
    if (slots == n) {
      for (std::uint64_t k = 0; k < n; ++k) {
        times.push_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(t0) + k * interval));
      }
    } else {
      const std::size_t bytes = (slots + 7) / 8;
      if (r.in.size() < bytes) return Bad("gap bitmap truncated");
      for (std::uint64_t k = 0; k < slots; ++k) {
        if ((static_cast<std::uint8_t>(r.in[k / 8]) >> (k % 8)) & 1) {
          times.push_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(t0) + k * interval));
        }
      }
      r.in.remove_prefix(bytes);
      if (times.size() != n) return Bad("gap bitmap disagrees with the sample count");
    }
  } else {
    times.push_back(t0);
    std::uint64_t delta = 0;
    if (n > 1 && !r.Varint(&delta)) return Bad("timestamps truncated");
    std::uint64_t t = static_cast<std::uint64_t>(t0);
    for (std::uint64_t i = 1; i < n; ++i) {
      if (i > 1) {
        std::int64_t dod = 0;
        if (!r.Signed(&dod)) return Bad("timestamps truncated");
        delta += static_cast<std::uint64_t>(dod);
      }
      t += delta;
      times.push_back(static_cast<std::int64_t>(t));
    }
  }
  std::vector<double> vals;
  vals.reserve(n);
  if (sum.codec == ValueCodec::kXor) {
    LARDER_RETURN_IF_ERROR(DecodeXor(&r, n, &vals));
  } else {
    LARDER_RETURN_IF_ERROR(DecodeScaled(&r, n, sum.codec, &vals));
  }
  if (!r.in.empty()) return Bad("bytes after the values");
  for (std::size_t i = 1; i < n; ++i) {
    if (times[i] <= times[i - 1]) return Bad("timestamps not increasing");
  }
  for (std::size_t i = 0; i < n; ++i) out->push_back({times[i], vals[i]});
  return Status::Ok();
}

}  // namespace larder::tsdb
