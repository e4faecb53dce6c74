//===- TimelineSvg.cpp - a MemoryTimeline drawn as a stacked-area SVG ----------------------===//
//
// One fixed-size picture: the stacked live bytes of every category over the schedule, the
// planned peak as a dashed line, the forward/backward split, a legend with each category's
// bytes at the peak and a box naming the largest buffers there. Plain string building, no
// dependencies, so the runtime-only build can compile and test it too.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/memory/MemoryTimeline.h"
#include "slimtune/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <iterator>
#include <string_view>

namespace slimtune::memory {
namespace {
// The layout. The legend lives in its own column right of the plot and the contributor box
// below it, so neither can hide data however the curves look.
constexpr double kWidth = 1000, kHeight = 560;
constexpr double kPlotLeft = 84, kPlotRight = 724, kPlotTop = 58, kPlotBottom = 388;
constexpr double kLegendX = 748, kRightEdge = 988;
// Buckets finer than a pixel of the plot cannot be seen; more only grow the file.
constexpr int64_t kMaxBuckets = int64_t(kPlotRight - kPlotLeft);
constexpr size_t kMaxContributors = 5;
constexpr size_t kMaxLegendRows = 14;
// Tableau 10: distinct, colour-blind-friendlier than the SVG named colours.
constexpr const char *kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void appendf(std::string &out, const char *fmt, ...) {
  va_list args, again;
  va_start(args, fmt);
  va_copy(again, args);
  int n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  if (n > 0) {
    size_t at = out.size();
    out.resize(at + size_t(n) + 1);
    std::vsnprintf(&out[at], size_t(n) + 1, fmt, again);
    out.pop_back(); // vsnprintf's terminating NUL
  }
  va_end(again);
}

// At most `maxChars` bytes, cut at a UTF-8 character boundary and marked with an ellipsis.
std::string truncate(std::string_view s, size_t maxChars) {
  if (s.size() <= maxChars)
    return std::string(s);
  size_t cut = maxChars - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut;
  return std::string(s.substr(0, cut)) + "\xE2\x80\xA6";
}

// Text content and attribute values alike; control characters are not allowed in XML 1.0.
std::string escapeXml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default: out += (static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    }
  }
  return out;
}

std::string text(std::string_view s, size_t maxChars) { return escapeXml(truncate(s, maxChars)); }

const char *const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

// Index into kUnits of the largest unit that `bytes` holds at least once.
int unitFor(double bytes) {
  int u = 0;
  while (u + 1 < int(std::size(kUnits)) && bytes >= std::ldexp(1.0, 10 * (u + 1)))
    ++u;
  return u;
}

// Three significant digits, as the progress bar writes them: "538 MiB", "19.0 MiB", "1.30 GiB".
std::string humanBytes(double bytes) { return formatBytes(static_cast<int64_t>(bytes)); }

// A round step near `rough`: 1, 2, 2.5 or 5 times a power of ten.
double niceStep(double rough) {
  double pow10 = std::pow(10.0, std::floor(std::log10(rough)));
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * pow10 >= rough)
      return m * pow10;
  return 10 * pow10;
}

// "0.25", "1.5", "300": a tick value without trailing zeros.
std::string trimmed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.')
    s.pop_back();
  return s;
}

// The width of `chars` characters of 11 px text: an estimate (no font metrics here); 0.6 em per
// character is generous for sans-serif.
double labelWidth(size_t chars) { return 0.6 * 11 * double(chars) + 6; }

// A label on a white plate so it stays readable on top of the filled areas.
void plate(std::string &out, double x, double y, const std::string &label, size_t chars,
           const char *anchor, const char *color) {
  double w = labelWidth(chars);
  double left = anchor[0] == 'e' ? x - w + 3 : anchor[0] == 'm' ? x - w / 2 : x - 3;
  appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"15\" fill=\"#fff\" "
               "fill-opacity=\"0.85\"/>\n", left, y - 11.5, w);
  appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">%s</text>\n", x, y,
          anchor, color, label.c_str());
}
} // namespace

