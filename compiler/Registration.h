//===- Registration.h - the dialects and passes slimtune uses ----------------------------===//
//
// One list shared by slimtune-opt and the slimtune driver, so both accept the same IR and
// replay the same passes. Only what slimtune uses is registered (not MLIR's everything).
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_REGISTRATION_H
#define SLIMTUNE_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace slimtune {
/// Adds every dialect slimtune's IR may contain.
void registerDialects(mlir::DialectRegistry &registry);

/// Registers every slim pass and the upstream passes slimtune runs, for command lines.
void registerPasses();
} // namespace slimtune

#endif // SLIMTUNE_COMPILER_REGISTRATION_H
