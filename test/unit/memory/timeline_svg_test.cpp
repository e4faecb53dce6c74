// renderTimelineSvg: the stacked-area picture of `slimtune compile --memory-timeline`.
#include "compiler/memory/MemoryTimeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>

using slimtune::memory::MemoryTimeline;
using slimtune::memory::renderTimelineSvg;
using slimtune::memory::TimelineContributor;
using slimtune::memory::TimelineSeries;

namespace {
constexpr int64_t kMiB = 1 << 20;

MemoryTimeline smallTimeline() {
  MemoryTimeline t;
  t.title = "step.mlir: pipeline baseline";
  t.series.push_back({"frozen weights", std::vector<int64_t>(6, 500 * kMiB)});
  t.series.push_back(
      {"stashed activations", {0, 100 * kMiB, 200 * kMiB, 300 * kMiB, 100 * kMiB, 0}});
  t.series.push_back(
      {"workspace", {10 * kMiB, 20 * kMiB, 30 * kMiB, 40 * kMiB, 20 * kMiB, 5 * kMiB}});
  t.backwardStart = 3;
  t.peakAt = 3;
  t.peakBytes = 900 * kMiB + 12345;
  t.topContributors = {{"stash: layers.0.mlp input", 200 * kMiB}, {"workspace: gemm", 40 * kMiB}};
  return t;
}

size_t count(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
    ++n;
  return n;
}

// The structural checks every output must pass: one <svg> root closed at the very end, and no
// coordinate or number that printf made out of a NaN or infinity.
void expectWellFormed(const std::string &svg) {
  size_t root = svg.find("<svg");
  ASSERT_NE(root, std::string::npos);
  // Either the root comes first or an XML declaration and then the root.
  if (root != 0) {
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << svg.substr(0, 80);
    EXPECT_EQ(svg.find('<', 1), root);
  }
  ASSERT_GE(svg.size(), 7u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(count(svg, "<svg"), 1u);
  EXPECT_EQ(count(svg, "</svg>"), 1u);
  std::string lower = svg;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_EQ(lower.find("nan"), std::string::npos);
  EXPECT_EQ(lower.find("inf"), std::string::npos);
  // Every element that opens also closes (self-closing or with its end tag).
  for (const char *tag : {"text", "polygon", "title"})
    EXPECT_EQ(count(svg, std::string("<") + tag + " ") + count(svg, std::string("<") + tag + ">"),
              count(svg, std::string("</") + tag + ">"))
        << tag;
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
}

// The points="..." list of the polygon whose <title> is `category`.
std::string polygonPoints(const std::string &svg, const std::string &category) {
  size_t title = svg.find("<title>" + category + "</title>");
  if (title == std::string::npos)
    return "";
  size_t start = svg.rfind("points=\"", title) + 8;
  return svg.substr(start, svg.find('"', start) - start);
}
} // namespace

TEST(TimelineSvg, DocumentShapeTitleAndCategories) {
  std::string svg = renderTimelineSvg(smallTimeline());
  expectWellFormed(svg);
  EXPECT_NE(svg.find(">step.mlir: pipeline baseline</text>"), std::string::npos);
  for (const char *name : {"frozen weights", "stashed activations", "workspace"}) {
    EXPECT_NE(svg.find(std::string(">") + name + "</text>"), std::string::npos) << name;
    EXPECT_FALSE(polygonPoints(svg, name).empty()) << name;
  }
  EXPECT_NE(svg.find("op in schedule"), std::string::npos);
  EXPECT_NE(svg.find("font-family=\"sans-serif\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"1000\""), std::string::npos);
}

TEST(TimelineSvg, PeakLineCarriesExactBytes) {
  std::string svg = renderTimelineSvg(smallTimeline());
  // 900 MiB + 12345 bytes = 943730745 bytes, about 0.88 GiB.
  EXPECT_NE(svg.find("planned peak: 900 MiB (943730745 bytes)"), std::string::npos) << svg;
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
}

TEST(TimelineSvg, LegendShowsBytesAtThePeakOp) {
  std::string svg = renderTimelineSvg(smallTimeline());
  EXPECT_NE(svg.find("at the peak (op 3)"), std::string::npos);
  // At op 3: 500 MiB frozen, 300 MiB stash, 40 MiB workspace; 840 MiB in all.
  EXPECT_NE(svg.find(">500 MiB</text>"), std::string::npos);
  EXPECT_NE(svg.find(">300 MiB</text>"), std::string::npos);
  EXPECT_NE(svg.find(">40.0 MiB</text>"), std::string::npos);
  EXPECT_NE(svg.find(">840 MiB</text>"), std::string::npos);
  EXPECT_NE(svg.find("stash: layers.0.mlp input \xE2\x80\x94 200 MiB"), std::string::npos);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
}

TEST(TimelineSvg, YTicksUseHumanUnits) {
  std::string svg = renderTimelineSvg(smallTimeline());
  // The top is a bit above 900 MiB: round ticks in MiB, never raw byte counts.
  std::smatch m;
  std::regex tick(R"(>(\d+) MiB</text>)");
  int ticks = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator();
       ++it)
    if (std::stoi((*it)[1]) % 100 == 0)
      ++ticks;
  EXPECT_GE(ticks, 4);
  EXPECT_LE(ticks, 12);
  EXPECT_NE(svg.find(">0 MiB</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1000 MiB</text>"), std::string::npos);
}

