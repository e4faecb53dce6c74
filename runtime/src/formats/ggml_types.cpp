// ggml element types: the id table, dequantization of the block formats to fp32, and simple
// round-to-nearest quantizers. Block layouts and the dequantization math follow ggml's
// reference C (ggml-common.h / ggml-quants.c); tests check them against gguf-py's numpy
// implementation. These run once per tensor at load time: plain scalar code is the reference
// and is fast enough.
#include "slimtune/ggml_types.h"

#include "kernels/cpu/convert.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace slimtune {
namespace {

constexpr uint32_t QK_K = 256;

struct Row {
  uint32_t id;
  GgmlTypeInfo info;
};

// Removed ids (4, 5, 31-33, 36-38) are absent: ggml rejects them too.
constexpr std::array<Row, 32> kTypes = {{
    {0, {"F32", 1, 4, true}},        {1, {"F16", 1, 2, true}},
    {2, {"Q4_0", 32, 18, true}},     {3, {"Q4_1", 32, 20, true}},
    {6, {"Q5_0", 32, 22, true}},     {7, {"Q5_1", 32, 24, true}},
    {8, {"Q8_0", 32, 34, true}},     {9, {"Q8_1", 32, 36, false}},
    {10, {"Q2_K", 256, 84, true}},   {11, {"Q3_K", 256, 110, true}},
    {12, {"Q4_K", 256, 144, true}},  {13, {"Q5_K", 256, 176, true}},
    {14, {"Q6_K", 256, 210, true}},  {15, {"Q8_K", 256, 292, true}},
    {16, {"IQ2_XXS", 256, 66, false}}, {17, {"IQ2_XS", 256, 74, false}},
    {18, {"IQ3_XXS", 256, 98, false}}, {19, {"IQ1_S", 256, 50, false}},
    {20, {"IQ4_NL", 32, 18, false}}, {21, {"IQ3_S", 256, 110, false}},
    {22, {"IQ2_S", 256, 82, false}}, {23, {"IQ4_XS", 256, 136, false}},
    {24, {"I8", 1, 1, false}},       {25, {"I16", 1, 2, false}},
    {26, {"I32", 1, 4, false}},      {27, {"I64", 1, 8, false}},
    {28, {"F64", 1, 8, true}},       {29, {"IQ1_M", 256, 56, false}},
    {30, {"BF16", 1, 2, true}},      {34, {"TQ1_0", 256, 54, false}},
    {35, {"TQ2_0", 256, 66, false}}, {39, {"MXFP4", 32, 17, false}},
}};

float half(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return cpu::f16ToF32Reference(h);
}

void putHalf(uint8_t *p, float f) {
  uint16_t h = cpu::f32ToF16Reference(f);
  std::memcpy(p, &h, 2);
}

//===-- Dequantization, one block at a time: `b` is the block, `y` its outputs ----===//

void dequantQ4_0(const uint8_t *b, float *y) {
  float d = half(b);
  const uint8_t *qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0f) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void dequantQ4_1(const uint8_t *b, float *y) {
  float d = half(b), m = half(b + 2);
  const uint8_t *qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0f) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

void dequantQ5(const uint8_t *b, float *y, bool hasMin) {
  float d = half(b), m = hasMin ? half(b + 2) : 0.0f;
  const uint8_t *qhBytes = b + (hasMin ? 4 : 2);
  const uint8_t *qs = qhBytes + 4;
  uint32_t qh;
  std::memcpy(&qh, qhBytes, 4);
  int offset = hasMin ? 0 : 16;
  for (int j = 0; j < 16; ++j) {
    int x0 = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) << 4) & 0x10);
    int x1 = (qs[j] >> 4) | static_cast<int>((qh >> (j + 12)) & 0x10);
    y[j] = static_cast<float>(x0 - offset) * d + m;
    y[j + 16] = static_cast<float>(x1 - offset) * d + m;
  }
}

