// Raw .ipynb line mapping: each source line's line in the file itself, recorded while streaming.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/runner.h"
#include "notebook/notebook.h"

using lstmlint::notebook::load_notebook_file;
using lstmlint::notebook::parse_notebook;
using lstmlint::notebook::raw_line_of;
using lstmlint::notebook::raw_lines_of;
using Lines = std::vector<int>;

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("list sources: each element's own raw line, payloads and skipped values in between", "[notebook][raw]") {
  // Line numbers of this text are the expectations: keep the layout.
  const std::string text =
      "{\n"                                                          // 1
      " \"cells\": [\n"                                              // 2
      "  {\n"                                                        // 3
      "   \"cell_type\": \"code\",\n"                                // 4
      "   \"execution_count\": 1,\n"                                 // 5
      "   \"metadata\": {},\n"                                       // 6
      "   \"outputs\": [\n"                                          // 7
      "    {\n"                                                      // 8
      "     \"data\": {\n"                                           // 9
      "      \"image/png\": \"iVBORw0KGgo\\\"AAA\",\n"               // 10
      "      \"text/plain\": [\n"                                    // 11
      "       \"<Figure>\"\n"                                        // 12
      "      ]\n"                                                    // 13
      "     },\n"                                                    // 14
      "     \"metadata\": {\"needs_background\": \"light\"},\n"      // 15
      "     \"output_type\": \"display_data\"\n"                     // 16
      "    }\n"                                                      // 17
      "   ],\n"                                                      // 18
      "   \"source\": [\n"                                           // 19
      "    \"import torch\\n\",\n"                                   // 20
      "    \"\\n\",\n"                                               // 21
      "    \"x = torch.zeros(3)\"\n"                                 // 22
      "   ]\n"                                                       // 23
      "  },\n"                                                       // 24
      "  {\n"                                                        // 25
      "   \"cell_type\": \"markdown\",\n"                            // 26
      "   \"metadata\": {},\n"                                       // 27
      "   \"source\": [\n"                                           // 28
      "    \"# Title\\n\",\n"                                        // 29
      "    \"text\"\n"                                               // 30
      "   ]\n"                                                       // 31
      "  },\n"                                                       // 32
      "  {\n"                                                        // 33
      "   \"cell_type\": \"code\",\n"                                // 34
      "   \"execution_count\": null,\n"                              // 35
      "   \"metadata\": {},\n"                                       // 36
      "   \"outputs\": [],\n"                                        // 37
      "   \"source\": [\n"                                           // 38
      "    \"y = 1\\n\",\n"                                          // 39
      "    \"z = 2\\n\"\n"                                           // 40
      "   ]\n"                                                       // 41
      "  }\n"                                                        // 42
      " ],\n"                                                        // 43
      " \"metadata\": {\"widgets\": {\"state\": {\n\"a\": \"b\"}}},\n"  // 44-45
      " \"nbformat\": 4,\n"                                          // 46
      " \"nbformat_minor\": 5\n"                                     // 47
      "}\n";
  auto nb = parse_notebook(text, "list.ipynb");
  REQUIRE(nb.cells.size() == 3);
  CHECK(raw_lines_of(nb.cells[0]) == Lines{20, 21, 22});
  CHECK(raw_lines_of(nb.cells[1]).empty());  // markdown: no findings point into it
  CHECK(nb.cells[1].raw_line >= 25);
  CHECK(nb.cells[1].raw_line <= 26);
  // A trailing newline opens no line of its own: the last line keeps the last element.
  CHECK(raw_lines_of(nb.cells[2]) == Lines{39, 40});
  CHECK(raw_line_of(nb.cells[2], 3) == 40);
  CHECK(raw_line_of(nb.cells[0], 0) == 20);
  // The cell object starts at its brace, or the line after it (the lexer reads one byte ahead).
  CHECK(nb.cells[0].raw_line >= 3);
  CHECK(nb.cells[0].raw_line <= 4);

  // Streamed from a file, in 64 KiB chunks: the same lines.
  auto path = (std::filesystem::temp_directory_path() / "lstm-lint-raw-list.ipynb").string();
  std::ofstream(path, std::ios::binary) << text;
  auto loaded = load_notebook_file(path);
  std::filesystem::remove(path);
  REQUIRE(loaded.cells.size() == 3);
  CHECK(raw_lines_of(loaded.cells[0]) == Lines{20, 21, 22});
  CHECK(raw_lines_of(loaded.cells[2]) == Lines{39, 40});
}

