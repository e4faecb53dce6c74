// Tracked, aligned, zeroed allocations.
#include "step/tracked_memory.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace slimtune {

void MemoryTracker::Free::operator()(void *p) const {
  std::free(p);
  tracker->current_ -= static_cast<int64_t>(bytes);
}

MemoryTracker::Block MemoryTracker::allocate(size_t bytes) {
  size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  void *p = nullptr;
  if (posix_memalign(&p, 64, rounded) != 0)
    return Block(nullptr, Free{this, 0});
  std::memset(p, 0, rounded);
  current_ += static_cast<int64_t>(rounded);
  peak_ = std::max(peak_, current_);
  return Block(p, Free{this, rounded});
}

} // namespace slimtune