void dequantQ8_0(const uint8_t *b, float *y) {
  float d = half(b);
  const int8_t *qs = reinterpret_cast<const int8_t *>(b + 2);
  for (int j = 0; j < 32; ++j)
    y[j] = static_cast<float>(qs[j]) * d;
}

// The 6-bit scale and min of sub-block j from Q4_K/Q5_K's 12 scale bytes.
void scaleMinK4(int j, const uint8_t *q, uint8_t &scale, uint8_t &min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void dequantQ4_K(const uint8_t *b, float *y) {
  float d = half(b), dmin = half(b + 2);
  const uint8_t *scales = b + 4, *qs = b + 16;
  for (int g = 0; g < 4; ++g) {
    uint8_t sc0, m0, sc1, m1;
    scaleMinK4(2 * g, scales, sc0, m0);
    scaleMinK4(2 * g + 1, scales, sc1, m1);
    for (int l = 0; l < 32; ++l) {
      y[64 * g + l] = d * sc0 * (qs[32 * g + l] & 0x0f) - dmin * m0;
      y[64 * g + 32 + l] = d * sc1 * (qs[32 * g + l] >> 4) - dmin * m1;
    }
  }
}

void dequantQ5_K(const uint8_t *b, float *y) {
  float d = half(b), dmin = half(b + 2);
  const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
  for (int g = 0; g < 4; ++g) {
    uint8_t sc0, m0, sc1, m1;
    scaleMinK4(2 * g, scales, sc0, m0);
    scaleMinK4(2 * g + 1, scales, sc1, m1);
    for (int l = 0; l < 32; ++l) {
      int lo = (qs[32 * g + l] & 0x0f) + ((qh[l] & (1 << (2 * g))) ? 16 : 0);
      int hi = (qs[32 * g + l] >> 4) + ((qh[l] & (1 << (2 * g + 1))) ? 16 : 0);
      y[64 * g + l] = d * sc0 * lo - dmin * m0;
      y[64 * g + 32 + l] = d * sc1 * hi - dmin * m1;
    }
  }
}

void dequantQ6_K(const uint8_t *b, float *y) {
  const uint8_t *ql = b, *qh = b + 128;
  const int8_t *scales = reinterpret_cast<const int8_t *>(b + 192);
  float d = half(b + 208);
  for (int n = 0; n < 2; ++n) {
    const uint8_t *l0 = ql + 64 * n, *h0 = qh + 32 * n;
    const int8_t *sc = scales + 8 * n;
    float *out = y + 128 * n;
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = ((l0[l] & 0x0f) | (((h0[l] >> 0) & 3) << 4)) - 32;
      int q2 = ((l0[l + 32] & 0x0f) | (((h0[l] >> 2) & 3) << 4)) - 32;
      int q3 = ((l0[l] >> 4) | (((h0[l] >> 4) & 3) << 4)) - 32;
      int q4 = ((l0[l + 32] >> 4) | (((h0[l] >> 6) & 3) << 4)) - 32;
      out[l] = d * sc[is + 0] * q1;
      out[l + 32] = d * sc[is + 2] * q2;
      out[l + 64] = d * sc[is + 4] * q3;
      out[l + 96] = d * sc[is + 6] * q4;
    }
  }
}

void dequantQ2_K(const uint8_t *b, float *y) {
  const uint8_t *scales = b, *qs = b + 16;
  float d = half(b + 80), dmin = half(b + 82);
  for (int n = 0; n < 2; ++n) {
    const uint8_t *q = qs + 32 * n;
    for (int j = 0; j < 4; ++j) {
      int shift = 2 * j;
      uint8_t sc = scales[8 * n + 2 * j];
      for (int l = 0; l < 16; ++l)
        y[128 * n + 32 * j + l] = d * (sc & 0x0f) * ((q[l] >> shift) & 3) - dmin * (sc >> 4);
      sc = scales[8 * n + 2 * j + 1];
      for (int l = 0; l < 16; ++l)
        y[128 * n + 32 * j + 16 + l] =
            d * (sc & 0x0f) * ((q[l + 16] >> shift) & 3) - dmin * (sc >> 4);
    }
  }
}

