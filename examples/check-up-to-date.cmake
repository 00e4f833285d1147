# Fails when the committed example differs from what the generator writes now.
execute_process(COMMAND ${GENERATOR} ${ARGS} -o ${ACTUAL} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bitnet-model-gen failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${EXPECTED} ${ACTUAL}
                RESULT_VARIABLE differ)
if(NOT differ EQUAL 0)
  message(FATAL_ERROR "${EXPECTED} is stale: regenerate it with "
                      "'ninja regenerate-example' and copy it over")
endif()
