// Shared by the fuzz targets and fuzz_seed: failure reporting, UTF-8 checks, and the byte
// encoding of a notebook that fuzz_static_analysis decodes (and fuzz_seed writes for seeds).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notebook/notebook.h"

namespace fuzzing {

// An invariant failed: print why and abort, which libFuzzer reports as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "\n==fuzz== INVARIANT FAILED: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond, what)                                                         \
  do {                                                                                 \
    if (!(cond)) ::fuzzing::fail(std::string(#cond) + " -- " + std::string(what));    \
  } while (0)

// Strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) { ++i; continue; }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (d < l || d > h) return false;
    }
    i += n + 1;
  }
  return true;
}

// Characters (code points) in a line, as lstm-lint counts columns: bytes that are not
// UTF-8 continuation bytes.
inline int char_count(std::string_view s) {
  int n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// A cell's lines as the model sees them: split on '\n', a trailing '\r' dropped.
inline std::vector<std::string_view> split_lines(std::string_view source) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (;;) {
    size_t end = source.find('\n', start);
    std::string_view line = source.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

// ---- fuzz_static_analysis input format --------------------------------------------------
//
// Records separated by a NUL byte. Each record is one header byte and a payload:
//   0x01..0x7C   code cell, execution_count = header, source = payload
//   0x7D         code cell, execution_count null
//   0x7E         raw cell;  0x7F  markdown cell
//   0x80..0xFF   an output of the last code cell (ignored before any), kind = header & 3:
//                0 stream (stdout, or stderr if header & 4), 1 execute_result text/plain,
//                2 display_data text/plain, 3 error: "ename: evalue", then each traceback
//                entry, separated by 0x1F (unit separator)
// Odd-numbered cells store their source as a list of lines, even ones as one string.
// An empty record (two NULs in a row) is skipped.
constexpr char kSeparator = '\0';
constexpr char kUnitSeparator = '\x1f';
constexpr unsigned char kNullCount = 0x7D, kRaw = 0x7E, kMarkdown = 0x7F, kMaxCount = 0x7C;

inline nlohmann::json lines_json(std::string_view text) {
  nlohmann::json lines = nlohmann::json::array();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(std::string(text.substr(start, end - start)));
    start = end;
  }
  return lines;
}

inline nlohmann::json decode_notebook(std::string_view data) {
  using json = nlohmann::json;
  json cells = json::array();
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t last_code = kNone;  // index in `cells` (pushing may move the cells)
  size_t start = 0;
  while (start <= data.size()) {
    size_t end = data.find(kSeparator, start);
    if (end == std::string_view::npos) end = data.size();
    std::string_view record = data.substr(start, end - start);
    start = end + 1;
    if (record.empty()) continue;
    unsigned char header = static_cast<unsigned char>(record[0]);
    std::string_view payload = record.substr(1);
    if (header & 0x80) {
      if (last_code == kNone) continue;
      json out;
      switch (header & 3) {
        case 0:
          out = {{"output_type", "stream"}, {"name", (header & 4) ? "stderr" : "stdout"}, {"text", lines_json(payload)}};
          break;
        case 1:
        case 2:
          out = {{"output_type", (header & 3) == 1 ? "execute_result" : "display_data"},
                 {"data", {{"text/plain", lines_json(payload)}, {"image/png", "iVBORw0KGgo="}}},
                 {"metadata", json::object()}};
          if ((header & 3) == 1) out["execution_count"] = cells[last_code]["execution_count"];
          break;
        default: {
          size_t us = payload.find(kUnitSeparator);
          std::string_view first = payload.substr(0, us);
          size_t colon = first.find(": ");
          json tb = json::array();
          if (us != std::string_view::npos) {
            std::string_view rest = payload.substr(us + 1);
            size_t s = 0;
            for (;;) {
              size_t e = rest.find(kUnitSeparator, s);
              tb.push_back(std::string(rest.substr(s, e == std::string_view::npos ? std::string_view::npos : e - s)));
              if (e == std::string_view::npos) break;
              s = e + 1;
            }
          }
          out = {{"output_type", "error"},
                 {"ename", std::string(first.substr(0, colon))},
                 {"evalue", colon == std::string_view::npos ? "" : std::string(first.substr(colon + 2))},
                 {"traceback", tb}};
        }
      }
      cells[last_code]["outputs"].push_back(std::move(out));
      continue;
    }
    json cell;
    size_t index = cells.size() + 1;
    json source = index % 2 ? lines_json(payload) : json(std::string(payload));
    if (header == kRaw || header == kMarkdown) {
      cell = {{"cell_type", header == kMarkdown ? "markdown" : "raw"},
              {"id", "c" + std::to_string(index)},
              {"metadata", json::object()},
              {"source", std::move(source)}};
    } else {
      cell = {{"cell_type", "code"},
              {"id", "c" + std::to_string(index)},
              {"metadata", json::object()},
              {"execution_count", header == kNullCount ? json(nullptr) : json(header)},
              {"outputs", json::array()},
              {"source", std::move(source)}};
    }
    if (header != kRaw && header != kMarkdown) last_code = cells.size();
    cells.push_back(std::move(cell));
  }
  return {{"nbformat", 4},
          {"nbformat_minor", 5},
          {"metadata",
           {{"kernelspec", {{"name", "python3"}, {"display_name", "Python 3"}, {"language", "python"}}},
            {"language_info", {{"name", "python"}}}}},
          {"cells", std::move(cells)}};
}

// The inverse, for seeds: a parsed notebook as records. Execution counts over 124 are
// mapped to their rank (1..124) so that at least their order survives; NUL bytes become spaces; output text is
// cut to `max_output` bytes (training logs are long, and the target is slow on big inputs).
inline std::string encode_notebook(const lstmlint::notebook::Notebook& nb, size_t max_output = 2048) {
  using namespace lstmlint::notebook;
  std::vector<long long> counts;
  for (const Cell& c : nb.cells)
    if (c.execution_count) counts.push_back(*c.execution_count);
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  bool exact = counts.empty() || counts.back() <= kMaxCount;  // keep the gaps when they fit
  auto rank = [&](long long n) {
    if (exact) return static_cast<unsigned char>(n == 0 ? 1 : n);
    long long r = std::lower_bound(counts.begin(), counts.end(), n) - counts.begin() + 1;
    return static_cast<unsigned char>(std::min<long long>(r, kMaxCount));
  };
  std::string out;
  auto record = [&](unsigned char header, std::string_view payload) {
    if (header & 0x80) payload = payload.substr(0, max_output);
    if (!out.empty()) out += kSeparator;
    out += static_cast<char>(header);
    for (char c : payload) out += c == kSeparator ? ' ' : c;
  };
  for (const Cell& c : nb.cells) {
    if (c.kind == CellKind::Markdown) { record(kMarkdown, c.source); continue; }
    if (c.kind == CellKind::Raw) { record(kRaw, c.source); continue; }
    record(c.execution_count ? rank(*c.execution_count) : kNullCount, c.source);
    for (const Output& o : c.outputs) {
      switch (o.kind) {
        case OutputKind::Stream: record(0x80, o.text); break;
        case OutputKind::Result: record(0x81, o.text); break;
        case OutputKind::Display: record(0x82, o.text); break;
        case OutputKind::Error: {
          std::string text = o.ename + ": " + o.evalue;
          for (const auto& entry : o.traceback) text += kUnitSeparator + entry;
          record(0x83, text);
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace fuzzing
