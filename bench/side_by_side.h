// What the side-by-side benchmarks share: a wall-clock timing of one call and the median they
// report (of times, and of per-round ratios), so shared-machine noise is summarized alike.
#ifndef SLIMTUNE_BENCH_SIDE_BY_SIDE_H
#define SLIMTUNE_BENCH_SIDE_BY_SIDE_H

#include <algorithm>
#include <chrono>
#include <vector>

namespace slimtune::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Seconds that f() takes.
template <typename F> double timed(F &&f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace slimtune::bench

#endif // SLIMTUNE_BENCH_SIDE_BY_SIDE_H
