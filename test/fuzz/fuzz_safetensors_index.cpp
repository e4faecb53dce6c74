// libFuzzer target: a sharded checkpoint's model.safetensors.index.json on arbitrary bytes
// (its shards, which it names, do not exist: the index is read and checked first, and no
// name may reach outside its folder).
#include "temp_input.h"

#include "slimtune/safetensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TempInput input(data, size, "model.safetensors.index.json");
  auto checkpoint = slimtune::SafetensorsCheckpoint::open(input.path());
  volatile bool opened = static_cast<bool>(checkpoint);
  (void)opened;
  return 0;
}
