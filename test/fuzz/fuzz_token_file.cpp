// libFuzzer target: a token file (--tokens, raw little-endian uint32 ids) on arbitrary bytes.
// Accepted ids are non-negative 32-bit ids, one per 4 bytes.
#include "temp_input.h"

#include "slimtune/data.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TempInput input(data, size, "tokens.u32");
  auto tokens = slimtune::readTokenFile(input.path());
  if (!tokens)
    return 0;
  if (tokens->size() * 4 != size || size == 0)
    std::abort();
  for (int32_t id : *tokens)
    if (id < 0)
      std::abort();
  return 0;
}
