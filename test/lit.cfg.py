# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "BITNET"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bitnet_obj_root, "test")
# Numerics/ holds inputs of executable tests, not lit tests.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "Numerics"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
llvm_config.use_default_substitutions()
# Sanitizer settings reach the tools (scripts/sanitize.sh sets them).
llvm_config.with_system_environment(["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"])

# `not`, FileCheck and count live in the LLVM tools directory.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.bitnet_tools_dir, append_path=True)

tools = ["bitnet-opt", "bitnet-kernelgen", "bitnet-model-gen", "bitnet-compile", "bitnet-run",
         "bitnet-compare", "bitnet-tune", "bitnet-bench-model",
         "mlir-translate", "llc",
         "llvm-nm", "llvm-objdump", "llvm-readobj"]
llvm_config.add_tool_substitutions(tools, [config.bitnet_tools_dir, config.llvm_tools_dir])
# The example's C driver (examples/run_tiny.c over the generated header).
config.substitutions.append(("%bitnet_example_tiny",
                             os.path.join(config.bitnet_obj_root, "examples",
                                          "bitnet-example-tiny")))
config.substitutions.append(("%bitnet_dlopen_check",
                             os.path.join(config.bitnet_obj_root, "test",
                                          "bitnet-dlopen-check")))
config.substitutions.append(("%bitnet_two_models",
                             os.path.join(config.bitnet_obj_root, "test",
                                          "bitnet-two-models")))
config.substitutions.append(("%bitnet_kernelgen_path",
                             os.path.join(config.bitnet_tools_dir, "bitnet-kernelgen")))
# bitnet-compare draws its PNG with gnuplot (Debian: gnuplot-nox).
if shutil.which("gnuplot"):
    config.available_features.add("gnuplot")
# What the x86-64-avx512 target needs (ModelAPI.c's check: AVX-512 F, BW, VL
# and VNNI), for tests that run such code or show that it is refused.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = set(next((l for l in cpuinfo if l.startswith("flags")), "").split())
    if {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= flags:
        config.available_features.add("cpu-avx512")
    if "avx_vnni" in flags:
        config.available_features.add("cpu-avxvnni")
except OSError:
    pass
