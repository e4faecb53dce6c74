//===- CeLora.cpp - slim-ce-lora ------------------------------------------------------------===//
//
// CE-LoRA (arXiv 2502.01378) as a forward rewrite: an adapted layer's frozen linear becomes a
// slim.sampled_linear, whose forward is the same and whose backward is CE-LoRA's approximate
// input gradient, from the weight's rank-r0 SVD pair and k output features of the residual.
// The SVD itself is the runtime's (when it binds the model: the values are not in the IR);
// this pass only names the new frozen arguments after the weight, so the runtime knows what
// to derive from what:
//   <W>.svd_left [R, r0], <W>.svd_right [r0, C]   W [R, C] ≈ left·right, as stored
//   <W>.svd_residual_row_norms [R]                ‖(W − left·right)[i, :]‖ (layout out_in)
//   <W>.svd_residual_column_norms [C]             ‖(W − left·right)[:, j]‖ (layout in_out)
// Factoring the stored matrix (not W as [out, in]) keeps the runtime free of layouts. W itself
// stays: the forward reads it, and the backward computes the residual's part from W and the
// pair (docs/techniques.md#ce-lora says why W_res is not stored instead).
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ActiveValues.h"
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

// The decoder layer index in a module name ("model.layers.3.mlp..." or GPT-2's
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
                       << static_cast<int64_t>(rank) << " refresh=" << static_cast<int64_t>(refresh)
                       << " layers=" << static_cast<int64_t>(layers);
      return signalPassFailure();
    }

    SmallVector<std::pair<AddOp, AdaptedLayer>> candidates;
    int64_t lastLayer = -1;
    func.walk([&](AddOp add) {
      if (auto layer = matchAdaptedLayer(add)) {
        candidates.push_back({add, *layer});
        lastLayer = std::max(lastLayer, layerIndex(moduleName(func, *layer)));
      }
    });
    const int64_t firstLayer = layers < 0 ? 0 : lastLayer + 1 - layers;
    DenseSet<Value> active = activeValues(func);
    for (auto &[add, layer] : candidates) {
      ParamAttr param = frozenParam(func, layer.linear.getWeight());
      if (!param || !layer.linear.getWeight().hasOneUse())
        continue; // a trainable or shared weight (tied embeddings): left exact
      if (!active.contains(layer.linear.getInput()))
        continue; // no input gradient is computed (the first layer's): nothing to approximate
      std::string module = moduleName(func, layer);
      std::optional<double> ratio = ratioFor(ratios, module);
      int64_t index = layerIndex(module);
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

  // The layer's Hugging Face module name ("model.layers.3.self_attn.v_proj"), from its
  // adapter's PEFT name: the frozen weight's own name is the model file's (a GGUF file calls
  // it "blk.3.attn_v.weight").
  static std::string moduleName(func::FuncOp func, AdaptedLayer layer) {
    auto arg = dyn_cast<BlockArgument>(layer.lora.getLoraA());
    if (!arg || arg.getOwner() != &func.getBody().front())
      return "";
    auto param = func.getArgAttrOfType<ParamAttr>(arg.getArgNumber(), SlimDialect::kParamAttrName);
    if (!param)
      return "";
    StringRef name = param.getName();
    name.consume_front("base_model.model.");
    name.consume_back(".weight");
    name.consume_back(".lora_A");
    return name.str();
  }

  // The ratio of the last entry the module name ends with.
  static std::optional<double> ratioFor(ArrayRef<KeepRatio> ratios, StringRef module) {
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
    const int64_t r0 = rank > 0 ? static_cast<int64_t>(rank) : layer.lora.getRank();
    if (ShapedType::isDynamic(rows) || ShapedType::isDynamic(cols))
      return linear.emitOpError() << "slim-ce-lora: needs a weight of static shape";
    if (r0 >= std::min(rows, cols))
      return linear.emitOpError() << "slim-ce-lora: SVD rank " << r0 << " is not below the "
                                  << "weight's smaller dimension (" << std::min(rows, cols)
                                  << "): nothing would be left to sample";
    const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(double(out) * ratio - 1e-9)));
    if (k >= out)
      return success(); // keeps every feature: exact

    // The new arguments, after the weight: the pair, the residual's norms, the columns.
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
    bool outIn = linear.getLayout() == WeightLayout::out_in;
    Value left = addArgument(RankedTensorType::get({rows, r0}, b.getF32Type()), frozen(".svd_left"));
    Value right = addArgument(RankedTensorType::get({r0, cols}, b.getF32Type()), frozen(".svd_right"));
    // An output feature is a row of W [out, in], a column of W [in, out].
    Value norms = addArgument(RankedTensorType::get({out}, b.getF32Type()),
                              frozen(outIn ? ".svd_residual_row_norms" : ".svd_residual_column_norms"));
    Value columns = addArgument(RankedTensorType::get({k}, b.getI32Type()),
                                b.getNamedAttr(SlimDialect::kStateAttrName,
                                               b.getStringAttr(name + ".ce_lora_columns")));

    OpBuilder ob(linear);
    Value sampled = createInferred<SampledLinearOp>(
        ob, linear.getLoc(), linear.getInput(), weight, left, right, norms, columns,
        linear.getBias(), ob.getI64IntegerAttr(static_cast<int64_t>(refresh)), linear.getLayoutAttr());
    linear.getResult().replaceAllUsesWith(sampled);
    linear.erase();
    return success();
  }
};

} // namespace
