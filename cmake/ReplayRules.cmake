# Replay: the LibTorch executable lstm-lint-replay (the only target that links LibTorch).
# Its dispatch table is generated from rules/registry and each rule.json's "replay" flag:
# a rule with "replay": true has rules/<name>/replay.cpp defining replay_<name_with_underscores>().
option(LSTM_LINT_REPLAY "Build lstm-lint-replay, the LibTorch replay executable" ON)
if(NOT LSTM_LINT_REPLAY)
  message(STATUS "lstm-lint: replay disabled (LSTM_LINT_REPLAY=OFF)")
  return()
endif()
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(STATUS "lstm-lint: LibTorch not found (Debian: apt-get install libtorch-dev); "
                 "lstm-lint-replay is not built and the replay.* tests are skipped")
  return()
endif()

set(LSTM_LINT_REPLAY_SOURCES "")
set(replay_decls "")
set(replay_entries "")
foreach(line IN LISTS LSTM_LINT_REGISTRY_LINES)
  string(STRIP "${line}" rule)
  if(rule STREQUAL "" OR rule MATCHES "^#")
    continue()
  endif()
  set(dir ${CMAKE_SOURCE_DIR}/rules/${rule})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dir}/rule.json)
  file(READ ${dir}/rule.json meta)
  set(flag OFF)
  if(meta MATCHES "\"replay\"[ \t\r\n]*:[ \t\r\n]*true")
    set(flag ON)
  endif()
  string(REPLACE "-" "_" ident ${rule})
  if(flag AND NOT EXISTS ${dir}/replay.cpp)
    message(FATAL_ERROR "lstm-lint: rules/${rule}/rule.json says \"replay\": true but rules/${rule}/replay.cpp is missing")
  endif()
  if(NOT flag AND EXISTS ${dir}/replay.cpp)
    message(FATAL_ERROR "lstm-lint: rules/${rule}/replay.cpp exists but rules/${rule}/rule.json does not say \"replay\": true")
  endif()
  if(flag)
    list(APPEND LSTM_LINT_REPLAY_SOURCES ${dir}/replay.cpp)
    string(APPEND replay_decls "void replay_${ident}(Experiment&);\n")
    string(APPEND replay_entries "      {\"${rule}\", &replay_${ident}},\n")
  else()
    string(APPEND replay_entries "      {\"${rule}\", nullptr},\n")
  endif()
endforeach()

set(LSTM_LINT_REPLAY_TABLE ${CMAKE_BINARY_DIR}/generated/replay_table.cpp)
file(WRITE ${LSTM_LINT_REPLAY_TABLE}.tmp "// Generated from rules/registry and rule.json \"replay\" flags by cmake/ReplayRules.cmake. Do not edit.
#include \"replay_engine/replay.h\"

namespace lstmlint::replay {
${replay_decls}
const std::vector<TableEntry>& experiment_table() {
  static const std::vector<TableEntry> table = {
${replay_entries}  };
  return table;
}
}  // namespace lstmlint::replay
")
file(COPY_FILE ${LSTM_LINT_REPLAY_TABLE}.tmp ${LSTM_LINT_REPLAY_TABLE} ONLY_IF_DIFFERENT)

add_executable(lstm-lint-replay
  src/replay_engine/main.cpp
  src/replay_engine/spec.cpp
  src/replay_engine/toolkit.cpp
  src/replay_engine/fresh_start.cpp
  ${LSTM_LINT_REPLAY_SOURCES}
  ${LSTM_LINT_REPLAY_TABLE})
target_include_directories(lstm-lint-replay PRIVATE ${CMAKE_SOURCE_DIR}/src)
# LibTorch's headers are not warning-clean under -Wpedantic; include them as system headers.
target_include_directories(lstm-lint-replay SYSTEM PRIVATE ${TORCH_INCLUDE_DIRS})
target_link_libraries(lstm-lint-replay PRIVATE ${TORCH_LIBRARIES} nlohmann_json::nlohmann_json lstm_lint_warnings)
target_compile_options(lstm-lint-replay PRIVATE ${TORCH_CXX_FLAGS})
# torch/torch.h costs most of each file's compile time: parse it once.
target_precompile_headers(lstm-lint-replay PRIVATE <torch/torch.h> <nlohmann/json.hpp>)
target_compile_definitions(lstm-lint-replay PRIVATE LSTM_LINT_VERSION="${PROJECT_VERSION}")
# One translation unit per core instead of one per file: each file spends most of its time
# instantiating the same LibTorch templates (measured in the CI notes of README.md).
set_target_properties(lstm-lint-replay PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 10)
set(LSTM_LINT_REPLAY_BUILT ON)
# Installed next to lstm-lint, where `--replay` looks for it first; the Debian package
# lstm-lint-replay is this component (cmake/Packaging.cmake).
install(TARGETS lstm-lint-replay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT replay)
