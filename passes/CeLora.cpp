//===- CeLora.cpp - slim-ce-lora ------------------------------------------------------------===//
//
// CE-LoRA (arXiv 2502.01378) as a forward rewrite: an adapted layer's frozen weight becomes
// its rank-r0 SVD pair plus the residual, and the residual's linear becomes a
// slim.sampled_linear, whose backward keeps k output features of the input gradient. The
// SVD itself is the runtime's (when it binds the model: the values are not in the IR); this
// pass only names the new frozen arguments after the weight, so the runtime knows what to
// derive from what:
//   <W>.svd_left [R, r0], <W>.svd_right [r0, C]  with W [R, C] ≈ left·right as stored
//   <W>.svd_residual [R, C] = W − left·right
// Factoring the stored matrix (not W as [out, in]) keeps the runtime free of layouts: the two
// small linears take the weight's own layout (out_in: x·rightᵀ·leftᵀ; in_out: x·left·right).
//
//===-------------------------------------------------------------------------------------===//

#include "passes/AdaptedLayer.h"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMCELORA
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

// The decoder layer index in a parameter name ("model.layers.3.mlp..." or GPT-2's
// "transformer.h.3.mlp..."), or -1.
int64_t layerIndex(StringRef name) {
  SmallVector<StringRef> parts;
  name.split(parts, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int64_t index;
    if ((parts[i] == "layers" || parts[i] == "h") && !parts[i + 1].getAsInteger(10, index))
      return index;
  }
  return -1;
}

struct KeepRatio {
  std::string name;
  double ratio;
};

struct CeLoraPass : public mlir::slim::impl::SlimCeLoraBase<CeLoraPass> {
  using SlimCeLoraBase::SlimCeLoraBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (Operation *op = firstTrainingOp(func)) {
      op->emitOpError() << "slim-ce-lora: the graph is already a training step; run it on the "
                           "forward graph, before slim-autodiff";
      return signalPassFailure();
    }
    SmallVector<KeepRatio> ratios;
    if (failed(parseKeep(func, ratios)))
      return signalPassFailure();
    if (rank < 0 || refresh < 1 || layers < -1) {
      func.emitError() << "slim-ce-lora: expects rank >= 0, refresh >= 1 and layers >= -1, got rank="
                       << rank << " refresh=" << refresh << " layers=" << layers;
      return signalPassFailure();
    }

