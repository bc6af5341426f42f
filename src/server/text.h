// Positions for the language server: LSP counts lines from 0 and characters in UTF-16 code
// units; lstm-lint counts both from 1 and columns in code points; edits are byte offsets.
#pragma once

#include <string>
#include <string_view>

namespace lstmlint::server {

struct Position {
  int line = 0;       // 0-based
  int character = 0;  // UTF-16 code units
};

// The byte offset of an LSP position in `text`; lines past the end clamp to the end of the
// text, characters past the end of a line to the line's end, negative values to 0, and a
// character inside a surrogate pair to the start of its code point.
size_t byte_offset(std::string_view text, Position p);

// The LSP position of a byte offset (clamped to the text).
Position position_of(std::string_view text, size_t offset);

// Line `line` (0-based) of `text`, without its newline; empty past the end.
std::string_view line_text(std::string_view text, int line);

// UTF-16 code units in the first `code_points` code points of `line` (clamped to the line).
int utf16_units(std::string_view line, int code_points);

// Applies one incremental change (LSP range -> new text) to `text`.
void apply_change(std::string& text, Position start, Position end, std::string_view replacement);

}  // namespace lstmlint::server
