//===- SlimDialect.h - the slim dialect, its attributes and types ------------------------===//
//
// Include this for the dialect, its enums, attributes and types; SlimOps.h adds the ops.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_SLIMDIALECT_H
#define SLIMTUNE_DIALECTS_SLIM_SLIMDIALECT_H

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/bit.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

namespace mlir::slim {
// #slim.quant's range decay: a double that attribute storage can hash and the assembly format
// can parse and print.
struct RangeDecay {
  double value = 0.9;
  bool operator==(const RangeDecay &other) const { return value == other.value; }
  friend llvm::hash_code hash_value(const RangeDecay &d) {
    return llvm::hash_combine(llvm::bit_cast<uint64_t>(d.value));
  }
  friend AsmPrinter &operator<<(AsmPrinter &printer, const RangeDecay &d) {
    printer.getStream() << d.value;
    return printer;
  }
};
} // namespace mlir::slim

namespace mlir {
template <>
struct FieldParser<slim::RangeDecay> {
  static FailureOr<slim::RangeDecay> parse(AsmParser &parser) {
    slim::RangeDecay decay;
    if (parser.parseFloat(decay.value))
      return failure();
    return decay;
  }
};
} // namespace mlir

#include "dialects/slim/SlimDialect.h.inc"
#include "dialects/slim/SlimEnums.h.inc"
#include "dialects/slim/SlimAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/slim/SlimAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/slim/SlimTypes.h.inc"

#include <optional>
#include <string>

namespace mlir::slim {
// The learning-rate schedule a step records (SlimDialect::kLrScheduleAttrName, a dictionary
// for a reader of the IR): the one place that knows its keys.
struct LrScheduleSpec {
  std::string kind; // "constant" or "cosine"
  double lr = 0;
  int64_t warmupSteps = 0, totalSteps = 0;
  double minLr = 0;

  DictionaryAttr toAttr(MLIRContext *ctx) const;
  // The schedule an attribute records; nullopt when a key is missing or of the wrong type.
  static std::optional<LrScheduleSpec> fromAttr(Attribute attr);
};
} // namespace mlir::slim

#endif // SLIMTUNE_DIALECTS_SLIM_SLIMDIALECT_H
