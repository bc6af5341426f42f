// --fix / --diff: applies findings' fixes to a notebook by splicing its original bytes, shows
// them as per-cell unified diffs, and replaces the file atomically (docs/fixes.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/finding.h"
#include "notebook/notebook.h"

namespace lstmlint::fix {

// Whether --fix applies `fix` (safe fixes), or --unsafe-fixes does (`unsafe`).
inline bool applicable(const engine::Fix& fix, bool unsafe) { return fix.safe || unsafe; }

// A JSON string body for `text`, escaped as Jupyter (Python's json) writes it: `\"`, `\\`,
// `\n`, `\r`, `\t`, `\b`, `\f`, other control characters as `\u00XX`; non-ASCII stays raw
// UTF-8 unless `ascii_only`, which writes `\uXXXX` (surrogate pairs above U+FFFF).
std::string json_escape(std::string_view text, bool ascii_only);

// The text a JSON string body (the bytes between its quotes) stands for; nullopt when it is
// not valid JSON.
std::optional<std::string> json_unescape(std::string_view body);

// Where the decoded byte `decoded` of a JSON string body starts in the body itself; nullopt
// when it falls inside the expansion of one escape (`\u00e9` is two decoded bytes) or past the
// end. `decoded` == the decoded length maps to the body's length.
std::optional<size_t> raw_offset(std::string_view body, size_t decoded);

// Whether new text should be written with `\u` escapes: the file holds no raw non-ASCII byte.
bool writes_ascii_only(std::string_view file_bytes);

struct Result {
  std::string bytes;                  // the fixed file (== the input when nothing applied)
  std::vector<size_t> fixed;          // indices of the findings whose fix was applied
  std::map<int, std::string> cells;   // new source of each edited cell, by cell index
  std::string error;                  // why nothing could be applied; empty when fine
};

// Applies the applicable fixes among `findings` (in their order; a fix whose edits overlap an
// earlier applied fix's is skipped) to `bytes`, the file `nb` was parsed from. The result is
// re-parsed and checked: every cell's source is what the edits made of it, and nothing else
// changed.
Result apply(std::string_view bytes, const notebook::Notebook& nb, const std::vector<engine::Finding>& findings,
             bool unsafe);

// Fills Fix::file_edits of each fixable finding: its edits as replacements in `bytes`, the
// file `nb` was parsed from, each fix on its own (a SARIF consumer applies one fix at a time).
// A fix whose cells no longer hold the source it was computed for (Edit::cell_hash), or whose
// edits cannot be mapped to the file, gets none.
void locate_in_file(std::string_view bytes, const notebook::Notebook& nb, std::vector<engine::Finding>& findings);

// A unified diff of two texts by lines, with three lines of context, headed `--- old_name`,
// `+++ new_name`; empty when the texts are equal.
std::string unified_diff(const std::string& old_text, const std::string& new_text, const std::string& old_name,
                         const std::string& new_name);

// Replaces `path` by `bytes` (engine::write_file_atomically) unless the file is read-only or
// no longer holds `expected`, the bytes it was read with, just before the rename. Returns an
// error message (without the path), empty on success.
// Test-only hook: LSTM_LINT_TEST_BEFORE_REPLACE names a shell command run after the temporary
// file is written and before the check, so tests can change the file in that window.
std::string replace_if_unchanged(const std::string& path, std::string_view expected, const std::string& bytes);

}  // namespace lstmlint::fix
