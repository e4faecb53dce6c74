// libFuzzer target: a compiled step's manifest (the JSON an artifact carries) on arbitrary
// bytes. An accepted manifest must describe buffers the runtime can allocate: every byte count
// is its shape's element count times the element size, and the schedule is one.
#include "step/step_manifest.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto manifest = slimtune::parseStepManifest(
      std::string_view(reinterpret_cast<const char *>(data), size));
  if (!manifest)
    return 0;
  if (manifest->arenaBytes < 0 || manifest->ignoreIndex < INT32_MIN || manifest->ignoreIndex > INT32_MAX)
    std::abort();
  for (const slimtune::StepBufferInfo &b : manifest->buffers) {
    int64_t numel = 1;
    for (int64_t d : b.shape) {
      if (d <= 0)
        std::abort();
      numel *= d;
    }
    if (b.name.empty() || b.bytes != numel * (b.dtype == "f64" ? 8 : 4))
      std::abort();
  }
  if (manifest->schedule && !(manifest->schedule->lr > 0))
    std::abort();
  if (manifest->schedule)
    (void)manifest->schedule->at(manifest->schedule->totalSteps + 1);
  return 0;
}