    SmallVector<std::pair<AddOp, AdaptedLayer>> candidates;
    int64_t lastLayer = -1;
    func.walk([&](AddOp add) {
      if (auto layer = matchAdaptedLayer(add)) {
        candidates.push_back({add, *layer});
        if (auto param = frozenParam(func, layer->linear.getWeight()))
          lastLayer = std::max(lastLayer, layerIndex(param.getName()));
      }
    });
    const int64_t firstLayer = layers < 0 ? 0 : lastLayer + 1 - layers;
    for (auto &[add, layer] : candidates) {
      ParamAttr param = frozenParam(func, layer.linear.getWeight());
      if (!param || !layer.linear.getWeight().hasOneUse())
        continue; // a trainable or shared weight (tied embeddings): left exact
      std::optional<double> ratio = ratioFor(ratios, param.getName());
      int64_t index = layerIndex(param.getName());
      if (!ratio || *ratio >= 1.0 || (layers >= 0 && index < firstLayer))
        continue;
      if (failed(rewrite(func, layer, param, *ratio)))
        return signalPassFailure();
    }
  }

  LogicalResult parseKeep(func::FuncOp func, SmallVectorImpl<KeepRatio> &ratios) {
    SmallVector<StringRef> entries;
    StringRef(keep).split(entries, ',', -1, /*KeepEmpty=*/false);
    for (StringRef entry : entries) {
      auto [name, value] = entry.trim().split('=');
      double ratio;
      if (name.empty() || value.trim().getAsDouble(ratio) || !(ratio > 0.0 && ratio <= 1.0))
        return func.emitError() << "slim-ce-lora: keep entry \"" << entry
                                << "\" is not name=ratio with a ratio in (0, 1]";
      ratios.push_back({name.trim().str(), ratio});
    }
    return success();
  }

  // The ratio of the last entry the weight's module name ends with.
  static std::optional<double> ratioFor(ArrayRef<KeepRatio> ratios, StringRef weightName) {
    StringRef module = weightName;
    module.consume_back(".weight");
    std::optional<double> found;
    for (const KeepRatio &r : ratios)
      if (module == r.name || module.ends_with("." + r.name))
        found = r.ratio;
    return found;
  }

  static ParamAttr frozenParam(func::FuncOp func, Value weight) {
    auto arg = dyn_cast<BlockArgument>(weight);
    if (!arg || arg.getOwner() != &func.getBody().front())
      return {};
    auto param = func.getArgAttrOfType<ParamAttr>(arg.getArgNumber(), SlimDialect::kParamAttrName);
    return param && !param.isTrainable() ? param : ParamAttr();
  }

  LogicalResult rewrite(func::FuncOp func, AdaptedLayer layer, ParamAttr param, double ratio) {
    LinearOp linear = layer.linear;
    auto weight = cast<BlockArgument>(linear.getWeight());
    auto type = cast<RankedTensorType>(weight.getType());
    const int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    const int64_t out = linear.getOutFeatures();
    const int64_t r0 = rank > 0 ? int64_t(rank) : layer.lora.getRank();
    if (ShapedType::isDynamic(rows) || ShapedType::isDynamic(cols))
      return linear.emitOpError() << "slim-ce-lora: needs a weight of static shape";
    if (r0 >= std::min(rows, cols))
      return linear.emitOpError() << "slim-ce-lora: SVD rank " << r0 << " is not below the "
                                  << "weight's smaller dimension (" << std::min(rows, cols)
                                  << "): nothing would be left to sample";
    const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(double(out) * ratio - 1e-9)));
    if (k >= out)
      return success(); // keeps every feature: exact

    // The new arguments, after the weight (which goes): left, right, residual, columns.
    MLIRContext *ctx = func.getContext();
    Builder b(ctx);
    Location loc = weight.getLoc();
    std::string name = param.getName().str();
    unsigned at = weight.getArgNumber() + 1;
    auto addArgument = [&](Type t, NamedAttribute attr) {
      func.insertArgument(at, t, b.getDictionaryAttr(attr), loc);
      return func.getArgument(at++);
    };
    auto frozen = [&](const std::string &suffix) {
      return b.getNamedAttr(SlimDialect::kParamAttrName,
                            ParamAttr::get(ctx, name + suffix, ParamRole::frozen));
    };
    Type element = type.getElementType();
    Value left = addArgument(RankedTensorType::get({rows, r0}, element), frozen(".svd_left"));
    Value right = addArgument(RankedTensorType::get({r0, cols}, element), frozen(".svd_right"));
    Value residual = addArgument(type, frozen(".svd_residual"));
    Value columns = addArgument(RankedTensorType::get({k}, b.getI32Type()),
                                b.getNamedAttr(SlimDialect::kStateAttrName,
                                               b.getStringAttr(name + ".ce_lora_columns")));

    OpBuilder ob(linear);
    Location at0 = linear.getLoc();
    WeightLayout layout = linear.getLayout();
    bool outIn = layout == WeightLayout::out_in;
    Value sampled = createInferred<SampledLinearOp>(ob, at0, linear.getInput(), residual, columns,
                                                    linear.getBias(), ob.getI64IntegerAttr(refresh),
                                                    linear.getLayoutAttr());
    // out_in: x·Wᵀ ≈ (x·rightᵀ)·leftᵀ; in_out: x·W ≈ (x·left)·right.
    Value u = createInferred<LinearOp>(ob, at0, linear.getInput(), outIn ? right : left, Value(), layout);
    Value lowRank = createInferred<LinearOp>(ob, at0, u, outIn ? left : right, Value(), layout);
    Value sum = createInferred<AddOp>(ob, at0, sampled, lowRank);
    linear.getResult().replaceAllUsesWith(sum);
    linear.erase();
    func.eraseArgument(weight.getArgNumber());
    return success();
  }
};

} // namespace
