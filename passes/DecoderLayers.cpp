//===- DecoderLayers.cpp - a decoder's layers, found by its residual stream ----------------===//

#include "passes/DecoderLayers.h"

#include "llvm/ADT/DenseSet.h"

#include <cstring>

namespace mlir::slim {
namespace {

// Whether `v` is computed from `from` (through ops after `from`'s definition).
bool dependsOn(Value v, Value from, DenseSet<Value> &seen) {
  if (v == from)
    return true;
  if (!seen.insert(v).second)
    return false;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (Operation *start = from.getDefiningOp(); start && op->isBeforeInBlock(start))
    return false;
  return llvm::any_of(op->getOperands(), [&](Value operand) { return dependsOn(operand, from, seen); });
}

// The residual add `add` is, if it is one: its stream operand.
Value streamOf(AddOp add) {
  for (auto [stream, branch] : {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
    DenseSet<Value> seen;
    if (dependsOn(branch, stream, seen))
      return stream;
  }
  return Value();
}

// The branch's ops: those between the stream and the residual that are computed from the
// stream and feed the branch's output.
void collectBranch(ResidualBlock &block) {
  DenseSet<Value> fromStream = {block.input};
  DenseSet<Operation *> feeding;
  SmallVector<Value> work = {block.branchOutput()};
  while (!work.empty()) {
    Operation *op = work.pop_back_val().getDefiningOp();
    if (!op || !feeding.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      work.push_back(operand);
  }
  Operation *start = block.input.getDefiningOp();
  mlir::Block *body = block.residual->getBlock();
  auto it = start ? std::next(start->getIterator()) : body->begin();
  for (; &*it != block.residual.getOperation(); ++it) {
    Operation *op = &*it;
    if (llvm::none_of(op->getOperands(), [&](Value v) { return fromStream.contains(v); }))
      continue;
    for (Value r : op->getResults())
      fromStream.insert(r);
    if (feeding.contains(op))
      block.ops.push_back(op);
  }
}

// The prefix of the layer's adapter parameters ("base_model.model.model.layers.3"): from a
// LoRA parameter of the layer when it has one, else "base_model.model." and a frozen
// parameter's module path ("blk.3" in a GGUF file). Not the ops' locations, which a graph
// read back from text without debug info no longer has.
std::string layerName(func::FuncOp func, const ResidualBlock &block, size_t index) {
  std::string marker = "." + std::to_string(index) + ".", frozen;
  for (Operation *op : block.ops)
    for (Value operand : op->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand);
      auto param = arg ? func.getArgAttrOfType<ParamAttr>(arg.getArgNumber(),
                                                          SlimDialect::kParamAttrName)
                       : ParamAttr();
      if (!param)
        continue;
      StringRef name = param.getName();
      size_t at = name.find(marker);
      if (at == StringRef::npos)
        continue;
      std::string prefix = name.substr(0, at + marker.size() - 1).str();
      if (param.isTrainable())
        return prefix;
      if (frozen.empty())
        frozen = "base_model.model." + prefix;
    }
  return frozen.empty() ? "base_model.model.layers." + std::to_string(index) : frozen;
}

} // namespace

FailureOr<SmallVector<Layer>> findLayers(func::FuncOp func, StringRef pass) {
  SmallVector<std::pair<AddOp, Value>> residuals;
  func.walk([&](AddOp add) {
    if (Value stream = streamOf(add))
      residuals.push_back({add, stream});
  });
  if (residuals.empty() || residuals.size() % 2 != 0)
    return func.emitError() << pass << ": expects a decoder whose layers are two residual "
                               "blocks (attention, MLP), found "
                            << residuals.size() << " residual adds";
  SmallVector<Layer> layers;
  for (size_t i = 0; i < residuals.size(); ++i) {
    auto [add, stream] = residuals[i];
    if (i > 0 && stream != residuals[i - 1].first.getResult())
      return add.emitError() << pass << ": this residual add does not continue the "
                                "stream of the one before it";
    ResidualBlock block{stream, add, {}};
    collectBranch(block);
    if (i % 2 == 0) {
      layers.push_back({});
      layers.back().attention = std::move(block);
    } else {
      layers.back().mlp = std::move(block);
      Layer &l = layers.back();
      l.name = layerName(func, l.attention, layers.size() - 1);
      l.module = StringRef(l.name).starts_with("base_model.model.")
                     ? l.name.substr(std::strlen("base_model.model."))
                     : l.name;
    }
  }
  return layers;
}

} // namespace mlir::slim