void dequantQ3_K(const uint8_t *b, float *y) {
  const uint8_t *hmask = b, *qs = b + 32, *scales = b + 96;
  float d = half(b + 108);
  int sc[16];
  for (int j = 0; j < 16; ++j) {
    int lo = j < 8 ? scales[j] & 0x0f : scales[j - 8] >> 4;
    sc[j] = (lo | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
  }
  for (int n = 0; n < 2; ++n)
    for (int jj = 0; jj < 4; ++jj)
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 16; ++l) {
          int k = 128 * n + 32 * jj + 16 * h + l;
          int q = (qs[32 * n + 16 * h + l] >> (2 * jj)) & 3;
          int high = (hmask[16 * h + l] & (1 << (4 * n + jj))) ? 0 : 4;
          y[k] = d * sc[k / 16] * (q - high);
        }
}

void dequantQ8_K(const uint8_t *b, float *y) {
  float d;
  std::memcpy(&d, b, 4);
  const int8_t *qs = reinterpret_cast<const int8_t *>(b + 4);
  for (uint32_t k = 0; k < QK_K; ++k)
    y[k] = d * qs[k];
}

using BlockDequant = void (*)(const uint8_t *, float *);

BlockDequant blockDequantizer(GgmlType type) {
  switch (type) {
  case GgmlType::Q4_0: return dequantQ4_0;
  case GgmlType::Q4_1: return dequantQ4_1;
  case GgmlType::Q5_0: return [](const uint8_t *b, float *y) { dequantQ5(b, y, false); };
  case GgmlType::Q5_1: return [](const uint8_t *b, float *y) { dequantQ5(b, y, true); };
  case GgmlType::Q8_0: return dequantQ8_0;
  case GgmlType::Q2_K: return dequantQ2_K;
  case GgmlType::Q3_K: return dequantQ3_K;
  case GgmlType::Q4_K: return dequantQ4_K;
  case GgmlType::Q5_K: return dequantQ5_K;
  case GgmlType::Q6_K: return dequantQ6_K;
  case GgmlType::Q8_K: return dequantQ8_K;
  default: return nullptr;
  }
}

//===-- Quantization (round to nearest; for fixtures and export) -------------------===//

void quantQ8_0(const float *x, uint8_t *b) {
  float amax = 0;
  for (int j = 0; j < 32; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
  putHalf(b, d);
  for (int j = 0; j < 32; ++j)
    b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::lround(x[j] * id)));
}

void quantQ4_0(const float *x, uint8_t *b) {
  // ggml's choice: the signed value of largest magnitude maps to -8.
  float max = 0, amax = 0;
  for (int j = 0; j < 32; ++j)
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  float d = max / -8.0f, id = d ? 1.0f / d : 0.0f;
  putHalf(b, d);
  for (int j = 0; j < 16; ++j) {
    int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
    int q1 = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
    b[2 + j] = static_cast<uint8_t>(q0 | (q1 << 4));
  }
}