TEST_CASE("string sources: every line shares the string's raw line", "[notebook][raw]") {
  auto nb = parse_notebook("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {},\n"
                           "\"cells\": [\n"
                           "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 1,\n"
                           "\"source\": \"a = 1\\nb = 2\\nc = 3\"},\n"
                           "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 2,\n"
                           "\n"
                           "\"source\": \"d = 4\"}]}\n",
                           "string.ipynb");
  REQUIRE(nb.cells.size() == 2);
  CHECK(raw_lines_of(nb.cells[0]) == Lines{4, 4, 4});
  CHECK(raw_lines_of(nb.cells[1]) == Lines{7});
}

TEST_CASE("elements holding several lines, or half a line", "[notebook][raw]") {
  auto nb = parse_notebook("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
                           "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 1,\n"
                           "\"source\": [\n"
                           "\"a = 1\\nb = \",\n"   // line 4: line 1 and the start of line 2
                           "\"2\\n\",\n"           // line 5: the rest of line 2
                           "\"\",\n"               // line 6: nothing
                           "\"c = 3\\nd = 4\\n\"\n"  // line 7: lines 3 and 4
                           "]}]}\n",
                           "mixed.ipynb");
  REQUIRE(nb.cells.size() == 1);
  CHECK(nb.cells[0].source == "a = 1\nb = 2\nc = 3\nd = 4\n");
  CHECK(raw_lines_of(nb.cells[0]) == Lines{4, 4, 7, 7});
}

TEST_CASE("a minified notebook is all on line 1", "[notebook][raw]") {
  auto nb = parse_notebook(R"J({"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code","metadata":{},"outputs":[],"execution_count":1,"source":["a = 1\n","b = 2"]},{"cell_type":"code","metadata":{},"outputs":[],"execution_count":2,"source":"c = 3\nd = 4"}]})J",
                           "min.ipynb");
  REQUIRE(nb.cells.size() == 2);
  CHECK(raw_lines_of(nb.cells[0]) == Lines{1, 1});
  CHECK(raw_lines_of(nb.cells[1]) == Lines{1, 1});
  CHECK(nb.cells[1].raw_line == 1);
}

TEST_CASE("nbformat 3: `input` of code cells, `source` of the others", "[notebook][raw]") {
  auto nb = parse_notebook("{\"nbformat\": 3, \"nbformat_minor\": 0, \"metadata\": {\"name\": \"old\"},\n"
                           " \"worksheets\": [{\"cells\": [\n"
                           "  {\"cell_type\": \"heading\", \"level\": 1, \"source\": [\n"
                           "    \"Old notebook\"]},\n"
                           "  {\"cell_type\": \"code\", \"language\": \"python\",\n"
                           "   \"input\": [\n"
                           "    \"print(1)\\n\",\n"
                           "    \"x = 2\"\n"
                           "   ],\n"
                           "   \"outputs\": [{\"output_type\": \"pyout\", \"text\": [\"2\"], \"png\": \"iVBOR\"}],\n"
                           "   \"prompt_number\": 7},\n"
                           "  {\"cell_type\": \"code\", \"input\": \"a = 1\\nb = 2\", \"outputs\": []}\n"
                           " ]}]}\n",
                           "old.ipynb");
  REQUIRE(nb.cells.size() == 3);
  CHECK(raw_lines_of(nb.cells[0]).empty());
  CHECK(raw_lines_of(nb.cells[1]) == Lines{7, 8});
  CHECK(raw_lines_of(nb.cells[2]) == Lines{12, 12});
}

TEST_CASE("the raw-line key cannot be forged, and a \"cells\" key in metadata is not the cell list", "[notebook][raw]") {
  auto nb = parse_notebook("{\"nbformat\": 4, \"nbformat_minor\": 5,\n"
                           "\"metadata\": {\"cells\": [{\"source\": [\"q\"]}]},\n"
                           "\"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 1,\n"
                           "\"\\u001flstm-lint raw lines\": 0,\n"
                           "\"source\": [\"x = 1\\n\",\n"
                           "\"y = 2\"]}]}\n",
                           "forged.ipynb");
  REQUIRE(nb.cells.size() == 1);
  CHECK(raw_lines_of(nb.cells[0]) == Lines{5, 6});
}

