# -*- Python -*-
# lit configuration of slimtune's FileCheck tests: dialect round-trips and diagnostics, one
# file per pass flag, the examples, and command-line behaviour of the tools.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "slimtune"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.slimtune_obj_root, "test")
# Unit tests (GoogleTest) and their data live beside the lit tests but are not lit tests.
config.excludes = ["unit", "Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%slimtune_src", config.slimtune_src_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [os.path.join(config.slimtune_obj_root, "bin"), config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["slimtune-opt"], tool_dirs)