std::string renderTimelineSvg(const MemoryTimeline &timeline) {
  const auto &series = timeline.series;
  int64_t numOps = 0;
  for (const TimelineSeries &s : series)
    numOps = std::max<int64_t>(numOps, int64_t(s.bytes.size()));
  // Stacked tops per op: cum[i][op] = sum of series 0..i. Missing or negative values count as 0;
  // doubles so absurd inputs cannot overflow.
  std::vector<std::vector<double>> cum(series.size(), std::vector<double>(size_t(numOps)));
  for (size_t i = 0; i < series.size(); ++i)
    for (int64_t op = 0; op < numOps; ++op) {
      double below = i ? cum[i - 1][op] : 0.0;
      double own = op < int64_t(series[i].bytes.size()) ? double(series[i].bytes[op]) : 0.0;
      cum[i][op] = below + std::max(0.0, own);
    }
  auto total = [&](int64_t op) { return cum.empty() ? 0.0 : cum.back()[op]; };
  double maxTotal = 0;
  int64_t argMax = numOps ? 0 : -1;
  for (int64_t op = 0; op < numOps; ++op)
    if (total(op) > maxTotal)
      maxTotal = total(op), argMax = op;
  // Trust the planner's peak op when it is in range; otherwise the largest stacked total.
  int64_t peakOp = timeline.peakAt >= 0 && timeline.peakAt < numOps ? timeline.peakAt : argMax;

  // The y scale: 4-7 round ticks in one unit, with headroom for the peak line's label. Of the
  // candidate steps, the one whose top tick is lowest wastes the least height.
  double top = std::max({double(timeline.peakBytes), maxTotal, 1024.0}) * 1.08;
  int unit = unitFor(top);
  double unitBytes = std::ldexp(1.0, 10 * unit), topUnits = top / unitBytes;
  double step = 0, yTopUnits = 0;
  for (double intervals : {4.0, 5.0, 6.0, 7.0}) {
    double s = niceStep(topUnits / intervals);
    double t = std::ceil(topUnits / s) * s;
    if (step == 0 || t < yTopUnits)
      step = s, yTopUnits = t;
  }
  double yTop = yTopUnits * unitBytes;
  double domain = double(std::max<int64_t>(numOps, 1));
  auto xAt = [&](double op) { return kPlotLeft + op / domain * (kPlotRight - kPlotLeft); };
  auto yAt = [&](double bytes) { return kPlotBottom - bytes / yTop * (kPlotBottom - kPlotTop); };

  std::string out;
  out.reserve(64 * 1024);
  appendf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
          kWidth, kHeight, kWidth, kHeight);
  appendf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
  appendf(out, "<text x=\"%.0f\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" "
               "font-weight=\"bold\">%s</text>\n", kWidth / 2, text(timeline.title, 100).c_str());

  // Grid and y ticks first, so the areas paint over the grid lines.
  for (double v = 0; v <= yTopUnits + step / 2; v += step) {
    double y = yAt(v * unitBytes);
    appendf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
            kPlotLeft, kPlotRight, y, y);
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s %s</text>\n", kPlotLeft - 6,
            y + 4, trimmed(v).c_str(), kUnits[unit]);
  }
  appendf(out, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\" "
               "font-size=\"12\">live bytes</text>\n", (kPlotTop + kPlotBottom) / 2);

  // The areas. Each series' polygon covers 0..its stacked top and they are painted top of the
  // stack first: every polygon is then one edge plus two corners (half the points of a band)
  // and adjacent bands share no anti-aliased seam. Each bucket holds the max over its ops of
  // the stacked top, so no peak is lost and the bands still nest exactly. A peak one op wide
  // (the logits, live for two ops) would be a single pixel: each bucket also takes its two
  // neighbours' max, so every peak is at least three pixels wide, off by at most one.
  int64_t bucket = std::max<int64_t>(1, (numOps + kMaxBuckets - 1) / kMaxBuckets);
  for (size_t k = series.size(); numOps > 0 && k-- > 0;) {
    std::vector<std::pair<double, double>> pts{{xAt(0), kPlotBottom}};
    for (int64_t start = 0; start < numOps; start += bucket) {
      int64_t end = std::min(numOps, start + bucket);
      int64_t from = std::max<int64_t>(0, start - bucket), to = std::min(numOps, end + bucket);
      double v = *std::max_element(cum[k].begin() + from, cum[k].begin() + to);
      pts.push_back({xAt(double(start)), yAt(v)});
      pts.push_back({xAt(double(end)), yAt(v)});
    }
    pts.push_back({xAt(domain), kPlotBottom});
    appendf(out, "<polygon fill=\"%s\" stroke=\"none\" points=\"",
            kPalette[k % std::size(kPalette)]);
    for (size_t p = 0; p < pts.size(); ++p) {
      // A point in the middle of a flat run adds nothing (constant series: 4 points).
      bool flat = p > 0 && p + 1 < pts.size() && pts[p - 1].second == pts[p].second &&
                  pts[p + 1].second == pts[p].second;
      if (!flat)
        appendf(out, "%.1f,%.1f ", pts[p].first, pts[p].second);
    }
    out.back() = '"';
    appendf(out, "><title>%s</title></polygon>\n", text(series[k].category, 100).c_str());
  }
  if (numOps == 0)
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#666\">the "
                 "schedule has no ops</text>\n", (kPlotLeft + kPlotRight) / 2,
            (kPlotTop + kPlotBottom) / 2);

  // Axes and x ticks: op indices, ~8 round ones.
  appendf(out, "<path d=\"M%.1f %.1f V%.1f H%.1f\" fill=\"none\" stroke=\"#333\"/>\n", kPlotLeft,
          kPlotTop, kPlotBottom, kPlotRight);
  double xStep = std::max(1.0, niceStep(domain / 8));
  for (double op = 0; op <= domain + 0.5; op += xStep) {
    double x = xAt(op);
    appendf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x,
            x, kPlotBottom, kPlotBottom + 4);
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x,
            kPlotBottom + 16, op);
  }
  appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">op in "
               "schedule</text>\n", (kPlotLeft + kPlotRight) / 2, kPlotBottom + 34);

  // The forward/backward split; its label sits above the plot, clear of the data.
  if (timeline.backwardStart >= 0 && timeline.backwardStart <= numOps) {
    double x = xAt(double(timeline.backwardStart));
    appendf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
                 "stroke-dasharray=\"6 4\"/>\n", x, x, kPlotTop - 4, kPlotBottom);
    // Centred on the line, but kept over the plot so it cannot run into the legend column.
    double half = 0.6 * 11 * 9;
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">forward | backward</text>\n",
            std::clamp(x, kPlotLeft + half, kPlotRight - half), kPlotTop - 8);
  }

  // The planned peak: a dashed line across the plot, labelled on a plate just above it.
  if (timeline.peakBytes > 0) {
    double y = yAt(double(timeline.peakBytes));
    appendf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c0392b\" "
                 "stroke-width=\"1.5\" stroke-dasharray=\"8 4\"/>\n", kPlotLeft, kPlotRight, y, y);
    char label[96];
    int n = std::snprintf(label, sizeof(label), "planned peak: %s (%lld bytes)",
                          humanBytes(double(timeline.peakBytes)).c_str(),
                          static_cast<long long>(timeline.peakBytes));
    // At the left end of the line unless the data under the label is higher there than at the
    // right end (a peak early in the schedule would hide it).
    double width = labelWidth(size_t(n));
    auto highestUnder = [&](double x0, double x1) {
      double m = 0;
      int64_t first = int64_t((x0 - kPlotLeft) / (kPlotRight - kPlotLeft) * domain);
      int64_t last = int64_t(std::ceil((x1 - kPlotLeft) / (kPlotRight - kPlotLeft) * domain));
      for (int64_t op = std::max<int64_t>(first, 0); op < std::min(last, numOps); ++op)
        m = std::max(m, total(op));
      return m;
    };
    if (highestUnder(kPlotLeft, kPlotLeft + width + 6) <=
        highestUnder(kPlotRight - width - 6, kPlotRight))
      plate(out, kPlotLeft + 6, y - 5, label, size_t(n), "start", "#c0392b");
    else
      plate(out, kPlotRight - 6, y - 5, label, size_t(n), "end", "#c0392b");
  }
  if (peakOp >= 0) {
    appendf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#fff\" stroke=\"#c0392b\" "
                 "stroke-width=\"2\"/>\n", xAt(double(peakOp) + 0.5), yAt(total(peakOp)));
  }

  // The legend, top of the stack first so it reads like the picture; bytes at the peak op.
  double y = kPlotTop + 4;
  std::string header = peakOp >= 0 ? "at the peak (op " + std::to_string(peakOp) + ")"
                     : series.empty() ? ""
                                      : "categories"; // no ops: the names alone
  if (!header.empty())
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\">%s</text>\n",
            kLegendX, y, header.c_str());
  y += 10;
  for (size_t k = series.size(), row = 0; k-- > 0; y += 20, ++row) {
    if (row + 1 == kMaxLegendRows && k > 0) { // the rest would run into the contributor box
      appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#666\">\xE2\x80\xA6 "
                   "and %zu more</text>\n", kLegendX + 18, y + 14, k + 1);
      y += 20;
      break;
    }
    double bytes = peakOp >= 0 && peakOp < int64_t(series[k].bytes.size())
                       ? std::max<double>(0, double(series[k].bytes[peakOp]))
                       : 0.0;
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
            kLegendX, y + 4, kPalette[k % std::size(kPalette)]);
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n", kLegendX + 18,
            y + 14, text(series[k].category, 24).c_str());
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%s</text>\n",
            kRightEdge, y + 14, humanBytes(bytes).c_str());
  }
  if (peakOp >= 0) {
    appendf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
            kLegendX, kRightEdge, y + 6, y + 6);
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\">total</text>"
                 "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\" "
                 "text-anchor=\"end\">%s</text>\n", kLegendX + 18, y + 22, kRightEdge, y + 22,
            humanBytes(total(peakOp)).c_str());
  }

  // The largest buffers at the peak, in a box under the plot where long names fit.
  size_t shown = std::min(kMaxContributors, timeline.topContributors.size());
  if (shown > 0) {
    double boxTop = kPlotBottom + 46;
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\" "
                 "stroke=\"#ccc\" rx=\"4\"/>\n", kPlotLeft, boxTop, kRightEdge - kPlotLeft,
            22 + 16.0 * double(shown));
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\">largest "
                 "buffers at the peak</text>\n", kPlotLeft + 10, boxTop + 16);
    for (size_t i = 0; i < shown; ++i) {
      const TimelineContributor &c = timeline.topContributors[i];
      appendf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s \xE2\x80\x94 %s</text>\n",
              kPlotLeft + 10, boxTop + 33 + 16.0 * double(i), text(c.label, 100).c_str(),
              humanBytes(std::max<double>(0, double(c.bytes))).c_str());
    }
  }
  out += "</svg>\n";
  return out;
}

} // namespace slimtune::memory
