//===- ImportModel.cpp - model + adapters -> slim forward graph --------------------------===//
//
// One builder walks the decoder: embeddings, then per layer the attention block (LLaMA:
// separate q/k/v with RoPE and grouped KV heads; GPT-2: the fused c_attn split in three) and
// the MLP block (SwiGLU or GELU), the final norm, the LM head and the loss. Every linear layer
// an adapter targets gets `slim.lora` added to its output.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/import/ImportModel.h"

#include "dialects/slim/SlimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <map>

using namespace mlir;
using namespace mlir::slim;

namespace slimtune {
namespace {

class GraphBuilder {
public:
  GraphBuilder(MLIRContext &context, const ModelSpec &spec,
               const std::vector<AdaptedLinear> &adapters, const ImportOptions &options)
      : ctx_(context), b_(&context), spec_(spec), options_(options) {
    for (const AdaptedLinear &a : adapters)
      adapters_[a.linear] = &a;
  }

  OwningOpRef<ModuleOp> build() {
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc("model"));
    collectArguments();
    SmallVector<Type> types;
    SmallVector<DictionaryAttr> attrs;
    for (const Argument &a : args_) {
      types.push_back(a.type);
      attrs.push_back(a.attrs);
    }
    b_.setInsertionPointToEnd(module->getBody());
    auto func = b_.create<func::FuncOp>(loc("forward"), "forward",
                                        b_.getFunctionType(types, {scalarLoss()}));
    func.setAllArgAttrs(attrs);
    if (!options_.adapterConfig.empty())
      func->setAttr(SlimDialect::kAdapterConfigAttrName, b_.getStringAttr(options_.adapterConfig));
    Block *entry = func.addEntryBlock();
    b_.setInsertionPointToStart(entry);
    for (auto [i, a] : llvm::enumerate(args_))
      values_[a.name] = entry->getArgument(i);

    Value loss = forward();
    if (failed_)
      return nullptr;
    b_.create<func::ReturnOp>(loc("forward"), loss);
    return module;
  }

private:
  struct Argument {
    std::string name;
    Type type;
    DictionaryAttr attrs;
  };

  Location loc(StringRef name) { return NameLoc::get(b_.getStringAttr(name)); }
  Type f32() { return b_.getF32Type(); }
  RankedTensorType scalarLoss() { return RankedTensorType::get({}, f32()); }
  RankedTensorType ids() {
    return RankedTensorType::get({options_.batch, options_.seq}, b_.getI32Type());
  }

  // Which frozen weight matrix a parameter is, for --precision (frozenElement).
  enum class Matrix { None, Layer, Vocabulary };

  // The element type --precision keeps a frozen matrix in: bf16; or ggml blocks, Q8_0 for
  // q8 and Q4_1 for a layer's weight under q4, where its rows are whole blocks. Under q4 the
  // token embedding and the LM head (the vocabulary's matrices, tied in most small models)
  // stay Q8_0, as llama.cpp's own 4-bit files keep them: every logit goes through the head.
  Type frozenElement(Matrix matrix, int64_t rowLength) {
    const std::string &p = options_.frozenPrecision;
    if (matrix == Matrix::None || p == "fp32")
      return f32();
    if (p == "bf16")
      return b_.getBF16Type();
    if (rowLength % BlocksType::kBlockElements != 0)
      return b_.getBF16Type(); // not whole blocks: the next narrowest the kernels read
    const bool four = p == "q4" && matrix == Matrix::Layer;
    return BlocksType::get(&ctx_, four ? BlockFormat::q4_1 : BlockFormat::q8_0);
  }

  // Arguments in the order the graph first uses them; a tied weight appears once.
  void param(const std::string &name, std::vector<int64_t> shape, bool trainable,
             Matrix matrix = Matrix::None) {
    if (name.empty() || values_.count(name))
      return;
    values_[name] = Value();
    auto attr = ParamAttr::get(&ctx_, name, trainable ? ParamRole::trainable : ParamRole::frozen);
    Type element = trainable ? f32() : frozenElement(matrix, shape.back());
    args_.push_back({name, RankedTensorType::get(shape, element),
                     b_.getDictionaryAttr(b_.getNamedAttr(SlimDialect::kParamAttrName, attr))});
  }

