// IPython magic masking. Replacements keep byte lengths so tree positions map 1:1 to the cell.
#include "notebook/magics.h"

#include <cctype>

namespace lstmlint::notebook {
namespace {

// Cell magics whose body IPython runs as Python.
bool python_body_magic(std::string_view name) {
  static const char* names[] = {"time", "timeit", "capture", "prun", "debug", "python", "python3", "pypy",
                                "memit", "snakeviz", "heat", "lprun"};
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

// Line magics whose argument is a Python statement (`%time model = train()`).
bool python_statement_magic(std::string_view name) { return name == "time" || name == "debug"; }

bool defines_unknown(std::string_view name, std::string_view args) {
  if (name == "run" || name == "load" || name == "loadpy") return true;
  if (name == "store" && args.find("-r") != std::string_view::npos) return true;
  return false;
}

std::string_view magic_name(std::string_view text) {  // text starts after % or %%
  size_t n = 0;
  while (n < text.size() && (std::isalnum(static_cast<unsigned char>(text[n])) || text[n] == '_')) ++n;
  return text.substr(0, n);
}

// Tracks whether the next line starts a logical line: not inside brackets, a string or after `\`.
class LineScanner {
 public:
  bool at_logical_start() const { return depth_ == 0 && quote_ == 0 && !continued_; }

  // Scans one line (without '\n'); returns the index of the last significant character
  // outside strings and comments, or npos.
  size_t scan(std::string_view line) {
    continued_ = false;
    size_t last = std::string_view::npos;
    size_t i = 0;
    while (i < line.size()) {
      char c = line[i];
      if (quote_ != 0) {
        if (c == '\\') { i += 2; continue; }
        if (c == quote_ && (!triple_ || line.substr(i, 3) == std::string(3, quote_))) {
          i += triple_ ? 3 : 1;
          quote_ = 0;
          last = i - 1;
          continue;
        }
        ++i;
        continue;
      }
      if (c == '#') break;
      if (c == '\'' || c == '"') {
        triple_ = line.substr(i, 3) == std::string(3, c);
        quote_ = c;
        i += triple_ ? 3 : 1;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth_;
      if ((c == ')' || c == ']' || c == '}') && depth_ > 0) --depth_;
      if (c == '\\' && i + 1 == line.size()) { continued_ = true; break; }
      if (!std::isspace(static_cast<unsigned char>(c))) last = i;
      ++i;
    }
    if (quote_ != 0 && !triple_) quote_ = 0;  // an unterminated one-line string ends here
    return last;
  }

 private:
  int depth_ = 0;
  char quote_ = 0;
  bool triple_ = false;
  bool continued_ = false;
};

// Overwrites line[from..] with a statement of the same length ("pass", "None" or "0" + spaces).
void blank_from(std::string& text, size_t line_start, size_t from, size_t line_end, const char* filler) {
  size_t width = line_end - from;
  std::string f = filler;
  if (width < f.size()) f = "0";
  for (size_t i = 0; i < width; ++i) text[line_start + from + i] = i < f.size() ? f[i] : ' ';
}

// `name = !cmd` or `a, b = %sx cmd`: returns the offset of the `!`/`%`, or npos.
size_t assigned_magic(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size() || !(std::isalpha(static_cast<unsigned char>(line[i])) || line[i] == '_')) return std::string_view::npos;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ',' ||
                             line[i] == ' ' || line[i] == '\t' || line[i] == '.'))
    ++i;
  if (i >= line.size() || line[i] != '=' || (i + 1 < line.size() && line[i + 1] == '=')) return std::string_view::npos;
  ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i < line.size() && (line[i] == '!' || (line[i] == '%' && i + 1 < line.size() && std::isalpha(static_cast<unsigned char>(line[i + 1])))))
    return i;
  return std::string_view::npos;
}

}  // namespace

PythonSource mask_ipython(std::string_view source) {
  PythonSource out;
  out.text = std::string(source);
  std::string& text = out.text;

  LineScanner scanner;
  size_t line_start = 0;
  int line_no = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    ++line_no;
    std::string_view line(text.data() + line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t width = line.size();

    size_t indent = 0;
    while (indent < width && (line[indent] == ' ' || line[indent] == '\t')) ++indent;
    std::string_view body = line.substr(indent);

    if (line_no == 1 && body.substr(0, 2) == "%%" && indent == 0) {
      std::string_view name = magic_name(body.substr(2));
      out.cell_magic = std::string(name);
      if (!python_body_magic(name)) {
        out.opaque = true;
        return out;
      }
      if (name == "capture") {
        // %%capture [options] [var]: the last bare word is the variable bound.
        std::string_view args = body.substr(2 + name.size());
        size_t end = args.find_last_not_of(" \t");
        if (end != std::string_view::npos) {
          size_t start = args.find_last_of(" \t", end);
          start = start == std::string_view::npos ? 0 : start + 1;
          std::string_view var = args.substr(start, end - start + 1);
          if (!var.empty() && var[0] != '-' && (std::isalpha(static_cast<unsigned char>(var[0])) || var[0] == '_'))
            out.bindings.push_back({std::string(var), 1, static_cast<int>(2 + name.size() + start + 1)});
        }
      }
      blank_from(text, line_start, 0, width, "pass");
    } else if (scanner.at_logical_start() && !body.empty() && (body[0] == '%' || body[0] == '!' || body[0] == '?')) {
      std::string_view name = body[0] == '%' ? magic_name(body.substr(body.size() > 1 && body[1] == '%' ? 2 : 1)) : "";
      size_t name_end = indent + 1 + name.size();
      if (body[0] == '%' && defines_unknown(name, body.substr(1 + name.size()))) out.defines_unknown_names = true;
      if (body[0] == '%' && python_statement_magic(name) && name_end < width && line[name_end] == ' ' &&
          name_end + 1 - indent >= 2) {
        // `%time stmt`: keep the statement; the prefix becomes `0;` plus spaces.
        blank_from(text, line_start, indent, name_end + 1, "0;");
        scanner.scan(line.substr(name_end + 1));
      } else {
        blank_from(text, line_start, indent, width, "pass");
      }
    } else if (size_t magic_at = scanner.at_logical_start() ? assigned_magic(line) : std::string_view::npos;
               magic_at != std::string_view::npos) {
      if (line[magic_at] == '%' && defines_unknown(magic_name(line.substr(magic_at + 1)), ""))
        out.defines_unknown_names = true;
      blank_from(text, line_start, magic_at, width, "None");
    } else {
      bool logical_start = scanner.at_logical_start();
      size_t last = scanner.scan(line);
      if (logical_start && last != std::string_view::npos && line[last] == '?') {
        // `obj?` / `obj??`: IPython help.
        blank_from(text, line_start, indent, width, "pass");
      }
    }
    if (line_end == text.size()) break;
    line_start = line_end + 1;
  }
  return out;
}

}  // namespace lstmlint::notebook
