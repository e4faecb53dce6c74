// Allocations whose total the runtime measures: the session's arena and buffers all come from
// here, so "peak memory" is the high-water mark of what the step really holds.
#ifndef SLIMTUNE_STEP_TRACKED_MEMORY_H
#define SLIMTUNE_STEP_TRACKED_MEMORY_H

#include <cstddef>
#include <cstdint>
#include <memory>

namespace slimtune {

class MemoryTracker {
public:
  struct Free {
    MemoryTracker *tracker;
    size_t bytes;
    void operator()(void *p) const;
  };
  using Block = std::unique_ptr<void, Free>;

  // Zeroed, 64-byte aligned memory; null when the system refuses.
  Block allocate(size_t bytes);
  int64_t current() const { return current_; }
  int64_t peak() const { return peak_; }

private:
  int64_t current_ = 0;
  int64_t peak_ = 0;
};

} // namespace slimtune

#endif // SLIMTUNE_STEP_TRACKED_MEMORY_H
