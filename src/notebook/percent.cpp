// Jupytext percent scripts -> cells (notebook/percent.h).
#include "notebook/percent.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "notebook/utf8.h"

namespace lstmlint::notebook {
namespace {

struct Line {
  size_t begin = 0;  // byte offset of the line in the file
  size_t end = 0;    // before its '\n' (and a '\r' before that stays part of the line)
};

std::vector<Line> split_lines(std::string_view bytes, size_t from) {
  std::vector<Line> lines;
  size_t start = from;
  while (start < bytes.size()) {
    size_t newline = bytes.find('\n', start);
    size_t end = newline == std::string_view::npos ? bytes.size() : newline;
    lines.push_back({start, end});
    start = end + 1;
  }
  return lines;
}

std::string_view text_of(std::string_view bytes, const Line& line) { return bytes.substr(line.begin, line.end - line.begin); }

std::string_view without_cr(std::string_view s) {
  return !s.empty() && s.back() == '\r' ? s.substr(0, s.size() - 1) : s;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\f\v") == std::string_view::npos; }

// The cell kind a marker's tag names: `[markdown]`, `[md]`, `[raw]`; code otherwise.
CellKind marker_kind(std::string_view line) {
  size_t open = line.find('[');
  if (open == std::string_view::npos) return CellKind::Code;
  size_t close = line.find(']', open);
  if (close == std::string_view::npos) return CellKind::Code;
  std::string_view tag = line.substr(open + 1, close - open - 1);
  if (tag == "markdown" || tag == "md") return CellKind::Markdown;
  if (tag == "raw") return CellKind::Raw;
  return CellKind::Code;
}

void check_utf8(std::string_view bytes) {
  int line = 1;
  for (size_t i = 0; i < bytes.size();) {
    size_t at = i;
    char32_t cp = utf8::next_code_point(bytes, i);
    if (bytes[at] == '\n') ++line;
    // A real U+FFFD is three bytes; a one-byte step to U+FFFD is an invalid sequence.
    if (cp == 0xFFFD && i - at == 1) throw NotebookError("invalid UTF-8 on line " + std::to_string(line));
  }
}

// Lines [first, last) of the file as one cell; trailing blank lines are dropped.
Cell make_cell(std::string_view bytes, const std::vector<Line>& lines, size_t first, size_t last, CellKind kind, int index,
               int marker_line) {
  Cell cell;
  cell.index = index;
  cell.kind = kind;
  cell.raw_line = marker_line;
  while (last > first && blank(text_of(bytes, lines[last - 1]))) --last;
  for (size_t k = first; k < last; ++k) {
    std::string_view text = text_of(bytes, lines[k]);
    if (kind == CellKind::Markdown) {
      if (!text.empty() && text[0] == '#') text.remove_prefix(text.size() > 1 && text[1] == ' ' ? 2 : 1);
    }
    if (k > first) cell.source += '\n';
    RawPiece piece;
    piece.offset = cell.source.size();
    piece.line = static_cast<int>(k + 1);
    piece.raw_begin = lines[k].begin;
    piece.raw_end = lines[k].end;
    cell.raw_pieces.push_back(piece);
    cell.source.append(text.data(), text.size());
  }
  if (cell.raw_pieces.empty()) {
    // An empty cell still has a place in the file: right after its marker.
    RawPiece piece;
    piece.line = first < lines.size() ? static_cast<int>(first + 1) : marker_line;
    piece.raw_begin = piece.raw_end = first < lines.size() ? lines[first].begin : bytes.size();
    cell.raw_pieces.push_back(piece);
  }
  return cell;
}

// Where the lines before the first marker start once jupytext's YAML header (`# ---` ...
// `# ---`, after blank lines) is skipped.
size_t after_header(std::string_view bytes, const std::vector<Line>& lines, size_t marker) {
  size_t k = 0;
  while (k < marker && blank(text_of(bytes, lines[k]))) ++k;
  if (k >= marker || without_cr(text_of(bytes, lines[k])) != "# ---") return 0;
  for (size_t j = k + 1; j < marker; ++j)
    if (without_cr(text_of(bytes, lines[j])) == "# ---") return j + 1;
  return 0;
}

}  // namespace

bool is_cell_marker(std::string_view line) {
  line = without_cr(line);
  std::string_view rest;
  if (line.substr(0, 4) == "# %%") rest = line.substr(4);
  else if (line.substr(0, 3) == "#%%") rest = line.substr(3);
  else return false;
  return rest.empty() || rest[0] == ' ' || rest[0] == '\t';
}

bool has_cell_marker(std::string_view text) {
  for (size_t start = 0; start < text.size();) {
    size_t newline = text.find('\n', start);
    size_t end = newline == std::string_view::npos ? text.size() : newline;
    if (is_cell_marker(text.substr(start, end - start))) return true;
    start = end + 1;
  }
  return false;
}

bool is_percent_path(std::string_view path) { return path.size() >= 3 && path.substr(path.size() - 3) == ".py"; }

bool file_has_cell_marker(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return false;
  // Line by line, so a huge file without markers is not held whole.
  std::string line;
  char buffer[1 << 14];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) {
    for (size_t i = 0; i < n; ++i) {
      if (buffer[i] != '\n') {
        if (line.size() < 64) line += buffer[i];
        continue;
      }
      if (is_cell_marker(line)) return true;
      line.clear();
    }
  }
  return is_cell_marker(line);
}

Notebook parse_percent(std::string_view bytes, std::string path) {
  check_utf8(bytes);
  Notebook nb;
  nb.path = std::move(path);
  nb.format = SourceFormat::Percent;
  nb.language = "python";
  size_t from = bytes.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  std::vector<Line> lines = split_lines(bytes, from);
  std::vector<size_t> markers;
  for (size_t k = 0; k < lines.size(); ++k)
    if (is_cell_marker(text_of(bytes, lines[k]))) markers.push_back(k);

  int index = 0;
  size_t first_marker = markers.empty() ? lines.size() : markers.front();
  size_t header_end = markers.empty() ? 0 : after_header(bytes, lines, first_marker);
  bool header_code = false;
  for (size_t k = header_end; k < first_marker; ++k) header_code = header_code || !blank(text_of(bytes, lines[k]));
  if (header_code || markers.empty()) {
    size_t start = header_end;
    while (start < first_marker && blank(text_of(bytes, lines[start]))) ++start;
    if (markers.empty()) start = 0;  // one cell: the file's lines as they are
    nb.cells.push_back(make_cell(bytes, lines, start, first_marker, CellKind::Code, ++index, static_cast<int>(start + 1)));
  }
  for (size_t m = 0; m < markers.size(); ++m) {
    size_t marker = markers[m];
    size_t end = m + 1 < markers.size() ? markers[m + 1] : lines.size();
    CellKind kind = marker_kind(text_of(bytes, lines[marker]));
    nb.cells.push_back(make_cell(bytes, lines, marker + 1, end, kind, ++index, static_cast<int>(marker + 1)));
  }
  return nb;
}

}  // namespace lstmlint::notebook
