//===- slimtune-opt.cpp - mlir-opt for the slim dialect ----------------------------------===//
//
// Parses, verifies and transforms slim IR with any registered slim pass or pipeline, as
// mlir-opt does, with only the dialects and passes slimtune uses.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include <cstring>
#include <vector>

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  slimtune::registerDialects(registry);
  slimtune::registerPasses();
  // A diagnostic on a function would otherwise be followed by the whole function in generic
  // form (a 50-line note for one bad pass option); the error line says where it is. Given
  // explicitly, the flag is the user's.
  std::vector<char *> args(argv, argv + argc);
  bool given = false;
  for (int i = 1; i < argc; ++i)
    given |= std::strncmp(argv[i], "--mlir-print-op-on-diagnostic", 29) == 0 ||
             std::strncmp(argv[i], "-mlir-print-op-on-diagnostic", 28) == 0;
  static char quiet[] = "--mlir-print-op-on-diagnostic=false";
  if (!given)
    args.insert(args.begin() + 1, quiet);
  return mlir::asMainReturnCode(mlir::MlirOptMain(static_cast<int>(args.size()), args.data(),
                                                  "slimtune-opt: the slim dialect's pass driver\n",
                                                  registry));
}
