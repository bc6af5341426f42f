# Man pages, shell completions, install rules for them, and the two Debian packages (CPack):
#   lstm-lint         the static linter (component "static"): depends only on what it links
#   lstm-lint-replay  the LibTorch replay executable (component "replay"): Debian's LibTorch
# docs/install.md says how to build, check (lintian) and install them.
#
# The man pages and completions are written by the built lstm-lint itself (`lstm-lint generate`,
# src/cli/generate.cpp) from its CLI11 definition and rule catalogue, the sources of `--help`,
# `lstm-lint rules` and `explain`, so they cannot drift from the program; lstm-lint-replay(1)
# wraps `lstm-lint-replay --help`.

# The release date of this version, from CHANGELOG.md ("## [X.Y.Z] - YYYY-MM-DD"): the man
# pages and the Debian changelog carry it, so a rebuild of a release gives the same files.
string(REPLACE "." "\\." lstm_lint_version_re "${PROJECT_VERSION}")
file(STRINGS ${CMAKE_SOURCE_DIR}/CHANGELOG.md lstm_lint_release REGEX "^## \\[${lstm_lint_version_re}\\] - [0-9]+-[0-9]+-[0-9]+")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/CHANGELOG.md)
if(lstm_lint_release MATCHES "([0-9]+)-([0-9]+)-([0-9]+)$")
  set(LSTM_LINT_RELEASE_DATE "${CMAKE_MATCH_1}-${CMAKE_MATCH_2}-${CMAKE_MATCH_3}")
else()
  # Not released yet (tests/package fails until CHANGELOG.md has the version's section).
  string(TIMESTAMP LSTM_LINT_RELEASE_DATE "%Y-%m-%d" UTC)
  message(STATUS "lstm-lint: CHANGELOG.md has no section for ${PROJECT_VERSION}; the packages carry today's date")
endif()

set(LSTM_LINT_MAINTAINER "lstm-lint maintainers <maintainers@users.noreply.b-seed-3ca6d949.example>")
set(LSTM_LINT_DIST ${CMAKE_BINARY_DIR}/dist)
file(MAKE_DIRECTORY ${LSTM_LINT_DIST})
find_program(LSTM_LINT_GZIP gzip REQUIRED)

# ---- generated from the CLI definition ----
set(lstm_lint_docs_used ${CMAKE_SOURCE_DIR}/docs/configuration.md ${CMAKE_SOURCE_DIR}/docs/output-formats.md)
set(lstm_lint_generated
  ${LSTM_LINT_DIST}/lstm-lint.1.gz ${LSTM_LINT_DIST}/lstm-lint-rules.7.gz
  ${LSTM_LINT_DIST}/lstm-lint.bash ${LSTM_LINT_DIST}/_lstm-lint ${LSTM_LINT_DIST}/lstm-lint.fish)
add_custom_command(
  OUTPUT ${lstm_lint_generated} ${LSTM_LINT_DIST}/lstm-lint.1 ${LSTM_LINT_DIST}/lstm-lint-rules.7
  COMMAND lstm-lint generate man1 --docs ${CMAKE_SOURCE_DIR}/docs --date ${LSTM_LINT_RELEASE_DATE} -o ${LSTM_LINT_DIST}/lstm-lint.1
  COMMAND lstm-lint generate man7 --date ${LSTM_LINT_RELEASE_DATE} -o ${LSTM_LINT_DIST}/lstm-lint-rules.7
  COMMAND lstm-lint generate completion bash -o ${LSTM_LINT_DIST}/lstm-lint.bash
  COMMAND lstm-lint generate completion zsh -o ${LSTM_LINT_DIST}/_lstm-lint
  COMMAND lstm-lint generate completion fish -o ${LSTM_LINT_DIST}/lstm-lint.fish
  # -n: no name or time stamp in the gzip header (reproducible; lintian checks it).
  COMMAND ${LSTM_LINT_GZIP} -9nkf ${LSTM_LINT_DIST}/lstm-lint.1 ${LSTM_LINT_DIST}/lstm-lint-rules.7
  DEPENDS lstm-lint ${lstm_lint_docs_used} ${CMAKE_SOURCE_DIR}/CHANGELOG.md
  COMMENT "Generating lstm-lint(1), lstm-lint-rules(7) and the bash, zsh and fish completions"
  VERBATIM)

