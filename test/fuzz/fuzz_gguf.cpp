// libFuzzer target: the GGUF parser on arbitrary bytes; every accepted tensor of a type
// slimtune can read is dequantized (bounded in size) and every metadata string is read.
#include "slimtune/gguf.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto contents = slimtune::parseGguf(data, size, "fuzz.gguf");
  if (!contents)
    return 0;
  volatile char sink = 0;
  for (const auto &[key, value] : contents->metadata) {
    for (char c : value.string)
      sink ^= c;
    for (std::string_view s : value.strings)
      for (char c : s)
        sink ^= c;
  }
  std::vector<float> out;
  for (const slimtune::GgufTensorInfo &t : contents->tensors) {
    auto info = slimtune::ggmlTypeInfo(static_cast<uint32_t>(t.type));
    if (!info || !info->dequantizable || t.numel() > (1u << 16))
      continue;
    out.resize(t.numel());
    (void)slimtune::dequantizeToF32(t.type, t.data, t.bytes, out.data(), out.size());
  }
  return 0;
}
