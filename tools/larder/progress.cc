#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace larder::cli {
namespace {

constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

std::string Amount(std::uint64_t n, ProgressBar::Unit unit) {
  if (unit == ProgressBar::Unit::kCount) return fmt::format("{}", n);
  if (n < std::uint64_t{1} << 20) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
  if (n < std::uint64_t{1} << 30)
    return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1 << 20));
  return fmt::format("{:.2f} GiB", static_cast<double>(n) / (1 << 30));
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::uint64_t total, Unit unit, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      out_(out),
      enabled_(out != nullptr && ::isatty(::fileno(out)) == 1) {
  if (enabled_) Draw();
}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(std::uint64_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  if (std::chrono::steady_clock::now() - last_draw_ >= kRedrawInterval) Draw();
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  if (total_ != 0) done_ = std::max(done_, total_);
  Draw();
  std::fputs("\r\033[K", out_);  // erase the line: the terminal is left as it was
  std::fflush(out_);
}

std::string ProgressBar::Render(const std::string& label, std::uint64_t done, std::uint64_t total,
                                Unit unit) {
  if (total == 0) return fmt::format("{} {}", label, Amount(done, unit));
  done = std::min(done, total);
  const int filled = static_cast<int>(done * kBarWidth / total);
  const int percent = static_cast<int>(done * 100 / total);
  return fmt::format("{} [{}{}] {:3}% {}/{}", label, std::string(filled, '#'),
                     std::string(kBarWidth - filled, '.'), percent, Amount(done, unit),
                     Amount(total, unit));
}

void ProgressBar::Draw() {
  last_draw_ = std::chrono::steady_clock::now();
  std::fputs("\r", out_);
  std::fputs(Render(label_, done_, total_, unit_).c_str(), out_);
  std::fputs("\033[K", out_);
  std::fflush(out_);
}

}  // namespace larder::cli
