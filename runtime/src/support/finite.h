// Finding NaN and infinity in fp32 data: parameters are checked when they are bound, so a
// damaged model or checkpoint is refused by name before it trains into NaN.
#ifndef SLIMTUNE_SUPPORT_FINITE_H
#define SLIMTUNE_SUPPORT_FINITE_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace slimtune {

// values[i], read so that `values` need not be aligned (a file mapping's bytes are checked
// before they are copied into step memory).
inline float floatAt(const float *values, int64_t i) {
  float v;
  std::memcpy(&v, values + i, sizeof v);
  return v;
}

// The index of the first element of `values` that is NaN or ±infinity, or -1 when every one
// is finite. Chunks are screened with integer operations the compiler vectorizes (an
// all-ones exponent is exactly the non-finite floats), and only a chunk that has one is
// searched: a 135M-parameter model is checked in tens of milliseconds.
inline int64_t firstNonFinite(const float *values, int64_t count) {
  constexpr int64_t kChunk = 4096;
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    const int64_t end = begin + kChunk < count ? begin + kChunk : count;
    uint32_t bad = 0;
    for (int64_t i = begin; i < end; ++i) {
      uint32_t bits;
      std::memcpy(&bits, values + i, 4);
      bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (bad)
      for (int64_t i = begin; i < end; ++i)
        if (!std::isfinite(floatAt(values, i)))
          return i;
  }
  return -1;
}

// "NaN at element 3 of 100" or "" when all are finite: the problem in words, for messages
// that name the tensor and where it came from.
inline std::string nonFiniteProblem(const float *values, int64_t count) {
  const int64_t at = firstNonFinite(values, count);
  if (at < 0)
    return "";
  const float v = floatAt(values, at);
  return std::string(std::isnan(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity") +
         " at element " + std::to_string(at) + " of " + std::to_string(count);
}

} // namespace slimtune

#endif // SLIMTUNE_SUPPORT_FINITE_H
