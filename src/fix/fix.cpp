// Fixes spliced into the original .ipynb bytes: only the edited source characters change.
#include "fix/fix.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include "engine/baseline.h"
#include "engine/file_write.h"
#include "notebook/utf8.h"

namespace lstmlint::fix {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<unsigned> hex4(std::string_view body, size_t at) {
  if (at + 4 > body.size()) return std::nullopt;
  unsigned v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    int h = hex_value(body[i]);
    if (h < 0) return std::nullopt;
    v = v * 16 + static_cast<unsigned>(h);
  }
  return v;
}

// One step through a JSON string body: the raw bytes one character or escape takes, and the
// decoded bytes it stands for. False when the body is not valid JSON there.
bool step(std::string_view body, size_t at, size_t& raw_length, std::string& decoded) {
  decoded.clear();
  char c = body[at];
  if (c != '\\') {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') return false;
    raw_length = 1;
    decoded = c;
    return true;
  }
  if (at + 1 >= body.size()) return false;
  char e = body[at + 1];
  raw_length = 2;
  switch (e) {
    case '"': decoded = "\""; return true;
    case '\\': decoded = "\\"; return true;
    case '/': decoded = "/"; return true;
    case 'b': decoded = "\b"; return true;
    case 'f': decoded = "\f"; return true;
    case 'n': decoded = "\n"; return true;
    case 'r': decoded = "\r"; return true;
    case 't': decoded = "\t"; return true;
    case 'u': break;
    default: return false;
  }
  auto cp = hex4(body, at + 2);
  if (!cp) return false;
  raw_length = 6;
  if (*cp >= 0xDC00 && *cp <= 0xDFFF) return false;  // a lone low surrogate
  if (*cp >= 0xD800 && *cp <= 0xDBFF) {
    if (at + 12 > body.size() || body[at + 6] != '\\' || body[at + 7] != 'u') return false;
    auto low = hex4(body, at + 8);
    if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
    raw_length = 12;
    utf8::append(decoded, 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00));
    return true;
  }
  utf8::append(decoded, *cp);
  return true;
}

std::string u_escape(unsigned unit) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04x", unit & 0xFFFFu);
  return buf;
}

// Edits of one fix conflict with an applied one when they touch the same bytes of a cell.
bool overlaps(const engine::Edit& a, const engine::Edit& b) {
  return a.cell == b.cell && a.begin <= b.end && b.begin <= a.end;
}

size_t piece_length(const notebook::Cell& cell, size_t k) {
  const auto& p = cell.raw_pieces;
  return (k + 1 < p.size() ? p[k + 1].offset : cell.source.size()) - p[k].offset;
}

struct Splice {
  size_t begin, end;
  std::string text;
};

// A percent script's code cell is a verbatim run of the file (notebook/percent.h): an edit
// maps to the file by the offset where the cell's source starts, and needs no escaping.
std::string percent_splice(std::string_view bytes, const notebook::Cell& cell, const engine::Edit& edit,
                           std::vector<Splice>& out) {
  if (cell.kind != notebook::CellKind::Code || cell.raw_pieces.empty()) return "only code cells can be fixed";
  size_t base = cell.raw_pieces.front().raw_begin;
  if (base > bytes.size() || bytes.substr(base, cell.source.size()) != cell.source)
    return "its source in the file does not match what was linted";
  if (edit.begin > edit.end || edit.end > cell.source.size()) return "an edit lies outside the cell's source";
  out.push_back({base + edit.begin, base + edit.end, edit.text});
  return {};
}

class CellSplicer {
 public:
  CellSplicer(std::string_view bytes, const notebook::Cell& cell, bool ascii_only)
      : bytes_(bytes), cell_(cell), ascii_only_(ascii_only) {}

  // Checks that every source string token decodes to its piece of the source.
  std::string verify() const {
    const auto& pieces = cell_.raw_pieces;
    if (pieces.empty()) return "its source is not mapped to the file";
    for (size_t k = 0; k < pieces.size(); ++k) {
      const auto& p = pieces[k];
      if (p.raw_end < p.raw_begin || p.raw_end > bytes_.size() || p.raw_begin == 0)
        return "its source is not mapped to the file";
      auto text = json_unescape(body(k));
      if (!text || *text != std::string_view(cell_.source).substr(p.offset, piece_length(cell_, k)))
        return "its source strings in the file do not match what was linted";
    }
    return {};
  }

  bool list_form() const {
    size_t at = cell_.raw_pieces.front().raw_begin - 1;  // the opening quote
    while (at > 0 && std::strchr(" \t\r\n", bytes_[at - 1])) --at;
    return at > 0 && bytes_[at - 1] == '[';
  }

