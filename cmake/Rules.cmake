# Reads rules/registry (one rule folder per line) and embeds each rule's metadata, doc and data.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/rules/registry)
file(STRINGS ${CMAKE_SOURCE_DIR}/rules/registry LSTM_LINT_REGISTRY_LINES)

set(LSTM_LINT_RULE_SOURCES "")
set(LSTM_LINT_RULE_INPUTS ${CMAKE_SOURCE_DIR}/rules/registry ${CMAKE_SOURCE_DIR}/cmake/EmbedRules.cmake)
foreach(line IN LISTS LSTM_LINT_REGISTRY_LINES)
  string(STRIP "${line}" rule)
  if(rule STREQUAL "" OR rule MATCHES "^#")
    continue()
  endif()
  set(dir ${CMAKE_SOURCE_DIR}/rules/${rule})
  foreach(required rule.json doc.md check.cpp)
    if(NOT EXISTS ${dir}/${required})
      message(FATAL_ERROR "lstm-lint: rules/registry lists '${rule}' but rules/${rule}/${required} is missing")
    endif()
  endforeach()
  list(APPEND LSTM_LINT_RULE_SOURCES ${dir}/check.cpp)
  file(GLOB data CONFIGURE_DEPENDS ${dir}/*.json ${dir}/*.md)
  list(APPEND LSTM_LINT_RULE_INPUTS ${data})
endforeach()

set(LSTM_LINT_RULES_GENERATED ${CMAKE_BINARY_DIR}/generated/rules_generated.cpp)
add_custom_command(
  OUTPUT ${LSTM_LINT_RULES_GENERATED}
  COMMAND ${CMAKE_COMMAND} -DRULES_DIR=${CMAKE_SOURCE_DIR}/rules -DOUT=${LSTM_LINT_RULES_GENERATED}
          -P ${CMAKE_SOURCE_DIR}/cmake/EmbedRules.cmake
  DEPENDS ${LSTM_LINT_RULE_INPUTS}
  COMMENT "Embedding rule metadata and docs")