TEST_CASE("a repeated source key: the lines of the value that is kept", "[notebook][raw]") {
  auto nb = parse_notebook("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
                           "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 1,\n"
                           "\"source\": [\"old\\n\",\n\"old\"],\n"
                           "\"source\": [\"new\\n\",\n"
                           "\"new\"]}]}\n",
                           "dup.ipynb");
  REQUIRE(nb.cells.size() == 1);
  CHECK(nb.cells[0].source == "new\nnew");
  CHECK(raw_lines_of(nb.cells[0]) == Lines{5, 6});
}

TEST_CASE("streamed in 64 KiB chunks: strings and skipped payloads across chunk boundaries", "[notebook][raw]") {
  // Cells with payloads of varying length (one over 64 KiB), so source strings and dropped
  // strings straddle the reader's chunk boundaries at many offsets.
  std::string text = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {},\n\"cells\": [\n";
  int line = 2;
  std::vector<Lines> expected;
  unsigned seed = 12345;
  auto next_random = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 8) % 4000; };
  for (int c = 0; c < 200; ++c) {
    size_t payload = c == 7 ? 150000 : next_random();
    text += std::string(c ? ",\n" : "") + "{\"cell_type\": \"code\", \"execution_count\": 1, \"metadata\": {},\n";
    line += 1;  // the cell's first line
    text += "\"outputs\": [{\"output_type\": \"display_data\", \"metadata\": {},\n\"data\": {\"image/png\": \"" +
            std::string(payload, 'A') + "\\\"\"}}],\n";
    line += 3;  // now on the line of "source"
    Lines lines;
    if (c % 5 == 4) {
      text += "\"source\": \"a = 1\\nb = 2\"}";
      lines = {line, line};
    } else {
      text += "\"source\": [\n";
      ++line;
      for (size_t k = 0; k < 1 + next_random() % 4; ++k) {
        text += std::string(k ? ",\n" : "") + std::string(next_random() % 40, ' ') + "\"x" + std::to_string(k) + " = " +
                std::string(next_random() % 30, 'y') + "\\n\"";
        line += k ? 1 : 0;
        lines.push_back(line);
      }
      text += "\n]}";
      ++line;
    }
    expected.push_back(lines);
  }
  text += "\n]}\n";
  auto path = (std::filesystem::temp_directory_path() / "lstm-lint-raw-chunks.ipynb").string();
  std::ofstream(path, std::ios::binary) << text;
  auto loaded = load_notebook_file(path);
  std::filesystem::remove(path);
  auto parsed = parse_notebook(text, "mem.ipynb");
  REQUIRE(text.size() > 4 * 65536);
  REQUIRE(loaded.cells.size() == expected.size());
  for (size_t c = 0; c < expected.size(); ++c) {
    INFO("cell " << c + 1);
    CHECK(raw_lines_of(loaded.cells[c]) == expected[c]);
    CHECK(raw_lines_of(parsed.cells[c]) == expected[c]);
  }
}

TEST_CASE("a source string whose closing quote ends a 64 KiB chunk", "[notebook][raw]") {
  // The lexer reads one byte past a string: when that byte starts the next chunk (a newline
  // here), the string's line must still be the one its quote closed on.
  auto make = [](size_t payload) {
    return "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
           "{\"cell_type\": \"code\", \"execution_count\": 1, \"metadata\": {}, \"outputs\": [\n"
           "{\"output_type\": \"stream\", \"name\": \"stdout\", \"text\": \"" +
           std::string(payload, 'z') +
           "\"}],\n"
           "\"source\": [\"x = 1\\n\"\n,\n\"y = 2\"\n]}]}\n";
  };
  size_t quote = make(0).find("\\n\"\n,") + 2;  // the first element's closing quote
  auto path = (std::filesystem::temp_directory_path() / "lstm-lint-raw-edge.ipynb").string();
  for (size_t end = 65533; end <= 65539; ++end) {
    std::string text = make(end - quote);
    REQUIRE(text[end] == '"');
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    auto nb = load_notebook_file(path);
    INFO("closing quote at byte " << end);
    CHECK(raw_lines_of(nb.cells[0]) == Lines{4, 6});
  }
  std::filesystem::remove(path);
}