  // The raw splices for one edit, or an error.
  std::string splice(const engine::Edit& edit, std::vector<Splice>& out) const {
    const auto& pieces = cell_.raw_pieces;
    if (edit.begin > edit.end || edit.end > cell_.source.size()) return "an edit lies outside the cell's source";
    if (list_form() && edit.begin == edit.end && !edit.text.empty() && edit.text.back() == '\n') {
      for (size_t k = 0; k < pieces.size(); ++k) {
        if (pieces[k].offset != edit.begin || piece_length(cell_, k) == 0) continue;
        if (k > 0 && cell_.source[edit.begin - 1] != '\n') break;
        out.push_back(new_elements(k, edit.text));
        return {};
      }
    }
    size_t first = piece_at(edit.begin), last = first;
    while (last + 1 < pieces.size() && pieces[last].offset + piece_length(cell_, last) < edit.end) ++last;
    auto from = raw_offset(body(first), edit.begin - pieces[first].offset);
    auto to = raw_offset(body(last), edit.end - pieces[last].offset);
    if (!from || !to) return "an edit does not fall on character boundaries";
    std::string text = json_escape(edit.text, ascii_only_);
    if (first == last) {
      out.push_back({pieces[first].raw_begin + *from, pieces[first].raw_begin + *to, text});
      return {};
    }
    // Across strings of a list: the new text goes into the first, the rest of the range is
    // emptied; the list keeps its elements, and the joined source is what the edit made.
    out.push_back({pieces[first].raw_begin + *from, pieces[first].raw_end, text});
    for (size_t k = first + 1; k < last; ++k) out.push_back({pieces[k].raw_begin, pieces[k].raw_end, ""});
    out.push_back({pieces[last].raw_begin, pieces[last].raw_begin + *to, ""});
    return {};
  }

 private:
  std::string_view body(size_t k) const {
    const auto& p = cell_.raw_pieces[k];
    return bytes_.substr(p.raw_begin, p.raw_end - p.raw_begin);
  }

  // The piece holding decoded offset `at`: at a boundary, the one that starts there.
  size_t piece_at(size_t at) const {
    const auto& pieces = cell_.raw_pieces;
    size_t k = 0;
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i].offset <= at && (piece_length(cell_, i) > 0 || i + 1 == pieces.size())) k = i;
    return k;
  }

  // What separates two elements of the list after the comma ("\n    " in Jupyter's layout).
  std::string separator(size_t k) const {
    const auto& pieces = cell_.raw_pieces;
    if (pieces.size() == 1) {  // the whitespace after `[`
      size_t at = pieces[0].raw_begin - 1, start = at;
      while (start > 0 && bytes_[start - 1] != '[') --start;
      return std::string(bytes_.substr(start, at - start));
    }
    size_t second = k == 0 ? 1 : k;
    size_t comma = bytes_.find(',', pieces[second - 1].raw_end + 1);
    size_t open = pieces[second].raw_begin - 1;
    if (comma == std::string_view::npos || comma > open) return " ";
    return std::string(bytes_.substr(comma + 1, open - comma - 1));
  }

  // Whole lines inserted before piece k as new elements formatted like their neighbours.
  Splice new_elements(size_t k, const std::string& text) const {
    std::string sep = separator(k), raw;
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      end = end == std::string::npos ? text.size() : end + 1;
      raw += "\"" + json_escape(text.substr(start, end - start), ascii_only_) + "\"," + sep;
      start = end;
    }
    size_t open = cell_.raw_pieces[k].raw_begin - 1;
    return {open, open, raw};
  }

  std::string_view bytes_;
  const notebook::Cell& cell_;
  bool ascii_only_;
};

std::string apply_edits(std::string source, std::vector<engine::Edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) { return a.begin > b.begin; });
  for (const auto& e : edits) source.replace(e.begin, e.end - e.begin, e.text);
  return source;
}

}  // namespace

std::string json_escape(std::string_view text, bool ascii_only) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80 && ascii_only) {
      char32_t cp = utf8::next_code_point(text, i);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        out += u_escape(0xD800 + (cp >> 10)) + u_escape(0xDC00 + (cp & 0x3FF));
      } else {
        out += u_escape(cp);
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) out += u_escape(c);
        else out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> json_unescape(std::string_view body) {
  std::string out, piece;
  for (size_t at = 0, length = 0; at < body.size(); at += length) {
    if (!step(body, at, length, piece)) return std::nullopt;
    out += piece;
  }
  return out;
}

std::optional<size_t> raw_offset(std::string_view body, size_t decoded) {
  std::string piece;
  size_t seen = 0, at = 0;
  for (size_t length = 0; at < body.size() && seen < decoded; at += length) {
    if (!step(body, at, length, piece)) return std::nullopt;
    seen += piece.size();
  }
  if (seen != decoded) return std::nullopt;
  return at;
}

