// CE-LoRA's frozen factors (svd_factors.h).
#include "step/svd_factors.h"

#include "kernels/cpu/gemm.h"
#include "slimtune/atomic_file.h"
#include "slimtune/safetensors.h"
#include "slimtune/sha256.h"
#include "support/finite.h"

#include <climits>
#include <cstring>
#include <unistd.h>
#include <cmath>
#include <cstdlib>

// LAPACK's divide-and-conquer SVD (column-major; the trailing length is gfortran's hidden
// length of the character argument).
extern "C" void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda,
                        float *s, float *u, const int *ldu, float *vt, const int *ldvt, float *work,
                        const int *lwork, int *iwork, int *info, size_t jobzLength);

namespace slimtune {
namespace {

constexpr const char *kFormat = "slimtune-svd-factors-1";

std::string cacheKey(const float *w, int64_t rows, int64_t cols, int64_t rank) {
  Sha256 digest;
  const int64_t sizes[3] = {rows, cols, rank};
  digest.update(kFormat).update(sizes, sizeof sizes);
  digest.update(w, static_cast<size_t>(rows * cols) * sizeof(float));
  return digest.hex();
}

// The cached left and right factors, or a reason they cannot be used.
Status readCached(const std::string &path, int64_t rows, int64_t cols, int64_t rank,
                  SvdFactors &f) {
  auto file = SafetensorsFile::open(path);
  if (!file)
    return file.status();
  auto take = [&](const char *name, const std::vector<int64_t> &shape, std::vector<float> &into) {
    const TensorView *t = file->find(name);
    if (!t || t->dtype != DType::F32 || t->shape != shape)
      return Status::error(path + ": lacks an f32 \"" + name + "\" of the expected shape");
    into.resize(t->numel());
    std::memcpy(into.data(), t->data, t->bytes);
    if (std::string problem = nonFiniteProblem(into.data(), static_cast<int64_t>(into.size()));
        !problem.empty())
      return Status::error(path + ": \"" + name + "\" holds " + problem);
    return Status::ok();
  };
  if (Status s = take("left", {rows, rank}, f.left); !s)
    return s;
  return take("right", {rank, cols}, f.right);
}

// left, right from LAPACK. Row-major W [rows, cols] is column-major Wᵀ [cols, rows] =
// U' S V'ᵀ, so W = V' S U'ᵀ: left = V'·√S (V' = VTᵀ), right = √S·U'ᵀ.
Status factor(const float *w, int64_t rows, int64_t cols, int64_t rank, SvdFactors &f) {
  if (rows > INT_MAX / 2 || cols > INT_MAX / 2 || rows * cols > INT_MAX)
    return Status::error("a weight of " + std::to_string(rows) + "x" + std::to_string(cols) +
                         " is beyond LAPACK's 32-bit sizes");
  const int m = static_cast<int>(cols), n = static_cast<int>(rows), mn = std::min(m, n);
  std::vector<float> a(w, w + rows * cols), s(mn), u(static_cast<size_t>(m) * mn),
      vt(static_cast<size_t>(mn) * n);
  std::vector<int> iwork(8 * static_cast<size_t>(mn));
  int info = 0, query = -1;
  float optimal = 0;
  sgesdd_("S", &m, &n, a.data(), &m, s.data(), u.data(), &m, vt.data(), &mn, &optimal, &query,
          iwork.data(), &info, 1);
  if (info != 0)
    return Status::error("LAPACK sgesdd refused the workspace query (info " + std::to_string(info) + ")");
  int lwork = static_cast<int>(optimal) + 1;
  std::vector<float> work(static_cast<size_t>(lwork));
  sgesdd_("S", &m, &n, a.data(), &m, s.data(), u.data(), &m, vt.data(), &mn, work.data(), &lwork,
          iwork.data(), &info, 1);
  if (info != 0)
    return Status::error("LAPACK sgesdd did not converge (info " + std::to_string(info) + ")");
  f.left.assign(static_cast<size_t>(rows * rank), 0.0f);
  f.right.assign(static_cast<size_t>(rank * cols), 0.0f);
  for (int64_t j = 0; j < rank; ++j) {
    const float root = std::sqrt(std::max(0.0f, s[j]));
    for (int64_t i = 0; i < rows; ++i) // V'(i, j) = VT(j, i), VT column-major [mn, n]
      f.left[i * rank + j] = vt[j + i * mn] * root;
    for (int64_t c = 0; c < cols; ++c) // U'(c, j), U column-major [m, mn]
      f.right[j * cols + c] = u[c + j * m] * root;
  }
  return Status::ok();
}

} // namespace

std::string defaultSvdCacheFolder() {
  if (const char *cache = std::getenv("SLIMTUNE_CACHE"); cache && *cache)
    return std::string(cache) + "/svd";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/slimtune/svd";
  return "";
}

Expected<SvdFactors> svdFactors(const float *w, int64_t rows, int64_t cols, int64_t rank,
                                const std::string &cacheFolder) {
  if (rank < 1 || rank >= std::min(rows, cols))
    return Status::error("SVD rank " + std::to_string(rank) + " must be in [1, " +
                         std::to_string(std::min(rows, cols)) + ")");
  SvdFactors f;
  std::string path;
  if (!cacheFolder.empty()) {
    path = cacheFolder + "/" + cacheKey(w, rows, cols, rank) + ".safetensors";
    Status cached = readCached(path, rows, cols, rank, f);
    f.fromCache = cached.isOk();
    if (!cached && ::access(path.c_str(), F_OK) == 0)
      f.cacheProblem = cached.message() + "; computed again";
  }
  if (!f.fromCache) {
    if (Status s = factor(w, rows, cols, rank, f); !s)
      return s;
    if (!path.empty()) {
      Status written = makeFolders(cacheFolder);
      if (written)
        written = writeSafetensors(path, {{"left", DType::F32, {rows, rank}, f.left.data(), f.left.size() * 4},
                                          {"right", DType::F32, {rank, cols}, f.right.data(), f.right.size() * 4}},
                                   {{"format", kFormat}});
      if (!written)
        f.cacheProblem = "not cached: " + written.message();
    }
  }
  // residual = W − left·right, in fp32, for its norms (summed in double).
  std::vector<float> residual(w, w + rows * cols);
  if (int32_t s = cpu::gemm(false, false, rows, cols, rank, -1.0f, f.left.data(), rank,
                            f.right.data(), cols, 1.0f, residual.data(), cols))
    return Status::error("the residual's GEMM failed (kernel status " + std::to_string(s) + ")");
  std::vector<double> rowSums(static_cast<size_t>(rows), 0.0), columnSums(static_cast<size_t>(cols), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < cols; ++c) {
      const double v = residual[i * cols + c];
      rowSums[i] += v * v;
      columnSums[c] += v * v;
    }
  for (double s : rowSums)
    f.rowNorms.push_back(static_cast<float>(std::sqrt(s)));
  for (double s : columnSums)
    f.columnNorms.push_back(static_cast<float>(std::sqrt(s)));
  return f;
}

} // namespace slimtune
