// Exporting a trained adapter (from a checkpoint folder, slimtune/checkpoint.h) for use
// elsewhere: as a PEFT adapter folder, or folded into the base model's weights.
#ifndef SLIMTUNE_EXPORT_H
#define SLIMTUNE_EXPORT_H

#include "slimtune/adapter.h"
#include "slimtune/dtype.h"
#include "slimtune/model.h"
#include "slimtune/status.h"

#include <string>

namespace slimtune {

// Writes `out`/adapter_model.safetensors (the checkpoint's adapter tensors, named and shaped as
// PEFT saves them: base_model.model.<module>.lora_A.weight [r, in], .lora_B.weight [out, r],
// fp32) and `out`/adapter_config.json (the configuration trained with, with the keys PEFT
// needs to load it: peft_type, task_type, base_model_name_or_path (`baseModel` when the
// configuration names none), r, lora_alpha).
Status exportPeftAdapter(const std::string &checkpoint, const std::string &baseModel,
                         const std::string &out);

// Writes `out`/model.safetensors with W' = W + scale·B·A folded into every adapted weight
// (fp32 arithmetic, stored as `dtype`: F32, BF16 or F16) and every other weight as it was,
// under Hugging Face names (a GGUF model's tensors are renamed, dequantized and laid out as
// Hugging Face stores them), and `out`/config.json (the model's own, or one written from the
// GGUF metadata). A tied LM head that carries an adapter is written untied.
Status exportMergedModel(const std::string &checkpoint, const ModelSource &model,
                         const std::vector<AdaptedLinear> &adapters, DType dtype,
                         const std::string &out);

// A Hugging Face config.json for `spec` (LlamaForCausalLM or GPT2LMHeadModel).
std::string huggingFaceConfigJson(const ModelSpec &spec, DType dtype, bool tiedEmbeddings);

} // namespace slimtune

#endif // SLIMTUNE_EXPORT_H
