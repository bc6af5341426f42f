# Finds every dependency and stops with a message naming the package that provides it.
function(lstm_lint_missing what package)
  message(FATAL_ERROR "lstm-lint: ${what} was not found. Install it with: apt-get install ${package}")
endfunction()

find_package(nlohmann_json 3.10 QUIET)
if(NOT nlohmann_json_FOUND)
  lstm_lint_missing("nlohmann_json (JSON for Modern C++)" "nlohmann-json3-dev")
endif()

find_package(CLI11 QUIET)
if(NOT CLI11_FOUND)
  lstm_lint_missing("CLI11" "libcli11-dev")
endif()

# Configuration files (src/config/): Debian's toml++ 3.3 ships a CMake package.
find_package(tomlplusplus 3 QUIET)
if(NOT tomlplusplus_FOUND)
  lstm_lint_missing("toml++ (TOML parser for configuration files)" "libtomlplusplus-dev")
endif()

find_path(TREE_SITTER_INCLUDE_DIR tree_sitter/api.h)
# Prefer the static library: nothing to resolve at start-up.
find_library(TREE_SITTER_LIBRARY NAMES libtree-sitter.a tree-sitter)
if(NOT TREE_SITTER_INCLUDE_DIR OR NOT TREE_SITTER_LIBRARY)
  lstm_lint_missing("the tree-sitter runtime library" "libtree-sitter-dev")
endif()

set(TS_PYTHON_SRC ${CMAKE_SOURCE_DIR}/node_modules/tree-sitter-python/src)
if(NOT EXISTS ${TS_PYTHON_SRC}/parser.c OR NOT EXISTS ${TS_PYTHON_SRC}/scanner.c)
  message(FATAL_ERROR "lstm-lint: the tree-sitter-python grammar (npm package tree-sitter-python 0.23.6) "
    "was not found in node_modules/. Install it with: npm ci --ignore-scripts (needs Debian's npm)")
endif()
file(STRINGS ${TS_PYTHON_SRC}/parser.c TS_PYTHON_ABI REGEX "^#define LANGUAGE_VERSION [0-9]+")
if(NOT TS_PYTHON_ABI MATCHES "LANGUAGE_VERSION 14$")
  message(FATAL_ERROR "lstm-lint: node_modules/tree-sitter-python has grammar ABI '${TS_PYTHON_ABI}'; "
    "Debian's tree-sitter 0.20 loads ABI 14 only. Reinstall the pinned version with: npm ci --ignore-scripts")
endif()

if(LSTM_LINT_BUILD_TESTS)
  find_package(Catch2 2 QUIET)
  if(NOT Catch2_FOUND)
    lstm_lint_missing("Catch2 v2 (unit tests; configure with -DLSTM_LINT_BUILD_TESTS=OFF to skip)" "catch2")
  endif()
endif()
