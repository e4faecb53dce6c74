// Host-side adapter merging: checks the buffers against the shape, then runs the CPU kernel
// compiled steps use for slim.merge_lora, so an exported merged model and a merged compiled
// graph compute the same numbers.
#include "slimtune/merge_lora.h"

#include "slimtune/checked_math.h"

#include "kernels/cpu/kernels.h"

#include <cmath>
#include <string>

namespace slimtune {
namespace {

Status expectSize(const char *what, size_t have, int64_t rows, int64_t cols) {
  auto want = checkedMul(static_cast<uint64_t>(rows), static_cast<uint64_t>(cols));
  if (want && *want == have)
    return Status::ok();
  return Status::error(std::string(what) + " holds " + std::to_string(have) +
                       " values, expected " + std::to_string(rows) + " x " +
                       std::to_string(cols));
}

} // namespace

Status mergeLoraIntoWeight(std::vector<float> &weight, const std::vector<float> &loraA,
                           const std::vector<float> &loraB, const LoraMergeShape &s) {
  if (s.in <= 0 || s.out <= 0 || s.rank <= 0)
    return Status::error("LoRA merge needs positive in, out and rank, got " +
                         std::to_string(s.in) + ", " + std::to_string(s.out) + ", " +
                         std::to_string(s.rank));
  if (!std::isfinite(s.scale))
    return Status::error("LoRA merge needs a finite scale");
  bool outIn = s.layout == WeightLayout::OutIn;
  if (Status st = expectSize("the weight", weight.size(), outIn ? s.out : s.in,
                             outIn ? s.in : s.out);
      !st)
    return st;
  if (Status st = expectSize("lora_A", loraA.size(), s.rank, s.in); !st)
    return st;
  if (Status st = expectSize("lora_B", loraB.size(), s.out, s.rank); !st)
    return st;
  if (cpu::mergeLora(weight.data(), weight.data(), loraA.data(), loraB.data(), s.in, s.out,
                     s.rank, static_cast<float>(s.scale), outIn ? 0 : 1) != SLIMTUNE_KERNEL_OK)
    return Status::error("LoRA merge failed: the GEMM library refused it");
  return Status::ok();
}

Status mergeLoraIntoWeight(std::vector<float> &weight, const std::vector<float> &loraA,
                           const std::vector<float> &loraB, const AdaptedLinear &adapter) {
  const LinearSpec &linear = *adapter.linear;
  LoraMergeShape shape{linear.in, linear.out, adapter.rank, linear.layout, adapter.scale};
  return mergeLoraIntoWeight(weight, loraA, loraB, shape)
      .withContext("merging the adapter of " + linear.module);
}

} // namespace slimtune
