//===- EmitLibrary.cpp - LLVM dialect module -> shared library ----------------------------===//
//
// MLIR's LLVM dialect -> LLVM IR -> an object file (LLVM's TargetMachine, in process) -> a
// shared library (lld's ELF driver, in process). No external tool runs.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/codegen/EmitLibrary.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "lld/Common/Driver.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

LLD_HAS_DRIVER(elf)

namespace slimtune::codegen {
namespace {

bool emitObject(llvm::Module &module, llvm::SmallVectorImpl<char> &object, std::string &error) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, "x86-64", "", options, llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Default));
  if (!machine) {
    error = "cannot create a target machine for " + triple;
    return false;
  }
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  passes.run(module);
  return true;
}

bool link(const std::string &objectPath, const std::string &output, std::string &error) {
  // lld's driver is not reentrant: one link at a time per process.
  static std::mutex linking;
  std::lock_guard<std::mutex> lock(linking);
  std::string messages;
  llvm::raw_string_ostream out(messages), err(messages);
  const char *args[] = {"ld.lld", "-shared", "--no-undefined", "-z", "now", "-o",
                        output.c_str(), objectPath.c_str()};
  lld::Result result =
      lld::lldMain(args, out, err, {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0) {
    error = "linking failed: " + messages;
    return false;
  }
  return true;
}

} // namespace

bool emitSharedLibrary(mlir::ModuleOp module, const std::string &target, std::string &error) {
  // A copy: lld's driver resets every llvm::cl option, and a caller's path may be one.
  const std::string path = target;
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule = mlir::translateModuleToLLVMIR(module, context, "step");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return false;
  }
  llvm::SmallVector<char, 0> object;
  if (!emitObject(*llvmModule, object, error))
    return false;

  // The object and the library go beside the target, then the library is renamed into place.
  std::string objectPath = path + ".o.tmp";
  std::string libraryPath = path + ".so.tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream file(objectPath, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = objectPath + ": cannot write: " + ec.message();
      return false;
    }
    file.write(object.data(), object.size());
    file.close();
    if (file.has_error()) {
      error = objectPath + ": write failed: " + file.error().message();
      file.clear_error();
      llvm::sys::fs::remove(objectPath); // a full disk leaves nothing half-written behind
      return false;
    }
  }
  bool linked = link(objectPath, libraryPath, error);
  llvm::sys::fs::remove(objectPath);
  if (!linked) {
    llvm::sys::fs::remove(libraryPath);
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(libraryPath, path)) {
    llvm::sys::fs::remove(libraryPath);
    error = path + ": cannot write: " + ec.message();
    return false;
  }
  return true;
}

} // namespace slimtune::codegen
