# Deterministic static libraries (`ar D`, `ranlib -D`) from the first
# configure on, for every library in the tree.
#
# LLVM's HandleLLVMOptions switches to them through cache variables. The
# libraries added before it (lib/Support ... tools/bitnet-kernelgen) saw the
# platform's `ar qc` on a fresh build directory and the cached `ar Dqc` on every
# later configure, so the second configure changed their archive commands:
# ninja re-archived them, relinked every tool and recompiled every model the
# tools had built (scripts/test.sh right after scripts/run-example.sh). Setting
# the same cache variables here, before any library, makes both configures
# agree; HandleLLVMOptions then finds them set and leaves them.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  execute_process(COMMAND ${CMAKE_AR} rD deterministic-check.a
                  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
                  RESULT_VARIABLE ar_result OUTPUT_QUIET ERROR_QUIET)
  execute_process(COMMAND ${CMAKE_RANLIB} -D deterministic-check.a
                  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
                  RESULT_VARIABLE ranlib_result OUTPUT_QUIET ERROR_QUIET)
  file(REMOVE ${CMAKE_BINARY_DIR}/deterministic-check.a)
  if(ar_result EQUAL 0 AND ranlib_result EQUAL 0)
    foreach(lang C CXX)
      set(CMAKE_${lang}_ARCHIVE_CREATE "<CMAKE_AR> Dqc <TARGET> <LINK_FLAGS> <OBJECTS>"
          CACHE STRING "archive create command")
      set(CMAKE_${lang}_ARCHIVE_FINISH "<CMAKE_RANLIB> -D <TARGET>"
          CACHE STRING "ranlib command")
      # The platform module's plain values, set as normal variables on the
      # first configure only, would hide the cache entries.
      unset(CMAKE_${lang}_ARCHIVE_CREATE)
      unset(CMAKE_${lang}_ARCHIVE_FINISH)
      set(CMAKE_${lang}_ARCHIVE_APPEND "<CMAKE_AR> Dq <TARGET> <LINK_FLAGS> <OBJECTS>")
    endforeach()
  endif()
endif()
