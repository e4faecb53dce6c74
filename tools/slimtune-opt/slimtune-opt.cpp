//===- slimtune-opt.cpp - mlir-opt for the slim dialect ----------------------------------===//
//
// Parses, verifies and transforms slim IR with any registered slim pass or pipeline, as
// mlir-opt does, with only the dialects and passes slimtune uses.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  slimtune::registerDialects(registry);
  slimtune::registerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "slimtune-opt: the slim dialect's pass driver\n", registry));
}
