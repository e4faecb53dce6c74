//===- MemoryTimeline.h - live bytes across a training step, drawn as SVG -------------------===//
//
// Plain data (no MLIR) describing how many bytes each memory category holds at every op of a
// step's schedule, and the renderer that turns it into a stacked-area SVG picture for
// `slimtune compile --memory-timeline FILE.svg`.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_MEMORY_MEMORYTIMELINE_H
#define SLIMTUNE_COMPILER_MEMORY_MEMORYTIMELINE_H

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::memory {

// One category's live bytes, one value per op of the schedule (index 0 = first op).
struct TimelineSeries {
  std::string category; // "frozen weights", "stashed activations", ...
  std::vector<int64_t> bytes;
};

// A named buffer that is large at the peak, labelled on the picture.
struct TimelineContributor {
  std::string label; // e.g. "stash: model.layers.3.mlp.up_proj input"
  int64_t bytes = 0;
};

struct MemoryTimeline {
  std::string title;                  // e.g. "step.mlir: pipeline baseline"
  std::vector<TimelineSeries> series; // stacked bottom to top; every series has the same length
  int64_t backwardStart = -1;         // op index where the backward pass begins; -1: none
  int64_t peakAt = 0;                 // op index where the total is largest
  int64_t peakBytes = 0;              // the planned peak (may exceed the stacked total at peakAt:
                                      // arena fragmentation); drawn as a horizontal line
  std::vector<TimelineContributor> topContributors; // largest first, labelled at the peak
};

// A self-contained SVG document (no scripts, no external fonts or files).
std::string renderTimelineSvg(const MemoryTimeline &timeline);

} // namespace slimtune::memory

#endif // SLIMTUNE_COMPILER_MEMORY_MEMORYTIMELINE_H