TEST(TimelineSvg, EscapesText) {
  MemoryTimeline t = smallTimeline();
  t.title = "a<b & \"c\" 'd'>";
  t.series[0].category = "weights<&>";
  t.topContributors[0].label = "stash: x<y>&z";
  std::string svg = renderTimelineSvg(t);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">weights&lt;&amp;&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find("stash: x&lt;y&gt;&amp;z"), std::string::npos);
  EXPECT_EQ(svg.find("weights<"), std::string::npos);
  EXPECT_EQ(svg.find("x<y"), std::string::npos);
  EXPECT_EQ(svg.find("& "), std::string::npos);
}

TEST(TimelineSvg, BackwardMarkerOnlyWhenKnown) {
  MemoryTimeline t = smallTimeline();
  EXPECT_EQ(count(renderTimelineSvg(t), "forward | backward"), 1u);
  t.backwardStart = -1;
  std::string svg = renderTimelineSvg(t);
  EXPECT_EQ(svg.find("forward | backward"), std::string::npos);
  expectWellFormed(svg);
  t.backwardStart = -7;
  EXPECT_EQ(renderTimelineSvg(t).find("forward | backward"), std::string::npos);
}

TEST(TimelineSvg, DownsamplesLongSeriesWithoutLosingThePeak) {
  MemoryTimeline t;
  t.title = "long";
  std::vector<int64_t> bytes(10000);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = int64_t(i % 97) * kMiB; // a saw whose teeth span several buckets
  bytes[4321] = 3000 * kMiB;          // a one-op spike that must survive the bucketing
  t.series.push_back({"workspace", bytes});
  t.peakAt = 4321;
  t.peakBytes = 3000 * kMiB;
  std::string svg = renderTimelineSvg(t);
  expectWellFormed(svg);
  std::string points = polygonPoints(svg, "workspace");
  size_t pairs = count(points, ",");
  EXPECT_GT(pairs, 100u);
  EXPECT_LE(pairs, 1500u);
  EXPECT_LT(svg.size(), 100u * 1024);
  // The spike is the highest point of the polygon: it reaches the peak line's y.
  std::regex pair(R"(([\d.]+),([\d.]+))");
  double minY = 1e9;
  for (auto it = std::sregex_iterator(points.begin(), points.end(), pair);
       it != std::sregex_iterator(); ++it)
    minY = std::min(minY, std::stod((*it)[2]));
  std::smatch m;
  std::string line = R"re(<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="[\d.]+" stroke="#c0392b")re";
  ASSERT_TRUE(std::regex_search(svg, m, std::regex(line)));
  EXPECT_NEAR(minY, std::stod(m[1]), 0.11);
}

