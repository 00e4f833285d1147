# cmake -P script: compiles model-level bitnet IR into ONE relocatable object
# whose glue calls Halide kernels:
#   bitnet-opt --bitnet-kernel-pipeline  -> LLVM-dialect glue + bitnet.kernels
#   bitnet-kernelgen per listed spec (cached by name, which is the spec hash)
#   mlir-translate + llc                 -> glue object
#   ld -r glue + kernels + Halide runtime -> OUTPUT
# Variables: BITNET_OPT KERNELGEN TRANSLATE LLC LD INPUT TARGET PREFIX OUTPUT
# WORKDIR.
# (The bitnet-compile driver of a later stage replaces this script.)
file(MAKE_DIRECTORY ${WORKDIR}/kernels)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${err}")
  endif()
endfunction()

set(glue ${WORKDIR}/glue.llvm.mlir)
run(${BITNET_OPT} ${INPUT}
    "--bitnet-kernel-pipeline=target=${TARGET} kernel-prefix=${PREFIX}" -o ${glue})
file(READ ${glue} text LIMIT 200000)
string(REGEX MATCH "bitnet\\.kernels = {[^}]*}" table "${text}")
string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*_[0-9a-f]+ = \"[^\"]*\"" entries "${table}")
set(objects)
foreach(entry ${entries})
  string(REGEX REPLACE "^([A-Za-z0-9_]+) = \"([^\"]*)\"$" "\\1" name "${entry}")
  string(REGEX REPLACE "^([A-Za-z0-9_]+) = \"([^\"]*)\"$" "\\2" spec "${entry}")
  if(NOT EXISTS ${WORKDIR}/kernels/${name}.o)
    separate_arguments(args UNIX_COMMAND "${spec}")
    run(${KERNELGEN} ${args} -o ${WORKDIR}/kernels)
  endif()
  list(APPEND objects ${WORKDIR}/kernels/${name}.o)
endforeach()
list(LENGTH objects count)
message(STATUS "${INPUT}: ${count} kernels for ${TARGET}")
run(${KERNELGEN} --runtime target=${TARGET} -o ${WORKDIR}/kernels)
run(${TRANSLATE} --mlir-to-llvmir ${glue} -o ${WORKDIR}/glue.ll)
run(${LLC} -O2 -filetype=obj -relocation-model=pic ${WORKDIR}/glue.ll -o ${WORKDIR}/glue.o)
run(${LD} -r ${WORKDIR}/glue.o ${objects}
    ${WORKDIR}/kernels/halide_runtime_${TARGET}.o -o ${OUTPUT}.tmp)
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
