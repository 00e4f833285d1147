# bitnet_reference_object(<output.o> <input.mlir> [DEPENDS ...])
# Compiles bitnet-dialect MLIR to a relocatable object through the reference
# pipeline: bitnet-opt --bitnet-reference-pipeline | mlir-translate | llc.
find_program(BITNET_MLIR_TRANSLATE mlir-translate PATHS ${LLVM_TOOLS_BINARY_DIR}
             REQUIRED NO_DEFAULT_PATH)
find_program(BITNET_LLC llc PATHS ${LLVM_TOOLS_BINARY_DIR} REQUIRED NO_DEFAULT_PATH)

# bitnet_reference_object(<output.o> <input.mlir> [PASSES ...] [DEPENDS ...])
# PASSES replaces --bitnet-reference-pipeline (e.g. for buffer-level glue).
function(bitnet_reference_object output input)
  cmake_parse_arguments(ARG "" "" "DEPENDS;PASSES" ${ARGN})
  if(NOT ARG_PASSES)
    set(ARG_PASSES --bitnet-reference-pipeline)
  endif()
  get_filename_component(stem ${output} NAME_WE)
  get_filename_component(dir ${output} DIRECTORY)
  set(llvm_dialect ${dir}/${stem}.llvm.mlir)
  set(llvm_ir ${dir}/${stem}.ll)
  add_custom_command(
    OUTPUT ${output}
    COMMAND bitnet-opt ${input} ${ARG_PASSES} -o ${llvm_dialect}
    COMMAND ${BITNET_MLIR_TRANSLATE} --mlir-to-llvmir ${llvm_dialect} -o ${llvm_ir}
    COMMAND ${BITNET_LLC} -O2 -filetype=obj -relocation-model=pic ${llvm_ir} -o ${output}
    DEPENDS bitnet-opt ${input} ${ARG_DEPENDS}
    COMMENT "Compiling ${input} through the reference pipeline"
    VERBATIM)
endfunction()
