//===- ExportCommand.cpp - slimtune export ------------------------------------------------===//
//
// slimtune export --checkpoint DIR --format peft|merged -o DIR [--model PATH] [--dtype T]
// peft: the adapter as PEFT saves it (adapter_config.json + adapter_model.safetensors).
// merged: the base model with the adapter folded in (model.safetensors + config.json).
// The model defaults to the one the checkpoint's run trained.
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"

#include "slimtune/checkpoint.h"
#include "slimtune/export.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand exportCommand("export", "Export a checkpoint's adapter (PEFT) or a merged model");

namespace {
cl::opt<std::string> checkpointPath("checkpoint", cl::desc("Checkpoint folder (or a run folder: its newest checkpoint)"),
                                    cl::value_desc("DIR"), cl::sub(exportCommand));
cl::opt<std::string> format("format", cl::desc("peft or merged"), cl::sub(exportCommand));
cl::opt<std::string> output("o", cl::desc("Output folder"), cl::value_desc("DIR"), cl::sub(exportCommand));
cl::opt<std::string> modelOverride("model", cl::desc("Base model (default: the one the checkpoint was trained on)"),
                                   cl::value_desc("PATH"), cl::sub(exportCommand));
cl::opt<std::string> dtypeName("dtype", cl::desc("merged: f32 (default), bf16 or f16"),
                               cl::init("f32"), cl::sub(exportCommand));
} // namespace

int runExport() {
  const std::string given = checkpointPath, out = output, how = format;
  if (given.empty() || out.empty() || how.empty())
    return fail("export needs --checkpoint DIR, --format peft|merged and -o DIR");
  if (how != "peft" && how != "merged")
    return fail("--format must be peft or merged, got '" + how + "'");
  auto found = openCheckpoint(given, "--checkpoint");
  if (!found)
    return fail(found.status());
  const std::string checkpoint = found->folder;
  const CheckpointContents *contents = &found->contents;
  nlohmann::json trainer = nlohmann::json::parse(contents->trainerJson, nullptr, false);
  std::string modelPath = modelOverride;
  if (modelPath.empty() && trainer.is_object() && trainer.contains("settings") &&
      trainer["settings"].is_object() && trainer["settings"].contains("model") &&
      trainer["settings"]["model"].is_string())
    modelPath = trainer["settings"]["model"].get<std::string>();
  if (modelPath.empty())
    modelPath = contents->baseModelPath; // a checkpoint saved through the C API

  // MEFT's reversible layers change the model: two coupled streams, scaled by λ and β. The
  // adapters mean something only there; neither PEFT nor a Hugging Face checkpoint with the
  // adapters merged into the base weights can express that forward, so neither is written.
  if (trainer.is_object() && trainer.contains("model_rewrites") &&
      trainer["model_rewrites"].is_string())
    return fail(checkpoint + ": trained with reversible layers (" +
                trainer["model_rewrites"].get<std::string>() +
                "): its adapters need MEFT's two-stream model, which neither a PEFT adapter nor "
                "a merged model can express; use it with slimtune (train --resume, fidelity "
                "--checkpoint), or train with another pipeline to export");

  // Writing into the base model's or the checkpoint's own folder would replace what the
  // export reads (and, for the model, the user's only copy of it).
  for (const std::string &source : {modelPath, checkpoint}) {
    std::error_code ec;
    if (!source.empty() && std::filesystem::exists(out, ec) &&
        std::filesystem::equivalent(out, source, ec))
      return fail(out + ": is " + (source == checkpoint ? "the checkpoint" : "the base model") +
                  " itself; export to another folder");
  }

  if (how == "peft") {
    if (Status s = exportPeftAdapter(checkpoint, modelPath, out); !s)
      return fail(s);
    llvm::outs() << "wrote a PEFT adapter to " << out << " from " << checkpoint << " (step "
                 << contents->step << ")\n";
    return 0;
  }
  if (modelPath.empty())
    return fail(checkpoint + ": does not name its model; pass --model PATH");
  std::optional<DType> dtype = dtypeName == "f32"    ? std::optional<DType>(DType::F32)
                               : dtypeName == "bf16" ? std::optional<DType>(DType::BF16)
                               : dtypeName == "f16"  ? std::optional<DType>(DType::F16)
                                                     : std::nullopt;
  if (!dtype)
    return fail("--dtype must be f32, bf16 or f16, got '" + dtypeName + "'");
  auto loaded = loadModel(modelPath, checkpoint + "/adapter_config.json", contents->adapterConfig);
  if (!loaded)
    return fail(loaded.status());
  if (Status s = exportMergedModel(checkpoint, *loaded->source, loaded->adapted, *dtype, out); !s)
    return fail(s);
  llvm::outs() << "wrote the merged model to " << out << " from " << checkpoint << " ("
               << loaded->adapted.size() << " adapted weights, step " << contents->step << ")\n";
  return 0;
}

} // namespace slimtune::cli
