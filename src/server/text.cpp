// LSP positions <-> byte offsets (server/text.h).
#include "server/text.h"

#include <algorithm>

#include "notebook/utf8.h"

namespace lstmlint::server {
namespace {

size_t line_start(std::string_view text, int line, bool& past_end) {
  past_end = false;
  size_t at = 0;
  for (int n = 0; n < line; ++n) {
    size_t newline = text.find('\n', at);
    if (newline == std::string_view::npos) {
      past_end = true;
      return text.size();
    }
    at = newline + 1;
  }
  return at;
}

int units_of(char32_t cp) { return cp >= 0x10000 && cp != 0xFFFD ? 2 : 1; }

}  // namespace

size_t byte_offset(std::string_view text, Position p) {
  if (p.line < 0) return 0;
  bool past_end = false;
  size_t at = line_start(text, p.line, past_end);
  if (past_end) return text.size();
  size_t end = text.find('\n', at);
  if (end == std::string_view::npos) end = text.size();
  int units = 0;
  while (at < end && units < p.character) {
    size_t next = at;
    char32_t cp = utf8::next_code_point(text, next);
    if (next > end) break;
    units += units_of(cp);
    if (units > p.character) break;  // inside a surrogate pair: stay at its code point
    at = next;
  }
  return at;
}

Position position_of(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  Position p;
  size_t start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++p.line;
      start = i + 1;
    }
  for (size_t i = start; i < offset;) {
    char32_t cp = utf8::next_code_point(text, i);
    p.character += units_of(cp);
  }
  return p;
}

std::string_view line_text(std::string_view text, int line) {
  bool past_end = false;
  size_t at = line_start(text, std::max(line, 0), past_end);
  if (past_end) return {};
  size_t end = text.find('\n', at);
  std::string_view s = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
  return s;
}

int utf16_units(std::string_view line, int code_points) {
  int units = 0;
  for (size_t i = 0; i < line.size() && code_points > 0; --code_points) units += units_of(utf8::next_code_point(line, i));
  return units;
}

void apply_change(std::string& text, Position start, Position end, std::string_view replacement) {
  size_t a = byte_offset(text, start), b = byte_offset(text, end);
  if (b < a) std::swap(a, b);
  text.replace(a, b - a, replacement.data(), replacement.size());
}

}  // namespace lstmlint::server