void quantQ4_1(const float *x, uint8_t *b) {
  float lo = x[0], hi = x[0];
  for (int j = 1; j < 32; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  float d = (hi - lo) / 15.0f, id = d ? 1.0f / d : 0.0f;
  putHalf(b, d);
  putHalf(b + 2, lo);
  for (int j = 0; j < 16; ++j) {
    int q0 = std::min(15, static_cast<int>((x[j] - lo) * id + 0.5f));
    int q1 = std::min(15, static_cast<int>((x[j + 16] - lo) * id + 0.5f));
    b[4 + j] = static_cast<uint8_t>(q0 | (q1 << 4));
  }
}

// Q4_K: per 32-value sub-block a scale and min, both 6-bit multiples of the super-block's
// d and dmin.
void quantQ4_K(const float *x, uint8_t *b) {
  float scale[8], min[8];
  for (int s = 0; s < 8; ++s) {
    float lo = 0, hi = 0; // include 0 so that the min is never negative
    for (int l = 0; l < 32; ++l) {
      lo = std::min(lo, x[32 * s + l]);
      hi = std::max(hi, x[32 * s + l]);
    }
    scale[s] = (hi - lo) / 15.0f;
    min[s] = -lo;
  }
  float maxScale = *std::max_element(scale, scale + 8), maxMin = *std::max_element(min, min + 8);
  float d = maxScale / 63.0f, dmin = maxMin / 63.0f;
  putHalf(b, d);
  putHalf(b + 2, dmin);
  d = half(b); // quantize against the values the decoder will see
  dmin = half(b + 2);
  uint8_t ls[8], lm[8];
  for (int s = 0; s < 8; ++s) {
    ls[s] = static_cast<uint8_t>(d ? std::min(63L, std::lround(scale[s] / d)) : 0);
    lm[s] = static_cast<uint8_t>(dmin ? std::min(63L, std::lround(min[s] / dmin)) : 0);
  }
  uint8_t *sc = b + 4;
  for (int j = 0; j < 4; ++j) {
    sc[j] = static_cast<uint8_t>((ls[j] & 63) | ((ls[j + 4] >> 4) << 6));
    sc[j + 4] = static_cast<uint8_t>((lm[j] & 63) | ((lm[j + 4] >> 4) << 6));
    sc[j + 8] = static_cast<uint8_t>((ls[j + 4] & 0x0f) | ((lm[j + 4] & 0x0f) << 4));
  }
  uint8_t *qs = b + 16;
  for (int g = 0; g < 4; ++g)
    for (int l = 0; l < 32; ++l) {
      int q[2];
      for (int h = 0; h < 2; ++h) {
        int s = 2 * g + h;
        float step = d * ls[s];
        float v = x[64 * g + 32 * h + l] + dmin * lm[s];
        q[h] = step > 0 ? std::clamp(static_cast<int>(std::lround(v / step)), 0, 15) : 0;
      }
      qs[32 * g + l] = static_cast<uint8_t>(q[0] | (q[1] << 4));
    }
}

// Q6_K: per 16-value sub-block a signed 8-bit scale of d; 6-bit codes offset by 32.
void quantQ6_K(const float *x, uint8_t *b) {
  float scale[16];
  for (int s = 0; s < 16; ++s) {
    float amax = 0;
    for (int l = 0; l < 16; ++l)
      amax = std::max(amax, std::fabs(x[16 * s + l]));
    scale[s] = amax / 31.0f;
  }
  float maxScale = *std::max_element(scale, scale + 16);
  float d = maxScale / 127.0f;
  putHalf(b + 208, d);
  d = half(b + 208);
  int8_t *scales = reinterpret_cast<int8_t *>(b + 192);
  int codes[QK_K];
  for (int s = 0; s < 16; ++s) {
    scales[s] = static_cast<int8_t>(d ? std::min(127L, std::lround(scale[s] / d)) : 0);
    float step = d * scales[s];
    for (int l = 0; l < 16; ++l)
      codes[16 * s + l] =
          step > 0 ? std::clamp(static_cast<int>(std::lround(x[16 * s + l] / step)), -32, 31) + 32
                   : 32;
  }
  uint8_t *ql = b, *qh = b + 128;
  std::memset(qh, 0, 64);
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 32; ++l) {
      int base = 128 * n;
      int q1 = codes[base + l], q2 = codes[base + l + 32], q3 = codes[base + l + 64],
          q4 = codes[base + l + 96];
      ql[64 * n + l] = static_cast<uint8_t>((q1 & 0x0f) | ((q3 & 0x0f) << 4));
      ql[64 * n + l + 32] = static_cast<uint8_t>((q2 & 0x0f) | ((q4 & 0x0f) << 4));
      qh[32 * n + l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) |
                                            ((q4 >> 4) << 6));
    }
}

} // namespace

