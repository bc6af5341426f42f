# Script mode (cmake -P): writes a C++ file that embeds rule.json, doc.md and data files
# of every rule in rules/registry, and declares each rule's check function.
set(delim "lstmlint__")
function(embed_literal path outvar)
  file(READ ${path} content)
  string(FIND "${content}" ")${delim}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter )${delim}\"")
  endif()
  set(${outvar} "R\"${delim}(${content})${delim}\"" PARENT_SCOPE)
endfunction()

file(STRINGS ${RULES_DIR}/registry lines)
set(decls "")
set(entries "")
foreach(line IN LISTS lines)
  string(STRIP "${line}" rule)
  if(rule STREQUAL "" OR rule MATCHES "^#")
    continue()
  endif()
  string(REPLACE "-" "_" ident ${rule})
  string(APPEND decls "void check_${ident}(const engine::Context&, engine::Diagnostics&);\n")
  embed_literal(${RULES_DIR}/${rule}/rule.json meta)
  embed_literal(${RULES_DIR}/${rule}/doc.md doc)
  file(GLOB data_files ${RULES_DIR}/${rule}/*.json)
  set(data "")
  foreach(f IN LISTS data_files)
    get_filename_component(fname ${f} NAME)
    if(fname STREQUAL "rule.json")
      continue()
    endif()
    embed_literal(${f} literal)
    string(APPEND data "{\"${fname}\", ${literal}},")
  endforeach()
  string(APPEND entries "  {\"${rule}\", ${meta},\n   ${doc},\n   {${data}}, &rules::check_${ident}},\n")
endforeach()

file(WRITE ${OUT}.tmp "// Generated from rules/registry by cmake/EmbedRules.cmake. Do not edit.
#include \"engine/registry.h\"

namespace lstmlint::rules {
${decls}}

namespace lstmlint::engine {
const std::vector<EmbeddedRule>& embedded_rules() {
  static const std::vector<EmbeddedRule> table = {
${entries}  };
  return table;
}
}  // namespace lstmlint::engine
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
