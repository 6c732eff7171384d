// A one-line progress bar for long CLI operations (check, compact, export, import, backup).
//
// It draws on its stream only when that stream is a terminal, so scripts that capture or
// redirect stderr see no progress output at all. The bar is redrawn at most every 100 ms and is
// erased when the operation ends (Finish or destruction), leaving the terminal as it was.
//
//   ProgressBar bar("check", total_pages, ProgressBar::Unit::kCount);
//   ... bar.Update(done); ...
//   bar.Finish();
//
// Thread-safety: none; use from one thread.
#ifndef LARDER_TOOLS_LARDER_PROGRESS_H_
#define LARDER_TOOLS_LARDER_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace larder::cli {

class ProgressBar {
 public:
  enum class Unit { kCount, kBytes };

  // `total` 0 means unknown (the bar then shows the count only). `out` is not owned.
  ProgressBar(std::string label, std::uint64_t total, Unit unit, std::FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // True when `out` is a terminal, i.e. when anything is drawn.
  bool enabled() const { return enabled_; }

  void set_total(std::uint64_t total) { total_ = total; }
  // Records progress; redraws when at least 100 ms passed since the last drawing.
  void Update(std::uint64_t done);
  // Draws the final state and erases the line. Idempotent.
  void Finish();

  // The text of the bar for `done` of `total` (no carriage return), e.g.
  // "check [##########..........]  50% 512/1024". Exposed for tests.
  static std::string Render(const std::string& label, std::uint64_t done, std::uint64_t total,
                            Unit unit);

 private:
  void Draw();

  std::string label_;
  std::uint64_t total_;
  Unit unit_;
  std::FILE* out_;
  bool enabled_;
  bool finished_ = false;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace larder::cli

#endif  // LARDER_TOOLS_LARDER_PROGRESS_H_