# ---- Debian documentation files: copyright, changelogs ----
# Debian's changelog format wants an RFC 5322 date; the weekday of the release date by
# Zeller's congruence (CMake cannot parse dates).
string(REGEX MATCH "^([0-9]+)-([0-9]+)-([0-9]+)$" _ "${LSTM_LINT_RELEASE_DATE}")
set(year ${CMAKE_MATCH_1})
set(day ${CMAKE_MATCH_3})
string(REGEX REPLACE "^0" "" month "${CMAKE_MATCH_2}")  # 08 is not octal
string(REGEX REPLACE "^0" "" dayn "${day}")
set(y ${year})
set(m ${month})
if(m LESS 3)
  math(EXPR m "${m} + 12")
  math(EXPR y "${y} - 1")
endif()
math(EXPR weekday "(${dayn} + (13 * (${m} + 1)) / 5 + ${y} % 100 + (${y} % 100) / 4 + (${y} / 100) / 4 + 5 * (${y} / 100)) % 7")
set(weekdays Sat Sun Mon Tue Wed Thu Fri)
list(GET weekdays ${weekday} weekday_name)
set(months Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)
math(EXPR month_index "${month} - 1")
list(GET months ${month_index} month_name)
set(LSTM_LINT_DEBIAN_DATE "${weekday_name}, ${day} ${month_name} ${year} 00:00:00 +0000")
set(LSTM_LINT_DEBIAN_REVISION 1)
configure_file(${CMAKE_SOURCE_DIR}/packaging/changelog.Debian.in ${LSTM_LINT_DIST}/changelog.Debian @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/CHANGELOG.md ${LSTM_LINT_DIST}/changelog COPYONLY)
add_custom_command(
  OUTPUT ${LSTM_LINT_DIST}/changelog.Debian.gz ${LSTM_LINT_DIST}/changelog.gz
  COMMAND ${LSTM_LINT_GZIP} -9nkf ${LSTM_LINT_DIST}/changelog.Debian ${LSTM_LINT_DIST}/changelog
  DEPENDS ${LSTM_LINT_DIST}/changelog.Debian ${LSTM_LINT_DIST}/changelog
  VERBATIM)

set(lstm_lint_dist_outputs ${lstm_lint_generated} ${LSTM_LINT_DIST}/changelog.Debian.gz ${LSTM_LINT_DIST}/changelog.gz)

# ---- lstm-lint-replay(1), from its --help ----
if(TARGET lstm-lint-replay)
  add_custom_command(
    OUTPUT ${LSTM_LINT_DIST}/lstm-lint-replay.1.gz ${LSTM_LINT_DIST}/lstm-lint-replay.1
    COMMAND ${CMAKE_COMMAND} -DREPLAY=$<TARGET_FILE:lstm-lint-replay> -DOUTPUT=${LSTM_LINT_DIST}/lstm-lint-replay.1
            -DVERSION=${PROJECT_VERSION} -DDATE=${LSTM_LINT_RELEASE_DATE} -P ${CMAKE_SOURCE_DIR}/cmake/ReplayManPage.cmake
    COMMAND ${LSTM_LINT_GZIP} -9nkf ${LSTM_LINT_DIST}/lstm-lint-replay.1
    DEPENDS lstm-lint-replay ${CMAKE_SOURCE_DIR}/cmake/ReplayManPage.cmake
    COMMENT "Generating lstm-lint-replay(1) from lstm-lint-replay --help"
    VERBATIM)
  list(APPEND lstm_lint_dist_outputs ${LSTM_LINT_DIST}/lstm-lint-replay.1.gz)
endif()
add_custom_target(lstm_lint_dist ALL DEPENDS ${lstm_lint_dist_outputs})

