# lit configuration for the ds test suite.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "DS"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ds_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()  # FileCheck, not, count, split-file from LLVM 19

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.ds_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    [ToolSubst("ds-opt", unresolved="fatal"), ToolSubst("ds-run", unresolved="ignore")],
    [config.ds_tools_dir])
# Debian's interpreter, which has numpy, for the scripts that compare outputs.
config.substitutions.append(("%python", config.python_executable))
if os.path.exists(os.path.join(config.ds_tools_dir, "ds-run")):
    config.available_features.add("ds-run")
# mpirun needs HOME and, as root, permission; ds-run passes --allow-run-as-root itself but a
# test may call mpirun directly.
llvm_config.with_system_environment(["OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"])
# The expected curves and outputs are the CPU backend's: a ds-run that would pick the GPU on a
# machine with one runs on the CPU here unless a test asks for --backend cuda.
config.environment["DS_RUN_BACKEND"] = "cpu"
config.substitutions.append(("%ds_src_root", config.ds_src_root))
