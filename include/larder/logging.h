// Library logging. Off by default: LarderDB prints nothing unless the embedding program asks.
//
// Thread-safety: SetLogLevel may be called at any time from any thread.
#ifndef LARDER_LOGGING_H_
#define LARDER_LOGGING_H_

namespace larder {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// Sends the library's messages at `level` and above to standard error (through spdlog).
// kOff (the default) silences them.
void SetLogLevel(LogLevel level);

}  // namespace larder

#endif  // LARDER_LOGGING_H_