bool writes_ascii_only(std::string_view file_bytes) {
  return std::none_of(file_bytes.begin(), file_bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

Result apply(std::string_view bytes, const notebook::Notebook& nb, const std::vector<engine::Finding>& findings,
             bool unsafe) {
  Result result;
  result.bytes = std::string(bytes);
  std::vector<engine::Edit> accepted;
  for (size_t i = 0; i < findings.size(); ++i) {
    const auto& fix = findings[i].fix;
    if (!fix || !applicable(*fix, unsafe) || fix->edits.empty()) continue;
    bool clash = false;
    for (const auto& e : fix->edits) {
      bool valid = e.cell >= 1 && static_cast<size_t>(e.cell) <= nb.cells.size();
      clash = clash || !valid || std::any_of(accepted.begin(), accepted.end(), [&](const auto& a) { return overlaps(a, e); });
    }
    if (clash) continue;
    accepted.insert(accepted.end(), fix->edits.begin(), fix->edits.end());
    result.fixed.push_back(i);
  }
  if (accepted.empty()) return result;

  std::map<int, std::vector<engine::Edit>> by_cell;
  for (const auto& e : accepted) by_cell[e.cell].push_back(e);
  bool ascii_only = writes_ascii_only(bytes);
  std::vector<Splice> splices;
  for (const auto& [index, edits] : by_cell) {
    const notebook::Cell& cell = nb.cells[static_cast<size_t>(index - 1)];
    CellSplicer splicer(bytes, cell, ascii_only);
    bool percent = nb.format == notebook::SourceFormat::Percent;
    std::string error = percent ? std::string() : splicer.verify();
    for (size_t k = 0; error.empty() && k < edits.size(); ++k)
      error = percent ? percent_splice(bytes, cell, edits[k], splices) : splicer.splice(edits[k], splices);
    if (!error.empty()) {
      result = {std::string(bytes), {}, {}, "cannot fix cell " + std::to_string(index) + ": " + error};
      return result;
    }
    result.cells[index] = apply_edits(cell.source, edits);
  }
  // Back to front, so earlier offsets stay valid; insertions at one point keep edit order.
  std::stable_sort(splices.begin(), splices.end(), [](const Splice& a, const Splice& b) { return a.begin > b.begin; });
  for (const auto& s : splices) result.bytes.replace(s.begin, s.end - s.begin, s.text);

  // The proof that the splice did what the edits say: the fixed file parses to the same cells,
  // with exactly the new sources in the edited ones.
  std::string problem;
  try {
    notebook::Notebook fixed = notebook::parse_notebook(result.bytes, nb.path);
    if (fixed.cells.size() != nb.cells.size()) problem = "the number of cells changed";
    for (size_t c = 0; problem.empty() && c < fixed.cells.size(); ++c) {
      auto edited = result.cells.find(static_cast<int>(c + 1));
      const std::string& expected = edited != result.cells.end() ? edited->second : nb.cells[c].source;
      if (fixed.cells[c].source != expected) problem = "cell " + std::to_string(c + 1) + " did not come out as intended";
    }
  } catch (const notebook::NotebookError& e) {
    problem = std::string("the fixed file does not parse: ") + e.what();
  }
  if (!problem.empty()) result = {std::string(bytes), {}, {}, "internal error, nothing fixed: " + problem};
  return result;
}

namespace {

// 1-based line and column (in code points) of byte `at`, lines split at '\n' as raw_line counts
// them; `line_starts` holds the offset where each line starts.
std::pair<int, int> line_and_column(std::string_view bytes, const std::vector<size_t>& line_starts, size_t at) {
  size_t line = static_cast<size_t>(std::upper_bound(line_starts.begin(), line_starts.end(), at) - line_starts.begin());
  int column = 1;
  for (size_t i = line_starts[line - 1]; i < at; ++i)
    if ((static_cast<unsigned char>(bytes[i]) & 0xC0) != 0x80) ++column;
  return {static_cast<int>(line), column};
}

}  // namespace

void locate_in_file(std::string_view bytes, const notebook::Notebook& nb, std::vector<engine::Finding>& findings) {
  bool ascii_only = writes_ascii_only(bytes);
  std::vector<size_t> line_starts;
  for (auto& f : findings) {
    if (!f.fix || f.fix->edits.empty()) continue;
    f.fix->file_edits.clear();
    std::vector<Splice> splices;
    bool mapped = true;
    for (size_t k = 0; mapped && k < f.fix->edits.size(); ++k) {
      const engine::Edit& e = f.fix->edits[k];
      mapped = e.cell >= 1 && static_cast<size_t>(e.cell) <= nb.cells.size();
      if (!mapped) break;
      const notebook::Cell& cell = nb.cells[static_cast<size_t>(e.cell - 1)];
      CellSplicer splicer(bytes, cell, ascii_only);
      bool fresh = engine::source_hash(cell.source) == e.cell_hash;
      if (nb.format == notebook::SourceFormat::Percent) mapped = fresh && percent_splice(bytes, cell, e, splices).empty();
      else mapped = fresh && splicer.verify().empty() && splicer.splice(e, splices).empty();
    }
    if (!mapped) continue;
    if (line_starts.empty()) {
      line_starts.push_back(0);
      for (size_t i = 0; i < bytes.size(); ++i)
        if (bytes[i] == '\n') line_starts.push_back(i + 1);
    }
    // In file order; insertions at one point keep the order of their edits.
    std::stable_sort(splices.begin(), splices.end(), [](const Splice& a, const Splice& b) { return a.begin < b.begin; });
    for (auto& s : splices) {
      engine::FileEdit edit;
      edit.begin = s.begin;
      edit.end = s.end;
      std::tie(edit.line, edit.column) = line_and_column(bytes, line_starts, s.begin);
      std::tie(edit.end_line, edit.end_column) = line_and_column(bytes, line_starts, s.end);
      edit.text = std::move(s.text);
      f.fix->file_edits.push_back(std::move(edit));
    }
  }
}

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::string without_newline(const std::string& line) {
  return !line.empty() && line.back() == '\n' ? line.substr(0, line.size() - 1) : line;
}

}  // namespace

std::string unified_diff(const std::string& old_text, const std::string& new_text, const std::string& old_name,
                         const std::string& new_name) {
  if (old_text == new_text) return {};
  auto a = split_lines(old_text), b = split_lines(new_text);
  // Common head and tail first; the longest common subsequence of the (small) middle.
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
  size_t n = a.size() - head - tail, m = b.size() - head - tail;
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[head + i] == b[head + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  // The edit script: ' ' keep, '-' old only, '+' new only; with each line's old and new index.
  struct Op {
    char kind;
    size_t ai, bi;
  };
  std::vector<Op> ops;
  for (size_t k = 0; k < head; ++k) ops.push_back({' ', k, k});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] == b[head + j]) ops.push_back({' ', head + i++, head + j++});
    else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push_back({'-', head + i++, head + j});
    else ops.push_back({'+', head + i, head + j++});
  }
  for (size_t k = 0; k < tail; ++k) ops.push_back({' ', a.size() - tail + k, b.size() - tail + k});

  std::ostringstream out;
  out << "--- " << old_name << "\n+++ " << new_name << "\n";
  const size_t context = 3;
  for (size_t k = 0; k < ops.size();) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    size_t start = k >= context ? k - context : 0, end = k;
    // Extend the hunk while the next change is within two contexts.
    for (size_t gap = 0; end < ops.size(); ++end) {
      gap = ops[end].kind == ' ' ? gap + 1 : 0;
      if (gap > 2 * context) break;
    }
    size_t stop = end;
    while (stop > k && ops[stop - 1].kind == ' ') --stop;
    stop = std::min(ops.size(), stop + context);
    size_t old_count = 0, new_count = 0;
    for (size_t q = start; q < stop; ++q) {
      old_count += ops[q].kind != '+';
      new_count += ops[q].kind != '-';
    }
    size_t old_start = ops[start].ai + (old_count ? 1 : 0), new_start = ops[start].bi + (new_count ? 1 : 0);
    out << "@@ -" << old_start << "," << old_count << " +" << new_start << "," << new_count << " @@\n";
    for (size_t q = start; q < stop; ++q) {
      const std::string& line = ops[q].kind == '+' ? b[ops[q].bi] : a[ops[q].ai];
      out << ops[q].kind << without_newline(line) << "\n";
    }
    k = stop;
  }
  return out.str();
}

namespace {

std::string read_all(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string replace_if_unchanged(const std::string& path, std::string_view expected, const std::string& bytes) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::string("cannot stat the file: ") + std::strerror(errno);
  // Root may write anything; a file without write permission is still not ours to replace.
  if ((st.st_mode & 0222) == 0 || access(path.c_str(), W_OK) != 0) return "the file is read-only; not fixed";
  return engine::write_file_atomically(path, bytes, [&]() -> std::string {
    if (const char* hook = std::getenv("LSTM_LINT_TEST_BEFORE_REPLACE"); hook && *hook) {
      int status = std::system(hook);
      (void)status;  // the hook only simulates another writer
    }
    bool ok = false;
    std::string now = read_all(path, ok);
    if (!ok || now != expected) return "changed on disk since it was read; not fixed";
    return {};
  });
}

}  // namespace lstmlint::fix