std::optional<GgmlTypeInfo> ggmlTypeInfo(uint32_t id) {
  for (const Row &row : kTypes)
    if (row.id == id)
      return row.info;
  return std::nullopt;
}

Status dequantizeToF32(GgmlType type, const uint8_t *src, uint64_t bytes, float *dst,
                       uint64_t count) {
  auto info = ggmlTypeInfo(static_cast<uint32_t>(type));
  if (!info)
    return Status::error("unknown ggml type " + std::to_string(static_cast<uint32_t>(type)));
  if (!info->dequantizable)
    return Status::error("ggml type " + std::string(info->name) + " is not supported");
  if (count % info->blockSize != 0 || bytes != count / info->blockSize * info->typeSize)
    return Status::error(std::to_string(bytes) + " bytes of " + std::string(info->name) +
                         " do not hold " + std::to_string(count) + " values");
  switch (type) {
  case GgmlType::F32:
    std::memcpy(dst, src, count * 4);
    return Status::ok();
  case GgmlType::F64:
    for (uint64_t i = 0; i < count; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      dst[i] = static_cast<float>(v);
    }
    return Status::ok();
  case GgmlType::F16:
  case GgmlType::BF16: {
    // The bulk kernels read aligned uint16s; copy when the mapping leaves them unaligned.
    std::vector<uint16_t> aligned;
    const uint16_t *halves = reinterpret_cast<const uint16_t *>(src);
    if (reinterpret_cast<uintptr_t>(src) % 2 != 0) {
      aligned.resize(count);
      std::memcpy(aligned.data(), src, count * 2);
      halves = aligned.data();
    }
    if (type == GgmlType::F16)
      cpu::f16ToF32(halves, dst, count);
    else
      cpu::bf16ToF32(halves, dst, count);
    return Status::ok();
  }
  default:
    break;
  }
  BlockDequant dequant = blockDequantizer(type);
  for (uint64_t blk = 0; blk < count / info->blockSize; ++blk)
    dequant(src + blk * info->typeSize, dst + blk * info->blockSize);
  return Status::ok();
}

Status quantizeFromF32(GgmlType type, const float *src, uint64_t count, uint8_t *dst) {
  auto info = ggmlTypeInfo(static_cast<uint32_t>(type));
  if (!info || count % info->blockSize != 0)
    return Status::error("cannot quantize " + std::to_string(count) + " values to ggml type " +
                         std::to_string(static_cast<uint32_t>(type)));
  void (*quant)(const float *, uint8_t *) = nullptr;
  switch (type) {
  case GgmlType::F32:
    std::memcpy(dst, src, count * 4);
    return Status::ok();
  case GgmlType::F16:
  case GgmlType::BF16:
    for (uint64_t i = 0; i < count; ++i) {
      uint16_t h = type == GgmlType::F16 ? cpu::f32ToF16Reference(src[i])
                                         : cpu::f32ToBf16Reference(src[i]);
      std::memcpy(dst + 2 * i, &h, 2);
    }
    return Status::ok();
  case GgmlType::Q8_0: quant = quantQ8_0; break;
  case GgmlType::Q4_0: quant = quantQ4_0; break;
  case GgmlType::Q4_1: quant = quantQ4_1; break;
  case GgmlType::Q4_K: quant = quantQ4_K; break;
  case GgmlType::Q6_K: quant = quantQ6_K; break;
  default:
    return Status::error("quantizing to " + std::string(info->name) + " is not supported");
  }
  for (uint64_t blk = 0; blk < count / info->blockSize; ++blk)
    quant(src + blk * info->blockSize, dst + blk * info->typeSize);
  return Status::ok();
}

} // namespace slimtune
