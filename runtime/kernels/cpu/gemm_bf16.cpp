// bf16 GEMM through oneDNN's matmul primitive: C [m, n] (fp32) = A [m, k] op(B), A and B bf16,
// products exact in fp32 and summed in fp32. On CPUs with AVX512-BF16 oneDNN runs it on the
// bf16 dot-product instructions at about twice the fp32 GEMM's rate (bench-cpu-frozen-linear);
// elsewhere it may run emulated, or not at all, in which case bf16GemmAvailable() is false and
// the callers widen to fp32 instead. Primitives are created per call: oneDNN's primitive cache
// returns the one made for the same shape and strides, so a step's calls after the first cost
// a cache lookup.
#include "kernels/cpu/gemm.h"

#include <oneapi/dnnl/dnnl.hpp>

namespace slimtune::cpu {
namespace {

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

Context &context() {
  static Context c;
  return c;
}

int32_t statusOf(const dnnl::error &e) {
  if (e.status == dnnl_out_of_memory)
    return SLIMTUNE_KERNEL_OUT_OF_MEMORY;
  if (e.status == dnnl_invalid_arguments)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  return SLIMTUNE_KERNEL_DEVICE_ERROR;
}

} // namespace

int32_t gemmBf16(bool transB, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                 const uint16_t *b, int64_t ldb, float *c, int64_t ldc) {
  if (m == 0 || n == 0 || k == 0) // C = 0 (k = 0), without reading A or B: gemm's own case
    return gemm(false, false, m, n, 0, 1.0f, nullptr, 1, nullptr, 1, 0.0f, c, ldc);
  using dt = dnnl::memory::data_type;
  try {
    Context &ctx = context();
    const dnnl::memory::desc ad({m, k}, dt::bf16, dnnl::memory::dims{lda, 1});
    // op(B) is [k, n]: B itself [n, k] read transposed, or [k, n].
    const dnnl::memory::desc bd({k, n}, dt::bf16,
                                transB ? dnnl::memory::dims{1, ldb} : dnnl::memory::dims{ldb, 1});
    const dnnl::memory::desc cd({m, n}, dt::f32, dnnl::memory::dims{ldc, 1});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), ctx.engine);
    const dnnl::matmul matmul(pd);
    dnnl::memory am(ad, ctx.engine, const_cast<uint16_t *>(a));
    dnnl::memory bm(bd, ctx.engine, const_cast<uint16_t *>(b));
    dnnl::memory cm(cd, ctx.engine, c);
    matmul.execute(ctx.stream,
                   {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
    ctx.stream.wait();
    return SLIMTUNE_KERNEL_OK;
  } catch (const dnnl::error &e) {
    return statusOf(e);
  }
}

bool bf16GemmAvailable() {
  // Whether oneDNN has a bf16 matmul for this CPU at all (it refuses to create one without
  // the instructions it needs), asked once with a small problem.
  static const bool available = [] {
    const uint16_t one = 0x3f80; // 1.0 in bf16
    float c = 0.0f;
    return gemmBf16(false, 1, 1, 1, &one, 1, &one, 1, &c, 1) == SLIMTUNE_KERNEL_OK && c == 1.0f;
  }();
  return available;
}

} // namespace slimtune::cpu