  void linearParams(const LinearSpec &l, Matrix matrix = Matrix::Layer) {
    if (l.weight.empty())
      return;
    param(l.weight, l.layout == WeightLayout::OutIn ? std::vector<int64_t>{l.out, l.in}
                                                    : std::vector<int64_t>{l.in, l.out},
          false, matrix);
    param(l.bias, {l.out}, false);
    if (auto it = adapters_.find(&l); it != adapters_.end()) {
      param(it->second->loraA, {it->second->rank, l.in}, true);
      param(it->second->loraB, {l.out, it->second->rank}, true);
    }
  }

  void normParams(const NormSpec &n) {
    param(n.weight, {spec_.config.hiddenSize}, false);
    param(n.bias, {spec_.config.hiddenSize}, false);
  }

  void collectArguments() {
    const ModelConfig &c = spec_.config;
    param(spec_.tokenEmbedding, {c.vocabSize, c.hiddenSize}, false, Matrix::Vocabulary);
    param(spec_.positionEmbedding, {c.maxPositions, c.hiddenSize}, false);
    for (const LayerSpec &l : spec_.layers) {
      normParams(l.attnNorm);
      for (const LinearSpec *s : {&l.q, &l.k, &l.v, &l.qkv, &l.o})
        linearParams(*s);
      normParams(l.mlpNorm);
      for (const LinearSpec *s : {&l.gate, &l.up, &l.down})
        linearParams(*s);
    }
    normParams(spec_.finalNorm);
    linearParams(spec_.lmHead, Matrix::Vocabulary);
    for (const char *input : {"tokens", "targets"}) {
      values_[input] = Value();
      args_.push_back({input, ids(),
                       b_.getDictionaryAttr(b_.getNamedAttr(SlimDialect::kInputAttrName,
                                                            b_.getStringAttr(input)))});
    }
  }

  Value value(const std::string &name) { return name.empty() ? Value() : values_.at(name); }

  // Builds one op, or nothing once an op has failed: a shape rule that rejects its operands
  // (an epsilon the verifier refuses, say) has emitted its diagnostic, and every op after it
  // would read a value that does not exist. The builder then runs to the end making nothing,
  // and build() returns null.
  template <typename OpT, typename... Args> Value make(Location l, Args &&...args) {
    if (failed_)
      return Value();
    OpT op = createInferred<OpT>(b_, l, std::forward<Args>(args)...);
    if (!op) {
      failed_ = true;
      return Value();
    }
    return op.getResult();
  }