TEST(TimelineSvg, FiveSeriesOfThreeThousandOpsStaySmall) {
  MemoryTimeline t;
  t.title = "30 layers";
  for (int s = 0; s < 5; ++s) {
    std::vector<int64_t> bytes(3000);
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = int64_t((i * 2654435761u + s) % 1000) * kMiB / 10;
    t.series.push_back({"series " + std::to_string(s), bytes});
  }
  t.backwardStart = 1500;
  t.peakAt = 1234;
  t.peakBytes = 600 * kMiB;
  std::string svg = renderTimelineSvg(t);
  expectWellFormed(svg);
  EXPECT_EQ(count(svg, "<polygon"), 5u);
  EXPECT_LT(svg.size(), 300u * 1024);
}

TEST(TimelineSvg, DegenerateInputs) {
  MemoryTimeline empty; // no series, no ops, no title
  expectWellFormed(renderTimelineSvg(empty));

  MemoryTimeline noOps;
  noOps.title = "no ops";
  noOps.series.push_back({"frozen weights", {}});
  noOps.peakAt = 5;
  noOps.backwardStart = 0;
  noOps.peakBytes = 100;
  std::string svg = renderTimelineSvg(noOps);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("frozen weights"), std::string::npos);

  MemoryTimeline oneOp;
  oneOp.series.push_back({"only", {42}});
  oneOp.peakBytes = 42;
  svg = renderTimelineSvg(oneOp);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("planned peak: 42 B (42 bytes)"), std::string::npos);
  EXPECT_FALSE(polygonPoints(svg, "only").empty());

  MemoryTimeline zeros;
  zeros.series.push_back({"a", std::vector<int64_t>(50, 0)});
  zeros.series.push_back({"b", std::vector<int64_t>(50, 0)});
  zeros.peakAt = -3;
  expectWellFormed(renderTimelineSvg(zeros));

  // Mismatched lengths (missing values are 0), a peak op past the end, negative bytes.
  MemoryTimeline ragged;
  ragged.series.push_back({"long", {1, 2, 3, 4, 5, 6, 7, 8}});
  ragged.series.push_back({"short", {100}});
  ragged.series.push_back({"negative", {-5, -5}});
  ragged.peakAt = 1000;
  ragged.backwardStart = 4;
  ragged.peakBytes = INT64_MAX;
  svg = renderTimelineSvg(ragged);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("(9223372036854775807 bytes)"), std::string::npos);
  // The real peak op (0: 1 + 100) stands in for the out-of-range one.
  EXPECT_NE(svg.find("at the peak (op 0)"), std::string::npos);
}

TEST(TimelineSvg, ManyCategoriesAndContributorsAreCapped) {
  MemoryTimeline t;
  for (int s = 0; s < 30; ++s)
    t.series.push_back({"category " + std::to_string(s), std::vector<int64_t>(10, kMiB)});
  for (int c = 0; c < 9; ++c)
    t.topContributors.push_back({"buffer " + std::to_string(c) + std::string(300, 'x'), kMiB});
  std::string svg = renderTimelineSvg(t);
  expectWellFormed(svg);
  EXPECT_EQ(count(svg, "<polygon"), 30u);
  EXPECT_NE(svg.find("and 17 more"), std::string::npos);
  EXPECT_NE(svg.find("buffer 4"), std::string::npos);
  EXPECT_EQ(svg.find("buffer 5"), std::string::npos);
  EXPECT_EQ(svg.find(std::string(200, 'x')), std::string::npos); // long labels are cut
}

TEST(TimelineSvg, PeakLabelMovesAwayFromAnEarlyPeak) {
  MemoryTimeline t;
  t.series.push_back({"stash", std::vector<int64_t>(100, 10 * kMiB)});
  t.peakBytes = 100 * kMiB;
  auto labelAnchor = [](const std::string &svg) {
    size_t at = svg.rfind("text-anchor=\"", svg.find(">planned peak:"));
    return svg.substr(at + 13, svg.find('"', at + 13) - at - 13);
  };
  EXPECT_EQ(labelAnchor(renderTimelineSvg(t)), "start"); // low data: the left end
  t.series[0].bytes[0] = 100 * kMiB;                        // a spike under the left end
  EXPECT_EQ(labelAnchor(renderTimelineSvg(t)), "end");
}
