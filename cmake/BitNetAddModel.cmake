# bitnet_add_model(): a model compiled by bitnet-compile at build time, as a
# library target to link. Included by BitNetCompilerConfig.cmake (the
# installed package and the build tree's), which sets
# BITNET_COMPILE_EXECUTABLE and BITNET_COMPILER_DEPENDS (the compiler, its
# kernel generator and the run-time objects it links into every model).
#
#   bitnet_add_model(<target> MODEL <file or Hugging Face directory>
#                    [TARGET <bitnet-compile target, default host>]
#                    [NAME <C prefix, default <target>>]
#                    [TOKENS <count>...] [CONTEXT <rows>]
#                    [LM_HEAD f16|int8] [WEIGHTS embed|file]
#                    [KERNEL_CACHE <dir, default <build>/bitnet-kernel-cache>])
#
# Writes <build>/bitnet/<target>/<NAME>.o and <NAME>.h (and <NAME>.weights
# with WEIGHTS file, whose path is the target's BITNET_WEIGHTS_FILE
# property). <target> is an INTERFACE library: linking it links the object
# and -lm -lpthread -ldl and puts the header on the include path. The model
# is compiled again when the model file, an option or the compiler changes,
# and not otherwise.
function(bitnet_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 arg ""
    "MODEL;TARGET;NAME;CONTEXT;LM_HEAD;WEIGHTS;KERNEL_CACHE" "TOKENS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bitnet_add_model(${target}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_MODEL)
    message(FATAL_ERROR "bitnet_add_model(${target}): MODEL <path> is required")
  endif()
  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "bitnet_add_model(${target}): MODEL '${model}' does not exist")
  endif()
  if(NOT arg_TARGET)
    set(arg_TARGET host)
  endif()
  if(NOT arg_NAME)
    set(arg_NAME ${target})
  endif()
  if(NOT arg_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "bitnet_add_model(${target}): NAME '${arg_NAME}' is not a C identifier "
                        "(give NAME when the target's name is not one)")
  endif()
  if(NOT arg_LM_HEAD)
    set(arg_LM_HEAD f16)
  endif()
  if(NOT arg_WEIGHTS)
    set(arg_WEIGHTS embed)
  endif()
  if(NOT arg_WEIGHTS MATCHES "^(embed|file)$")
    message(FATAL_ERROR "bitnet_add_model(${target}): WEIGHTS is embed or file, not '${arg_WEIGHTS}'")
  endif()
  if(NOT arg_KERNEL_CACHE)
    set(arg_KERNEL_CACHE ${CMAKE_BINARY_DIR}/bitnet-kernel-cache)
  endif()

  set(dir ${CMAKE_CURRENT_BINARY_DIR}/bitnet/${target})
  set(object ${dir}/${arg_NAME}.o)
  set(outputs ${object} ${dir}/${arg_NAME}.h)
  if(arg_WEIGHTS STREQUAL "file")
    list(APPEND outputs ${dir}/${arg_NAME}.weights)
  endif()
  set(options --target=${arg_TARGET} --name=${arg_NAME} --lm-head=${arg_LM_HEAD}
              --weights=${arg_WEIGHTS} --kernel-cache=${arg_KERNEL_CACHE})
  if(arg_TOKENS)
    string(REPLACE ";" "," tokens "${arg_TOKENS}")
    list(APPEND options --tokens=${tokens})
  endif()
  if(arg_CONTEXT)
    list(APPEND options --context=${arg_CONTEXT})
  endif()
  # A checkpoint directory: its files, as they are when CMake runs.
  if(IS_DIRECTORY "${model}")
    file(GLOB inputs CONFIGURE_DEPENDS "${model}/*.json" "${model}/*.safetensors")
  else()
    set(inputs "${model}")
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${BITNET_COMPILE_EXECUTABLE} ${model} ${options} -o ${object}
    DEPENDS ${inputs} ${BITNET_COMPILER_DEPENDS}
    COMMENT "bitnet-compile ${arg_MODEL} --target=${arg_TARGET} --name=${arg_NAME}"
    VERBATIM)
  add_custom_target(${target}-bitnet-compile DEPENDS ${outputs})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}-bitnet-compile)
  target_include_directories(${target} INTERFACE ${dir})
  target_link_libraries(${target} INTERFACE ${object} m pthread dl)
  if(arg_WEIGHTS STREQUAL "file")
    set_property(TARGET ${target} PROPERTY BITNET_WEIGHTS_FILE ${dir}/${arg_NAME}.weights)
  endif()
endfunction()
