//===- InspectCommand.cpp - slimtune inspect ----------------------------------------------===//
//
// slimtune inspect --model PATH [--adapter CFG.json]
// Prints the architecture, parameter counts (total, and trainable with the adapter) and a
// table of every tensor in the file (name, dtype, shape, bytes).
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"

#include "slimtune/tensor_view.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand inspectCommand("inspect", "Describe a model (and an adapter for it)");

namespace {
cl::opt<std::string> model("model", cl::desc("Hugging Face model folder or .gguf file"),
                           cl::value_desc("PATH"), cl::sub(inspectCommand));
cl::opt<std::string> adapter("adapter", cl::desc("PEFT adapter_config.json"),
                             cl::value_desc("CFG.json"), cl::sub(inspectCommand));

uint64_t product(const std::vector<int64_t> &shape) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

struct Row {
  std::string name, dtype, shape;
  uint64_t bytes;
};

void printTable(llvm::raw_ostream &os, const std::vector<Row> &rows) {
  size_t nameWidth = 4, shapeWidth = 5;
  for (const Row &r : rows) {
    nameWidth = std::max(nameWidth, r.name.size());
    shapeWidth = std::max(shapeWidth, r.shape.size());
  }
  os << llvm::left_justify("name", nameWidth) << "  " << llvm::left_justify("dtype", 6) << "  "
     << llvm::left_justify("shape", shapeWidth) << "  " << llvm::right_justify("bytes", 12) << "\n";
  uint64_t total = 0;
  for (const Row &r : rows) {
    os << llvm::left_justify(r.name, nameWidth) << "  " << llvm::left_justify(r.dtype, 6) << "  "
       << llvm::left_justify(r.shape, shapeWidth) << "  " << llvm::format("%12llu", r.bytes) << "\n";
    total += r.bytes;
  }
  os << llvm::left_justify("total", nameWidth + shapeWidth + 10) << "  "
     << llvm::format("%12llu", total) << "\n";
}
} // namespace

int runInspect() {
  if (model.empty())
    return fail("inspect needs --model PATH");
  auto loaded = loadModel(model, adapter);
  if (!loaded)
    return fail(loaded.status());
  const ModelSource &source = *loaded->source;
  const ModelSpec &spec = source.spec();
  const ModelConfig &c = spec.config;
  llvm::raw_ostream &os = llvm::outs();

  os << "model: " << source.path() << " (" << source.format() << ")\n";
  os << "architecture: " << familyName(c.family) << " (" << c.architecture << "): " << c.numLayers
     << " layers, width " << c.hiddenSize << ", " << c.numHeads << " query / " << c.numKvHeads
     << " key-value heads of " << c.headDim << ", FFN " << c.intermediateSize << ", vocab "
     << c.vocabSize << ", " << c.maxPositions << " positions\n";
  os << "  " << (c.family == ModelFamily::Llama ? "RMSNorm" : "LayerNorm") << " eps " << number(c.normEps);
  if (c.family == ModelFamily::Llama)
    os << ", RoPE theta " << number(c.ropeTheta);
  os << ", activation " << c.activation << ", embeddings "
     << (c.tiedEmbeddings ? "tied" : "untied") << "\n";

  uint64_t parameters = 0;
  auto weights = expectedWeights(spec);
  for (const auto &[name, shape] : weights)
    parameters += product(shape);
  os << "parameters: " << parameters << " in " << weights.size() << " weights\n";

  if (loaded->adapter) {
    const AdapterConfig &a = *loaded->adapter;
    uint64_t trainable = 0;
    for (const AdaptedLinear &l : loaded->adapted)
      trainable += static_cast<uint64_t>(l.rank) * (l.linear->in + l.linear->out);
    os << "adapter: " << a.path << ": LoRA r " << a.r << ", alpha " << number(a.alpha) << ", dropout "
       << number(a.dropout) << (a.useRslora ? ", rsLoRA" : "") << ", " << loaded->adapted.size()
       << " modules\n";
    os << "trainable parameters: " << trainable << " ("
       << llvm::format("%.3f", 100.0 * trainable / parameters) << "% of the model)\n";
    for (const AdaptedLinear &l : loaded->adapted)
      os << "  " << l.linear->module << ": r " << l.rank << ", alpha " << number(l.alpha) << ", scale "
         << number(l.scale) << "\n";
  }

  std::vector<Row> rows;
  for (const StoredTensor &t : source.storedTensors())
    rows.push_back({t.name, t.dtype, shapeString(t.shape), t.bytes});
  os << "\ntensors in the file (" << rows.size() << "):\n";
  printTable(os, rows);
  if (loaded->adapter) {
    rows.clear();
    for (const AdaptedLinear &l : loaded->adapted) {
      std::vector<int64_t> a = {l.rank, l.linear->in}, b = {l.linear->out, l.rank};
      rows.push_back({l.loraA, "F32", shapeString(a), product(a) * 4});
      rows.push_back({l.loraB, "F32", shapeString(b), product(b) * 4});
    }
    os << "\nadapter tensors (" << rows.size() << "):\n";
    printTable(os, rows);
  }
  return 0;
}

} // namespace slimtune::cli