TEST_CASE("notebooks built in memory have no mapping", "[notebook][raw]") {
  lstmlint::notebook::Cell cell;
  cell.source = "x = 1";
  CHECK(raw_line_of(cell, 1) == 0);
}

TEST_CASE("every fixture's code lines map to the raw line that holds their text", "[notebook][raw]") {
  // Real notebooks written by nbformat: the raw line must contain the source line, JSON-escaped.
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(LSTM_LINT_SOURCE_DIR "/fixtures")) {
    if (entry.path().extension() != ".ipynb") continue;
    auto nb = load_notebook_file(entry.path().string());
    auto raw = split_lines(read_file(entry.path().string()));
    for (const auto& cell : nb.cells) {
      if (cell.kind != lstmlint::notebook::CellKind::Code) continue;
      auto lines = split_lines(cell.source);
      auto mapped = raw_lines_of(cell);
      REQUIRE(mapped.size() == lines.size());
      for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        std::string escaped = nlohmann::json(lines[i]).dump();
        escaped = escaped.substr(1, escaped.size() - 2);
        int at = mapped[i];
        REQUIRE(at >= 1);
        REQUIRE(static_cast<size_t>(at) <= raw.size());
        INFO(entry.path().string() << " cell " << cell.index << " line " << i + 1);
        CHECK(raw[static_cast<size_t>(at - 1)].find(escaped) != std::string::npos);
        ++checked;
      }
    }
  }
  CHECK(checked > 1000);
}

TEST_CASE("findings carry the raw lines of their start and end", "[notebook][raw]") {
  const std::string text =
      "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
      "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 2,\n"
      "\"source\": [\n"
      "\"print(\\n\",\n"
      "\"  lr)\"]},\n"
      "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": 1,\n"
      "\"source\": [\"lr = 0.1\"]}]}\n";
  lstmlint::engine::Linter linter({{"undefined-in-top-down-run"}, {}});
  auto result = linter.lint_bytes(text, "raw.ipynb");
  REQUIRE_FALSE(result.error);
  REQUIRE(result.findings.size() == 1);
  CHECK(result.findings[0].span.start.line == 2);
  CHECK(result.findings[0].raw_line == 5);
  CHECK(result.findings[0].raw_end_line == 5);
}

TEST_CASE("dropped strings skip escaped quotes and backslashes at every offset of a chunk boundary", "[notebook][raw]") {
  // The skip jumps from backslash to backslash and remembers the next quote: an escaped quote
  // (\"), an escaped backslash before the real closing quote (\\"), and an escape split by the
  // 64 KiB chunk boundary must all land on the right closing quote, or the cells after the
  // payload are misread.
  const std::string unit = R"(ab\"c\\d\n\\)";  // one escaped quote, two escaped backslashes, \n
  for (size_t shift = 0; shift < unit.size() + 2; ++shift) {
    std::string payload = std::string(shift, 'A');
    while (payload.size() < 70000) payload += unit;
    payload += R"(\\)";  // ends in an escaped backslash, right before the closing quote
    std::string text =
        "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
        "{\"cell_type\": \"code\", \"execution_count\": 1, \"metadata\": {}, \"outputs\": [\n"
        "{\"output_type\": \"display_data\", \"metadata\": {}, \"data\": {\"image/png\": \"" + payload +
        "\", \"text/plain\": \"<Figure>\"}}],\n"
        "\"source\": [\"x = \\\"1\\\"\\n\", \"y = 2\"]},\n"
        "{\"cell_type\": \"code\", \"execution_count\": 2, \"metadata\": {}, \"outputs\": [],\n"
        "\"source\": \"z = 3\"}]}\n";
    auto path = (std::filesystem::temp_directory_path() / "lstm-lint-skip-escapes.ipynb").string();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    auto nb = load_notebook_file(path);
    std::filesystem::remove(path);
    INFO("payload shifted by " << shift);
    REQUIRE(nb.cells.size() == 2);
    CHECK(nb.cells[0].source == "x = \"1\"\ny = 2");
    REQUIRE(nb.cells[0].outputs.size() == 1);
    CHECK(nb.cells[0].outputs[0].text == "<Figure>");
    CHECK(raw_lines_of(nb.cells[0]) == Lines{4, 4});
    CHECK(nb.cells[1].source == "z = 3");
    CHECK(raw_lines_of(nb.cells[1]) == Lines{6});
  }
}
