// libFuzzer target: the safetensors header parser on arbitrary bytes. Accepted images must
// describe tensors that lie inside the input (every byte of every view is read).
#include "slimtune/safetensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto header = slimtune::parseSafetensors(data, size, "fuzz.safetensors");
  if (!header)
    return 0;
  volatile uint8_t sink = 0;
  for (const slimtune::TensorView &t : header->tensors)
    for (uint64_t i = 0; i < t.bytes; ++i)
      sink ^= t.data[i];
  return 0;
}
