//===- Optimizer.cpp - slim-optimizer -------------------------------------------------------===//
//
// Turns a step that returns gradients (slim-autodiff's result) into one that applies them:
// AdamW with fp32 moments per trainable parameter (new arguments named "<param>.exp_avg" and
// "<param>.exp_avg_sq", as PyTorch's optimizer state calls them), the learning rate read from
// a step input (the runtime gives it at every step: the caller's, or the schedule the pass
// records on the function), a step counter, and optional clipping to a global gradient norm.
// Parameters and moments come back as results tied to their arguments (slim.updates), which
// the step writes in place; with keep-gradients the gradients come back too, for trainers
// that read them.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"

#include <sstream>

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMOPTIMIZER
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

struct OptimizerPass : public mlir::slim::impl::SlimOptimizerBase<OptimizerPass> {
  using SlimOptimizerBase::SlimOptimizerBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(checkOptions(func)) || failed(apply(func)))
      signalPassFailure();
  }

  LogicalResult checkOptions(func::FuncOp func) {
    if (schedule != "constant" && schedule != "cosine")
      return func.emitError() << "slim-optimizer: schedule must be constant or cosine, got \""
                              << schedule << "\"";
    auto show = [](double v) {
      std::ostringstream os;
      os << v;
      return os.str();
    };
    auto between = [&](const char *name, double value, double low, double high) -> LogicalResult {
      if (value >= low && value < high)
        return success();
      return func.emitError() << "slim-optimizer: " << name << " must be in [" << show(low)
                              << ", " << show(high) << "), got " << show(value);
    };
    if (failed(between("lr", learningRate, 1e-12, 1e3)) || failed(between("beta1", beta1, 0, 1)) ||
        failed(between("beta2", beta2, 0, 1)) || failed(between("eps", epsilon, 1e-30, 1)) ||
        failed(between("weight-decay", weightDecay, 0, 1e3)) ||
        failed(between("max-grad-norm", maxGradNorm, 0, 1e30)))
      return failure();
    if (warmupSteps < 0)
      return func.emitError() << "slim-optimizer: warmup-steps must be >= 0, got "
                              << static_cast<int64_t>(warmupSteps);
    if (schedule == "cosine" && totalSteps <= warmupSteps)
      return func.emitError() << "slim-optimizer: a cosine schedule needs total-steps ("
                              << static_cast<int64_t>(totalSteps) << ") > warmup-steps ("
                              << static_cast<int64_t>(warmupSteps) << ")";
    if (schedule == "cosine" && !(minLearningRate >= 0 && minLearningRate <= learningRate))
      return func.emitError() << "slim-optimizer: min-lr must be in [0, lr], got "
                              << show(minLearningRate);
    return success();
  }

  LogicalResult apply(func::FuncOp func) {
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpBuilder b(func.getContext());
    Location loc = func.getLoc();

    // The gradients slim-autodiff returned, and the parameters they belong to.
    Value loss;
    SmallVector<std::pair<BlockArgument, Value>> updates;
    SmallVector<std::pair<Value, Attribute>> kept; // state the backward updates, returned as is
    for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
      if (func.getResultAttrOfType<IntegerAttr>(i, SlimDialect::kUpdatesAttrName)) {
        kept.push_back({ret.getOperand(i), func.getResultAttrDict(i)});
        continue;
      }
      if (auto out = func.getResultAttrOfType<StringAttr>(i, SlimDialect::kOutputAttrName);
          out && out.getValue() == "loss") {
        loss = ret.getOperand(i);
        continue;
      }
      auto gradOf = func.getResultAttrOfType<StringAttr>(i, SlimDialect::kGradAttrName);
      if (!gradOf)
        return func.emitError() << "slim-optimizer: result #" << i
                                << " is neither the loss nor a gradient; run slim-autodiff first";
      std::optional<BlockArgument> param;
      for (BlockArgument arg : func.getArguments())
        if (auto p = func.getArgAttrOfType<ParamAttr>(arg.getArgNumber(), SlimDialect::kParamAttrName);
            p && p.getName() == gradOf.getValue())
          param = arg;
      updates.push_back({*param, ret.getOperand(i)});
    }
    if (!loss || updates.empty())
      return func.emitError() << "slim-optimizer: expects slim-autodiff's loss and gradients";

    // New arguments: two moments per parameter, then the step counter.
    auto addArgument = [&](Type type, NamedAttribute attr) {
      unsigned index = func.getNumArguments();
      func.insertArgument(index, type, b.getDictionaryAttr(attr), loc);
      return func.getArgument(index);
    };
    SmallVector<std::pair<BlockArgument, BlockArgument>> moments;
    for (auto [param, grad] : updates) {
      StringRef name = func.getArgAttrOfType<ParamAttr>(param.getArgNumber(), SlimDialect::kParamAttrName).getName();
      BlockArgument m = addArgument(param.getType(), b.getNamedAttr(SlimDialect::kStateAttrName,
                                    b.getStringAttr(name.str() + ".exp_avg")));
      BlockArgument v = addArgument(param.getType(), b.getNamedAttr(SlimDialect::kStateAttrName,
                                    b.getStringAttr(name.str() + ".exp_avg_sq")));
      moments.push_back({m, v});
    }
    BlockArgument step = addArgument(RankedTensorType::get({}, b.getI32Type()),
                                     b.getNamedAttr(SlimDialect::kInputAttrName, b.getStringAttr("step")));
    // The learning rate is an input: the schedule is the caller's to choose at run time. The
    // one the options describe is recorded for the runtime to follow when the caller gives
    // none (and for a reader of the IR).
    BlockArgument lr = addArgument(RankedTensorType::get({}, b.getF32Type()),
                                   b.getNamedAttr(SlimDialect::kInputAttrName, b.getStringAttr("lr")));
    bool cosine = schedule == "cosine";
    LrScheduleSpec recorded{schedule, learningRate, cosine ? int64_t(warmupSteps) : 0,
                            cosine ? int64_t(totalSteps) : 0, cosine ? double(minLearningRate) : 0.0};
    func->setAttr(SlimDialect::kLrScheduleAttrName, recorded.toAttr(b.getContext()));

    b.setInsertionPoint(ret);
    SmallVector<Value> grads;
    for (auto &u : updates)
      grads.push_back(u.second);
    Value normSquared = createInferred<GlobalNormSquaredOp>(b, loc, grads);
    Value norm = createInferred<SqrtOp>(b, loc, normSquared);

    SmallVector<Value> results = {loss, norm};
    auto named = [&](StringRef key, Attribute value) {
      return b.getDictionaryAttr(b.getNamedAttr(key, value));
    };
    SmallVector<Attribute> resultAttrs = {named(SlimDialect::kOutputAttrName, b.getStringAttr("loss")),
                                          named(SlimDialect::kOutputAttrName, b.getStringAttr("grad_norm"))};
    // Gradients as outputs: the step writes each into a buffer of its own (read as
    // "<param>.grad") instead of a transient arena slot, and AdamW reads it from there.
    if (keepGradients)
      for (auto [param, grad] : updates) {
        results.push_back(grad);
        resultAttrs.push_back(named(
            SlimDialect::kGradAttrName,
            b.getStringAttr(func.getArgAttrOfType<ParamAttr>(param.getArgNumber(),
                                                             SlimDialect::kParamAttrName)
                                .getName())));
      }
    for (auto [u, mv] : llvm::zip_equal(updates, moments)) {
      auto [param, grad] = u;
      auto [m, v] = mv;
      auto adam = createInferred<AdamWOp>(
          b, loc, param, grad, m, v, lr, step, normSquared, b.getF64FloatAttr(beta1),
          b.getF64FloatAttr(beta2), b.getF64FloatAttr(epsilon), b.getF64FloatAttr(weightDecay),
          b.getF64FloatAttr(maxGradNorm));
      SmallVector<Value, 3> updated = {param, m, v};
      for (auto [value, arg] : llvm::zip_equal(adam->getResults(), updated)) {
        results.push_back(value);
        resultAttrs.push_back(named(SlimDialect::kUpdatesAttrName,
                                    b.getI64IntegerAttr(cast<BlockArgument>(arg).getArgNumber())));
      }
    }
    for (auto [value, attrs] : kept) {
      results.push_back(value);
      resultAttrs.push_back(attrs);
    }
    ret->setOperands(results);
    func.setFunctionType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                           ValueRange(results).getTypes()));
    func.setAllResultAttrs(resultAttrs);
    return success();
  }
};

} // namespace
