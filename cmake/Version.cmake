# The version has one source: project(lstm-lint VERSION ...) in CMakeLists.txt, compiled in as
# LSTM_LINT_VERSION (--version, SARIF tool.driver.version, the cache key, the language server,
# lstm-lint-replay --version, the Debian packages, the man pages).
#
# The git commit is read at every build (not only at configure time, so it follows new commits)
# by cmake/GitCommit.cmake into generated/git_commit.cpp, which only lstm-lint compiles; the file
# is rewritten only when the commit changes, so an unchanged tree rebuilds nothing. A source tree
# without .git (a release tarball) reports LSTM_LINT_GIT_COMMIT, or "unknown".
set(LSTM_LINT_GIT_COMMIT "" CACHE STRING "The commit lstm-lint --version reports when the source tree is not a git checkout")
set(LSTM_LINT_GIT_COMMIT_CPP ${CMAKE_BINARY_DIR}/generated/git_commit.cpp)
set(lstm_lint_git_commit_command ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT=${LSTM_LINT_GIT_COMMIT_CPP}
    -DFALLBACK=${LSTM_LINT_GIT_COMMIT} -P ${CMAKE_CURRENT_LIST_DIR}/GitCommit.cmake)
execute_process(COMMAND ${lstm_lint_git_commit_command})
add_custom_target(lstm_lint_git_commit COMMAND ${lstm_lint_git_commit_command} BYPRODUCTS ${LSTM_LINT_GIT_COMMIT_CPP} VERBATIM)
