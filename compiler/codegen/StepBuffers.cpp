//===- StepBuffers.cpp - the buffer table and manifest of a compiled step -----------------===//

#include "compiler/codegen/StepBuffers.h"

#include "dialects/slim/LossOps.h"
#include "dialects/slim/SlimOps.h"
#include "passes/ArenaPlanner.h"

#include "slimtune/kernel_abi.h"

using namespace mlir;
using namespace mlir::slim;

namespace slimtune::codegen {
namespace {
std::string dtypeOf(Type type) {
  Type element = cast<RankedTensorType>(type).getElementType();
  if (element.isF32())
    return "f32";
  if (element.isF64())
    return "f64";
  if (element.isBF16())
    return "bf16";
  if (element.isInteger(32))
    return "i32";
  if (auto blocks = dyn_cast<BlocksType>(element))
    return stringifyBlockFormat(blocks.getFormat()).str(); // "q8_0", "q4_0", "q4_1"
  return "?";
}

StepBuffer bufferFor(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  StepBuffer b;
  b.dtype = dtypeOf(type);
  b.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  b.bytes = tensorBytes(type);
  return b;
}
} // namespace

FailureOr<StepBuffers> collectStepBuffers(func::FuncOp step) {
  StepBuffers table;
  for (unsigned i = 0; i < step.getNumArguments(); ++i) {
    StepBuffer b = bufferFor(step.getArgumentTypes()[i]);
    if (auto param = step.getArgAttrOfType<ParamAttr>(i, SlimDialect::kParamAttrName)) {
      b.name = param.getName().str();
      b.role = param.isTrainable() ? "trainable" : "frozen";
    } else if (auto state = step.getArgAttrOfType<StringAttr>(i, SlimDialect::kStateAttrName)) {
      b.name = state.getValue().str();
      b.role = "state";
    } else if (auto input = step.getArgAttrOfType<StringAttr>(i, SlimDialect::kInputAttrName)) {
      b.name = input.getValue().str();
      b.role = input.getValue().str();
    } else {
      return step.emitError() << "argument #" << i
                              << " is neither a parameter, optimizer state nor input: the "
                                 "runtime could not bind it";
    }
    if (b.dtype == "?")
      return step.emitError() << "argument #" << i << " has an element type the runtime "
                                  "cannot hold: " << step.getArgumentTypes()[i];
    table.buffers.push_back(std::move(b));
  }
  Operation *ret = step.getBody().front().getTerminator();
  for (unsigned i = 0; i < step.getNumResults(); ++i) {
    if (auto updates = step.getResultAttrOfType<IntegerAttr>(i, SlimDialect::kUpdatesAttrName)) {
      table.resultBuffer.push_back(updates.getInt());
      continue;
    }
    StepBuffer b = bufferFor(step.getResultTypes()[i]);
    b.role = "output";
    if (auto out = step.getResultAttrOfType<StringAttr>(i, SlimDialect::kOutputAttrName)) {
      b.name = out.getValue().str();
    } else if (auto grad = step.getResultAttrOfType<StringAttr>(i, SlimDialect::kGradAttrName)) {
      b.name = grad.getValue().str() + ".grad";
      b.gradOf = grad.getValue().str();
    } else if (isForwardLoss(ret->getOperand(i).getDefiningOp())) {
      // A forward graph's result, as imported, is unnamed: it is the loss the runtime reports
      // (slim-autodiff names its own).
      b.name = "loss";
    } else {
      b.name = "result" + std::to_string(i);
    }
    table.resultBuffer.push_back(static_cast<int64_t>(table.buffers.size()));
    table.buffers.push_back(std::move(b));
  }
  return table;
}

int64_t matmulFlops(func::FuncOp step) {
  int64_t flops = 0;
  step.walk([&](KernelOpInterface op) { flops += op.getMatmulFlops(); });
  return flops;
}

llvm::json::Object buildManifest(func::FuncOp step, const StepBuffers &table,
                                 const KernelTarget &target) {
  llvm::json::Array buffers;
  for (const StepBuffer &b : table.buffers) {
    llvm::json::Object o{{"name", b.name}, {"role", b.role}, {"dtype", b.dtype},
                         {"shape", llvm::json::Array(b.shape)}, {"bytes", b.bytes}};
    if (!b.gradOf.empty())
      o["grad_of"] = b.gradOf;
    buffers.push_back(std::move(o));
  }
  llvm::json::Object manifest{{"format", "slimtune-step"},
                              {"abi_version", SLIMTUNE_ABI_VERSION},
                              {"target", target.name.str()},
                              {"arena_bytes", step->getAttrOfType<IntegerAttr>(kArenaBytesAttr).getInt()},
                              {"buffers", std::move(buffers)},
                              {"matmul_flops", matmulFlops(step)}};
  // The learning-rate schedule the runtime follows when a caller gives no rate, and the
  // adapter configuration checkpoints carry (for export).
  if (auto schedule = LrScheduleSpec::fromAttr(step->getAttr(SlimDialect::kLrScheduleAttrName))) {
    manifest["lr_schedule"] = llvm::json::Object{{"kind", schedule->kind},
                                                 {"lr", schedule->lr},
                                                 {"warmup_steps", schedule->warmupSteps},
                                                 {"total_steps", schedule->totalSteps},
                                                 {"min_lr", schedule->minLr}};
  }
  if (auto config = step->getAttrOfType<StringAttr>(SlimDialect::kAdapterConfigAttrName))
    manifest["adapter_config"] = config.getValue().str();
  // What a batch must satisfy: token ids index the embedding; targets index the logits or
  // are the ignore index.
  step.walk([&](EmbeddingOp op) {
    manifest["vocab"] = cast<RankedTensorType>(op.getTable().getType()).getDimSize(0);
  });
  step.walk([&](Operation *op) {
    if (std::optional<LossTargets> targets = lossTargets(op)) {
      manifest["classes"] = targets->classes;
      manifest["ignore_index"] = targets->ignoreIndex;
    }
  });
  return manifest;
}

} // namespace slimtune::codegen
