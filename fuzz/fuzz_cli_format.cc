// The larder CLI's text parsers on arbitrary input: the command-line byte formats
// (--parse-format ascii-encoded|hex, the --format printers), Go durations (--timeout) and the
// export/import JSON Lines record parser. The first byte picks the parser; the rest is its input.
// Besides "no crash, no sanitizer report", round trips must hold:
//   hex:     ParseBytes(HexEncode(x)) == x, and HexEncode(ParseBytes(s)) == lowercase(s)
//   records: ParseExportRecord(FormatRecord(r)) == r for every record that parses
// Replayed from fuzz/corpus/cli_format by tests/cli_fuzz_corpus_test.cc under `make test`.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tools/larder/export_format.h"
#include "tools/larder/format.h"

namespace larder::cli {

inline void FuzzCheck(bool ok) {
  if (!ok) std::abort();
}

inline int FuzzCliFormat(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector % 4) {
    case 0: {  // --parse-format hex
      auto bytes = ParseBytes(in, "hex");
      if (bytes) {
        std::string lower(in);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        FuzzCheck(HexEncode(*bytes) == lower);
      }
      FuzzCheck(ParseBytes(HexEncode(in), "hex") == std::string(in));
      FuzzCheck(ParseBytes(in, "ascii-encoded") == std::string(in));
      FuzzCheck(!ParseBytes(in, "no-such-format"));
      break;
    }
    case 1: {  // the --format printers
      for (const std::string& name : ByteFormatNames()) {
        auto format = ByteFormatFromName(name);
        FuzzCheck(format.has_value());
        const std::string out = FormatBytes(in, *format);
        if (*format == ByteFormat::kBytes) FuzzCheck(out == in);
        if (*format == ByteFormat::kAuto && !IsPrintableUtf8(in)) FuzzCheck(out == HexEncode(in));
      }
      const std::string quoted = GoQuote(in);
      FuzzCheck(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"');
      break;
    }
    case 2: {  // --timeout
      auto d = ParseGoDuration(in);
      if (d) FuzzCheck(d->count() >= 0);
      break;
    }
    case 3: {  // an import line
      auto record = ParseExportRecord(in);
      if (record.ok()) {
        FuzzCheck(!record->path.empty());
        auto again = ParseExportRecord(FormatRecord(*record));
        FuzzCheck(again.ok() && *again == *record);
      }
      break;
    }
  }
  return 0;
}

}  // namespace larder::cli

#ifndef LARDER_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return larder::cli::FuzzCliFormat(data, size);
}
#endif
