// Progress bar and step lines.
#include "slimtune/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace slimtune {
namespace {

std::string printf1(const char *format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// A loss or norm: four decimals, or four significant digits when it is huge (a diverging run's
// 5e37 would otherwise print 38 digits).
std::string metric(double value) {
  return printf1(std::fabs(value) < 1e6 || !std::isfinite(value) ? "%.4f" : "%.4g", value);
}

// Columns a UTF-8 string takes (each code point one column: the bar uses no wide characters).
int columns(const std::string &text) {
  int n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

std::string bar(double fraction, int cells, bool unicode) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  std::string out;
  if (!unicode) {
    int full = static_cast<int>(fraction * cells);
    return std::string(full, '#') + std::string(cells - full, '.');
  }
  // Eighths of a cell: U+2588 (full) down to U+258F (one eighth).
  static const char *partial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  int eighths = static_cast<int>(fraction * cells * 8);
  int full = eighths / 8, rest = eighths % 8;
  for (int i = 0; i < full; ++i)
    out += "█";
  int used = full;
  if (rest && used < cells) {
    out += partial[rest];
    ++used;
  }
  out += std::string(cells - used, ' ');
  return out;
}

} // namespace

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "--";
  long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600)
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buffer, sizeof buffer, "%lds", s);
  return buffer;
}

std::string formatBytes(int64_t bytes) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0)
    return std::to_string(bytes) + " B";
  return printf1(value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value) + " " + units[unit];
}

std::string formatStepLine(const ProgressState &s) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, "step %lld/%lld  loss %s  grad_norm %s  lr %.3g  %.0f tok/s",
                static_cast<long long>(s.step), static_cast<long long>(s.totalSteps),
                metric(s.loss).c_str(), metric(s.gradNorm).c_str(), s.lr, s.tokensPerSecond);
  return buffer;
}

std::string formatProgressBar(const ProgressState &s, int width, bool unicode) {
  std::string total = std::to_string(s.totalSteps);
  std::string step = std::to_string(s.step);
  std::string head = std::string(total.size() - std::min(total.size(), step.size()), ' ') + step +
                     "/" + total;
  double fraction = s.totalSteps > 0 ? static_cast<double>(s.step) / s.totalSteps : 0;
  std::string percent = printf1("%3.0f%%", 100 * fraction);
  // Fields after the bar, most important first; dropped from the end when space runs out.
  std::vector<std::string> fields = {"loss " + metric(s.loss)};
  if (std::isfinite(s.valLoss))
    fields.push_back("val " + metric(s.valLoss));
  fields.push_back(printf1("%.0f", s.tokensPerSecond) + " tok/s");
  fields.push_back("ETA " + formatDuration(s.secondsLeft));
  fields.push_back(formatBytes(s.memoryBytes));

  const int minBar = 10, maxBar = 30;
  for (size_t keep = fields.size();; --keep) {
    std::string tail;
    for (size_t i = 0; i < keep; ++i)
      tail += " | " + fields[i];
    int fixed = columns(head) + 3 + 1 + columns(percent) + columns(tail); // " [" "]" " "
    int cells = std::min(maxBar, width - fixed);
    if (cells >= minBar || keep == 0) {
      cells = std::max(cells, 1);
      std::string line = head + " [" + bar(fraction, cells, unicode) + "] " + percent + tail;
      if (columns(line) <= width || keep == 0)
        return line;
    }
  }
}

} // namespace slimtune
