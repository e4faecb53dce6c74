// splitmix64: small, fast, and fully determined by its seed — the streams behind adapter
// initialization and data shuffling, which must replay exactly when a run is resumed.
#ifndef SLIMTUNE_SUPPORT_RANDOM_H
#define SLIMTUNE_SUPPORT_RANDOM_H

#include <cmath>
#include <cstdint>
#include <string_view>

namespace slimtune {

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; } // [0, 1)
  // Uniform in [0, n) without modulo bias (Lemire's multiply-shift with rejection).
  uint64_t below(uint64_t n) {
    for (;;) {
      __uint128_t m = static_cast<__uint128_t>(next()) * n;
      uint64_t low = static_cast<uint64_t>(m);
      if (low >= n || low >= (0 - n) % n)
        return static_cast<uint64_t>(m >> 64);
    }
  }
  double normal() { // Box-Muller
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

private:
  uint64_t state_;
};

// FNV-1a: a stable 64-bit hash of a name, to derive independent streams from one seed.
inline uint64_t fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (char c : text)
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// Shuffles [first, first + n) in place (Fisher-Yates).
template <typename T> void shuffle(T *first, uint64_t n, SplitMix64 &random) {
  for (uint64_t i = n; i > 1; --i) {
    uint64_t j = random.below(i);
    std::swap(first[i - 1], first[j]);
  }
}

} // namespace slimtune

#endif // SLIMTUNE_SUPPORT_RANDOM_H
