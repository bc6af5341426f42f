// The one coordinate system of lstm-lint: {cell, line, column}, all 1-based.
#pragma once

namespace lstmlint {

// cell: index among all cells of the notebook; line: within the cell's source;
// column: in characters (UTF-8 code points) within the line.
struct Location {
  int cell = 0;
  int line = 0;
  int column = 0;
};

// A half-open range: end.column is one past the last character.
struct Span {
  Location start;
  Location end;
};

inline bool operator==(const Location& a, const Location& b) {
  return a.cell == b.cell && a.line == b.line && a.column == b.column;
}
inline bool operator<(const Location& a, const Location& b) {
  if (a.cell != b.cell) return a.cell < b.cell;
  if (a.line != b.line) return a.line < b.line;
  return a.column < b.column;
}

}  // namespace lstmlint