# ---- install rules (`cmake --install build` installs everything; the packages split it) ----
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(FILES ${LSTM_LINT_DIST}/lstm-lint.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT static)
install(FILES ${LSTM_LINT_DIST}/lstm-lint-rules.7.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man7 COMPONENT static)
install(FILES ${LSTM_LINT_DIST}/lstm-lint.bash DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions
        RENAME lstm-lint COMPONENT static)
install(FILES ${LSTM_LINT_DIST}/_lstm-lint DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions COMPONENT static)
install(FILES ${LSTM_LINT_DIST}/lstm-lint.fish DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/fish/vendor_completions.d COMPONENT static)
set(lstm_lint_docs
  README.md docs/configuration.md docs/editors.md docs/fixes.md docs/github-actions.md docs/install.md
  docs/output-formats.md docs/pre-commit.md docs/replay.md docs/scale.md docs/suppressions.md docs/values.md)
list(TRANSFORM lstm_lint_docs PREPEND ${CMAKE_SOURCE_DIR}/)
set(lstm_lint_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/lstm-lint)
install(FILES ${lstm_lint_docs} DESTINATION ${lstm_lint_docdir} COMPONENT static)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright ${LSTM_LINT_DIST}/changelog.Debian.gz ${LSTM_LINT_DIST}/changelog.gz
        DESTINATION ${lstm_lint_docdir} COMPONENT static)
if(TARGET lstm-lint-replay)
  install(FILES ${LSTM_LINT_DIST}/lstm-lint-replay.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT replay)
  install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright ${LSTM_LINT_DIST}/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/lstm-lint-replay COMPONENT replay)
endif()

# ---- CPack: `cpack --config build/CPackConfig.cmake` (or `cmake --build build --target package`) ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lstm-lint)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "lstm-lint maintainers")
set(CPACK_PACKAGE_CONTACT "${LSTM_LINT_MAINTAINER}")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/packaging/copyright)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)  # lintian: unstripped-binary-or-object
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL static)
if(TARGET lstm-lint-replay)
  list(APPEND CPACK_COMPONENTS_ALL replay)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # lstm-lint_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${LSTM_LINT_DEBIAN_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LSTM_LINT_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SOURCE lstm-lint)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the binaries' NEEDED libraries (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_STATIC_PACKAGE_NAME lstm-lint)
set(CPACK_DEBIAN_STATIC_PACKAGE_SUGGESTS lstm-lint-replay)
set(CPACK_DEBIAN_STATIC_DESCRIPTION "linter for Jupyter notebooks that train recurrent networks
lstm-lint reads Jupyter notebooks (.ipynb) and jupytext percent scripts without
running them, and reports the mistakes that make LSTM, GRU and RNN models learn
nothing, leak state between sequences or crash: optimizers over re-created
models, state fed back without detach(), shuffled time steps, batch_first
mismatches, scalers fit before the split and more. Each finding names the cell,
line and column, says what will go wrong, and gives a fix; five rules fix
their findings in place.
.
Reports come as text, JSON, JSON lines, SARIF, GitHub annotations or JUnit
XML; pre-commit runs it as a system hook. The package also holds a language
server for editors, man pages, and bash, zsh and fish completions.
.
The experiments that confirm findings on a LibTorch model (--replay) are in
the package lstm-lint-replay.")

set(CPACK_COMPONENT_REPLAY_DEPENDS static)  # lstm-lint-replay Depends: lstm-lint (= version)
set(CPACK_DEBIAN_REPLAY_PACKAGE_NAME lstm-lint-replay)
set(CPACK_DEBIAN_REPLAY_PACKAGE_ENHANCES lstm-lint)
set(CPACK_DEBIAN_REPLAY_DESCRIPTION "replay experiments for lstm-lint, on LibTorch
lstm-lint --replay confirms a finding by an experiment on a small LibTorch
LSTM built from the hyper-parameters the notebook states (the notebook's own
code is never run), and reports CONFIRMED, NOT CONFIRMED or INCONCLUSIVE with
the measured numbers and their thresholds.
.
This package holds lstm-lint-replay, the executable that runs the
experiments, installed next to lstm-lint where --replay finds it. It is the
only part of lstm-lint that needs LibTorch.")
include(CPack)
