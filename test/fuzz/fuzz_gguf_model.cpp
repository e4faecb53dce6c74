// libFuzzer target: a GGUF file read as a model (metadata to architecture, every tensor
// checked against it) and as a tokenizer (tokenizer.ggml.*), on arbitrary bytes: what
// `slimtune inspect --model x.gguf` and `train --data` do with a file, past the parser.
#include "temp_input.h"

#include "slimtune/model.h"
#include "slimtune/tokenizer.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TempInput input(data, size, "model.gguf");
  if (auto model = slimtune::ModelSource::open(input.path()); model) {
    volatile size_t sink = (*model)->storedTensors().size() + (*model)->spec().linears().size();
    (void)sink;
  }
  if (auto tokenizer = slimtune::Tokenizer::fromModel(input.path()); tokenizer) {
    auto ids = tokenizer->encode("Hello, world! 123 \xc3\xa9\n");
    volatile bool encoded = static_cast<bool>(ids);
    (void)encoded;
  }
  return 0;
}
