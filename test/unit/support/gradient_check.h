// Helpers for kernel tests: deterministic random data, central finite differences in double
// precision, and error measures relative to the largest reference value.
#ifndef SLIMTUNE_TEST_GRADIENT_CHECK_H
#define SLIMTUNE_TEST_GRADIENT_CHECK_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace slimtune::testing {

// Uniform values in [-scale, scale) from a fixed seed (splitmix64).
inline std::vector<float> randomVector(size_t n, uint64_t seed, float scale = 1.0f) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (float &x : v) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    x = scale * (2.0f * static_cast<float>(z >> 40) / 16777216.0f - 1.0f);
  }
  return v;
}

inline std::vector<double> toDouble(const std::vector<float> &v) {
  return std::vector<double>(v.begin(), v.end());
}

// d f / d x[i] for every i, by central differences with step h (f evaluated in double).
inline std::vector<double> finiteDifference(const std::function<double(const std::vector<double> &)> &f,
                                            std::vector<double> x, double h = 1e-5) {
  std::vector<double> grad(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double keep = x[i];
    x[i] = keep + h;
    double up = f(x);
    x[i] = keep - h;
    double down = f(x);
    x[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

// max |got - want| / max |want| (absolute error when want is all zero).
template <typename A, typename B>
double relativeError(const std::vector<A> &got, const std::vector<B> &want) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i])));
    scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// sum_i w[i] * y[i]: the scalar a gradient check differentiates (w random, fixed).
template <typename T>
double dot(const std::vector<T> &y, const std::vector<float> &w) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i)
    s += static_cast<double>(y[i]) * w[i];
  return s;
}

} // namespace slimtune::testing

#endif // SLIMTUNE_TEST_GRADIENT_CHECK_H
