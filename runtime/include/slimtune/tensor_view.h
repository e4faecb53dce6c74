// A tensor as stored in a model file: name, element type, shape and a zero-copy view of its
// bytes inside the mapped file.
#ifndef SLIMTUNE_TENSOR_VIEW_H
#define SLIMTUNE_TENSOR_VIEW_H

#include "slimtune/dtype.h"

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape; // row-major, outermost first
  const uint8_t *data = nullptr;
  uint64_t bytes = 0;

  uint64_t numel() const {
    uint64_t n = 1;
    for (int64_t d : shape)
      n *= static_cast<uint64_t>(d);
    return n;
  }
};

// "[49152, 576]"
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace slimtune

#endif // SLIMTUNE_TENSOR_VIEW_H
