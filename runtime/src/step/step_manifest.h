// The manifest a compiled step carries (JSON, see compiler/codegen/StepBuffers.h): what the
// runtime must allocate and bind, read and checked before anything is allocated. Untrusted
// input (an artifact is a file anyone can hand the runtime): every field is type-checked,
// sizes are 64-bit and their products cannot overflow.
#ifndef SLIMTUNE_STEP_STEP_MANIFEST_H
#define SLIMTUNE_STEP_STEP_MANIFEST_H

#include "slimtune/dtype.h"
#include "slimtune/ggml_types.h"
#include "slimtune/lr_schedule.h"
#include "slimtune/session.h"
#include "slimtune/status.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

struct StepManifest {
  std::string target = "cpu"; // the backend compiled for; older artifacts name none: the CPU
  int64_t arenaBytes = 0;
  std::vector<StepBufferInfo> buffers; // in manifest order
  int64_t vocab = -1, classes = -1;    // -1: not given (no check of ids)
  int64_t ignoreIndex = -100;
  int64_t matmulFlops = 0;
  std::optional<LrSchedule> schedule;
  std::string adapterConfig;
};

// Parses a manifest; errors say what is wrong, for the caller to prefix with the artifact.
// Checks the ABI version against this runtime's, every buffer's role, dtype, shape and byte
// count, the types of the buffers the runtime fills or reads itself (tokens, targets, step:
// i32; lr, the loss and gradient norm: f32), and the schedule's values.
Expected<StepManifest> parseStepManifest(std::string_view text);

// A manifest dtype ("f32", "i32", "f64") as an element type; nullopt for any other name.
std::optional<DType> stepDType(std::string_view name);

// A frozen weight kept in ggml blocks (--precision q8, q4): its manifest dtype ("q8_0",
// "q4_0", "q4_1") as the ggml type; nullopt for any other name.
std::optional<GgmlType> stepBlockType(std::string_view name);

} // namespace slimtune

#endif // SLIMTUNE_STEP_STEP_MANIFEST_H