  // y = linear(x) (+ its LoRA update when adapted).
  Value linear(const LinearSpec &l, Value x) {
    Location at = loc(l.module);
    auto layout = l.layout == WeightLayout::OutIn ? mlir::slim::WeightLayout::out_in
                                                  : mlir::slim::WeightLayout::in_out;
    Value y = make<LinearOp>(at, x, value(l.weight), value(l.bias), layout);
    auto it = adapters_.find(&l);
    if (it == adapters_.end())
      return y;
    const AdaptedLinear &a = *it->second;
    // A seed per module (FNV-1a of its name: stable across compiles, so a resumed run draws
    // the same masks): its dropout masks differ from every other adapter's.
    uint64_t seed = 14695981039346656037ull;
    for (char ch : l.module)
      seed = (seed ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
    Value delta = make<LoraOp>(at, x, value(a.loraA), value(a.loraB), APFloat(a.scale),
                               APFloat(options_.loraDropout), seed & 0x7fffffffffffffffull);
    return make<AddOp>(at, y, delta);
  }

  Value norm(const NormSpec &n, Value x, StringRef where) {
    APFloat eps(spec_.config.normEps);
    if (spec_.config.family == ModelFamily::Llama)
      return make<RMSNormOp>(loc(where), x, value(n.weight), eps);
    return make<LayerNormOp>(loc(where), x, value(n.weight), value(n.bias), eps);
  }

  Value attention(const LayerSpec &l, Value h, const std::string &where) {
    const ModelConfig &c = spec_.config;
    Value q, k, v;
    if (c.family == ModelFamily::Llama) {
      q = linear(l.q, h);
      k = linear(l.k, h);
      v = linear(l.v, h);
      APFloat theta(c.ropeTheta);
      q = make<RopeOp>(loc(l.q.module), q, static_cast<uint64_t>(c.headDim), theta);
      k = make<RopeOp>(loc(l.k.module), k, static_cast<uint64_t>(c.headDim), theta);
    } else {
      Value qkv = linear(l.qkv, h);
      int64_t C = c.hiddenSize;
      Location at = loc(l.qkv.module);
      q = make<SliceOp>(at, qkv, uint64_t(0), uint64_t(C));
      k = make<SliceOp>(at, qkv, uint64_t(C), uint64_t(2 * C));
      v = make<SliceOp>(at, qkv, uint64_t(2 * C), uint64_t(3 * C));
    }
    FloatAttr scale = c.attentionScale > 0 ? b_.getF64FloatAttr(c.attentionScale) : FloatAttr();
    Value a = make<AttentionOp>(loc(where + "attention"), q, k, v, static_cast<uint64_t>(c.numHeads),
                                static_cast<uint64_t>(c.numKvHeads), scale);
    return linear(l.o, a);
  }

  Value mlp(const LayerSpec &l, Value h, const std::string &where) {
    const ModelConfig &c = spec_.config;
    if (c.family == ModelFamily::Llama) {
      Value gate = make<SiluOp>(loc(where + "mlp.act_fn"), linear(l.gate, h));
      return linear(l.down, make<MulOp>(loc(where + "mlp"), gate, linear(l.up, h)));
    }
    auto approx = c.activation == "gelu" ? GeluApproximation::none : GeluApproximation::tanh;
    Value up = make<GeluOp>(loc(where + "mlp.act"), linear(l.up, h), approx);
    return linear(l.down, up);
  }

  Value forward() {
    const ModelConfig &c = spec_.config;
    bool llama = c.family == ModelFamily::Llama;
    Value tokens = value("tokens");
    Value x = make<EmbeddingOp>(loc(llama ? "model.embed_tokens" : "transformer.wte"),
                                value(spec_.tokenEmbedding), tokens);
    if (!spec_.positionEmbedding.empty())
      x = make<AddOp>(loc("transformer.wpe"), x,
                      make<PositionEmbeddingOp>(loc("transformer.wpe"),
                                                value(spec_.positionEmbedding), tokens));
    for (size_t i = 0; i < spec_.layers.size(); ++i) {
      const LayerSpec &l = spec_.layers[i];
      std::string where = (llama ? "model.layers." : "transformer.h.") + std::to_string(i) + ".";
      Value h = norm(l.attnNorm, x, where + (llama ? "input_layernorm" : "ln_1"));
      x = make<AddOp>(loc(where + "residual"), x,
                      attention(l, h, where + (llama ? "self_attn." : "attn.")));
      h = norm(l.mlpNorm, x, where + (llama ? "post_attention_layernorm" : "ln_2"));
      x = make<AddOp>(loc(where + "residual"), x, mlp(l, h, where));
    }
    Value h = norm(spec_.finalNorm, x, llama ? "model.norm" : "transformer.ln_f");
    Value logits = linear(spec_.lmHead, h);
    return make<CrossEntropyOp>(loc("loss"), logits, value("targets"), uint64_t(-100));
  }

  MLIRContext &ctx_;
  OpBuilder b_;
  const ModelSpec &spec_;
  const ImportOptions &options_;
  std::map<const LinearSpec *, const AdaptedLinear *> adapters_;
  std::vector<Argument> args_;
  std::map<std::string, Value> values_;
  bool failed_ = false;
};

} // namespace

OwningOpRef<ModuleOp> importModel(MLIRContext &context, const ModelSpec &spec,
                                  const std::vector<AdaptedLinear> &adapters,
                                  const ImportOptions &options, std::string &error) {
  const ModelConfig &c = spec.config;
  if (options.batch <= 0 || options.seq <= 0) {
    error = "--batch and --seq must be positive";
    return nullptr;
  }
  // GPT-2 has a learned position per slot; a longer sequence has no embedding to read.
  if (c.family == ModelFamily::Gpt2 && options.seq > c.maxPositions) {
    error = "--seq " + std::to_string(options.seq) + " exceeds the model's " +
            std::to_string(c.maxPositions) + " positions";
    return nullptr;
  }
  context.loadDialect<SlimDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = GraphBuilder(context, spec, adapters, options).build();
  if (!module) {
    error = "the model's settings give an invalid graph (see the diagnostic above)";
    return nullptr;
  }
  if (failed(verify(*module))) {
    error = "internal error: the imported graph does not verify";
    return nullptr;
  }
  return module;
}

} // namespace slimtune
