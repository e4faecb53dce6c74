//===- TrainData.cpp - text or token files into packed sequences ---------------------------===//

#include "TrainData.h"

#include "slimtune/token_cache.h"
#include "slimtune/tokenizer.h"


#include <cstdlib>

namespace slimtune::cli {
namespace {

// $SLIMTUNE_CACHE/tokens, or ~/.cache/slimtune/tokens; "" (no cache) without a home.
std::string tokenCacheFolder() {
  if (const char *cache = std::getenv("SLIMTUNE_CACHE"); cache && *cache)
    return std::string(cache) + "/tokens";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/slimtune/tokens";
  return "";
}

} // namespace

Expected<PackedDataset> loadTrainingData(const TrainSettings &settings, const TrainPlan &plan,
                                         const ModelSource &model, std::string &report) {
  const std::string &dataPath = settings.get("data"), &tokensPath = settings.get("tokens");
  TokenizedDocuments documents;
  int32_t separator = -1;
  std::string source;
  if (!tokensPath.empty()) {
    // A token file is one stream, already joined as its author wanted.
    SLIMTUNE_TRY(ids, readTokenFile(tokensPath));
    documents.tokens = std::move(ids);
    documents.ends = {documents.tokens.size()};
    source = tokensPath;
  } else {
    SLIMTUNE_TRY(tokenizer, Tokenizer::fromModel(model.path()));
    std::optional<int32_t> eos = tokenizer.eosId();
    if (!eos)
      return Status::error(model.path() + ": the tokenizer has no end-of-text token to separate documents with");
    std::vector<std::string> warnings;
    auto text = tokenizeTextFile(dataPath, settings.get("doc-separator"), tokenizer,
                                 tokenCacheFolder(), warnings);
    for (const std::string &w : warnings)
      warn(w);
    if (!text)
      return text.status();
    documents = std::move(text->documents);
    separator = *eos;
    source = dataPath;
    report += "data: " + dataPath + ": " + std::to_string(documents.ends.size()) + " documents, " +
              std::to_string(documents.tokens.size()) + " tokens" +
              (text->fromCache ? " (cached tokens)" : "") + "\n";
  }
  int64_t vocab = model.spec().config.vocabSize;
  for (size_t i = 0; i < documents.tokens.size(); ++i)
    if (documents.tokens[i] < 0 || documents.tokens[i] >= vocab)
      return Status::error(source + ": token " + std::to_string(i) + " has id " +
                           std::to_string(documents.tokens[i]) + ", outside the model's vocabulary (" +
                           std::to_string(vocab) + " tokens)");
  SLIMTUNE_TRY(dataset, PackedDataset::create(documents, separator, plan.seq, plan.valFraction,
                                              plan.seed, source));
  report += "data: " + std::to_string(dataset.trainSequences()) + " training and " +
            std::to_string(dataset.valSequences()) + " validation sequences of " +
            std::to_string(plan.seq) + " tokens\n";
  return dataset;
}

} // namespace slimtune::cli
