// libFuzzer target: a checkpoint folder's text files on arbitrary bytes, read both as
// checksums.sha256 and as trainer_state.json. An accepted state's trainer object must read
// back as a JSON object (resuming parses it again).
#include "formats/json_input.h"
#include "step/checkpoint_files.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  auto listed = slimtune::parseCheckpointChecksums(text, "checksums.sha256");
  if (listed)
    for (const auto &[file, digest] : *listed)
      if (file.empty() || digest.size() != 64)
        std::abort();
  auto state = slimtune::parseTrainerState(text, "trainer_state.json");
  if (state) {
    const std::string &trainer = state->trainerJson;
    auto again = slimtune::parseJsonStrict(trainer.data(), trainer.data() + trainer.size());
    if (!again || !again->is_object() || state->step < 0)
      std::abort();
  }
  return 0;
}
