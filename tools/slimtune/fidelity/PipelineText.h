//===- PipelineText.h - editing a textual pass pipeline ------------------------------------===//
//
// `slimtune fidelity` compiles the user's pipeline several times: without its approximating
// passes (the exact reference), and with them limited to one site at a time. It edits the
// pipeline as MLIR prints it (PassManager::printAsTextualPipeline, every option spelled), so
// that named pipelines, pass lists and whole pipelines are handled alike.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_FIDELITY_PIPELINETEXT_H
#define SLIMTUNE_TOOLS_SLIMTUNE_FIDELITY_PIPELINETEXT_H

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace slimtune::cli {

// The pipeline without any entry of the pass `name` (its options included).
std::string removePass(const std::string &pipeline, const std::string &name);
// The pipeline with every entry of the pass `name` rewritten by `rewrite`, given the entry's
// options ("key=value key=value"): its new options, or nullopt to remove the entry.
std::string rewritePass(
    const std::string &pipeline, const std::string &name,
    const std::function<std::optional<std::string>(const std::string &options)> &rewrite);
// The value of option `key` in an entry's options ("" when not set).
std::string optionValue(const std::string &options, const std::string &key);
// The options with `key` set to `value` (replacing the value it had, if any).
std::string withOption(const std::string &options, const std::string &key, const std::string &value);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_FIDELITY_PIPELINETEXT_H
