// Percent scripts -> cells (notebook/percent.h), the language server's positions and framing.
#include <catch2/catch.hpp>

#include "notebook/notebook.h"
#include "notebook/percent.h"
#include "python/syntax.h"
#include "server/jsonrpc.h"
#include "server/text.h"

using namespace lstmlint;

TEST_CASE("percent: markers, kinds, header, titles") {
  CHECK(notebook::is_cell_marker("# %%"));
  CHECK(notebook::is_cell_marker("#%%"));
  CHECK(notebook::is_cell_marker("# %% [markdown] Title key=\"v\""));
  CHECK(notebook::is_cell_marker("# %%\r"));
  CHECK_FALSE(notebook::is_cell_marker("# %%time"));
  CHECK_FALSE(notebook::is_cell_marker("    # %%"));
  CHECK_FALSE(notebook::is_cell_marker("# %"));

  std::string text =
      "# ---\n# jupyter:\n#   name: x\n# ---\n\n# %% [markdown]\n# # Title\n# text\n#\n\n# %% Training\nx = 1\n\ny = 2\n\n\n"
      "# %% [raw]\nraw line\n# %%\n";
  auto nb = notebook::parse_percent(text, "t.py");
  REQUIRE(nb.cells.size() == 4);
  CHECK(nb.format == notebook::SourceFormat::Percent);
  CHECK(nb.cells[0].kind == notebook::CellKind::Markdown);
  CHECK(nb.cells[0].source == "# Title\ntext\n");
  CHECK(nb.cells[1].kind == notebook::CellKind::Code);
  CHECK(nb.cells[1].source == "x = 1\n\ny = 2");
  CHECK(nb.cells[1].index == 2);
  CHECK(nb.cells[2].kind == notebook::CellKind::Raw);
  CHECK(nb.cells[3].source.empty());
  // Code cells are verbatim runs of the file, each line mapped to its file line.
  const auto& code = nb.cells[1];
  CHECK(text.substr(code.raw_pieces.front().raw_begin, code.source.size()) == code.source);
  CHECK(notebook::raw_line_of(code, 1) == 12);
  CHECK(notebook::raw_line_of(code, 3) == 14);
}

TEST_CASE("percent: code before the first marker, no markers, invalid UTF-8") {
  auto nb = notebook::parse_percent("import torch\n# %%\nx = 1\n", "t.py");
  REQUIRE(nb.cells.size() == 2);
  CHECK(nb.cells[0].source == "import torch");
  auto one = notebook::parse_percent("a = 1\nb = 2\n", "t.py");
  REQUIRE(one.cells.size() == 1);
  CHECK(one.cells[0].source == "a = 1\nb = 2");
  CHECK_THROWS_AS(notebook::parse_percent("# %%\nx = '\xff'\n", "t.py"), notebook::NotebookError);
  // parse_notebook picks the format by the name.
  CHECK(notebook::parse_notebook("# %%\nx = 1\n", "dir/train.py").cells.size() == 1);
}

TEST_CASE("server text: UTF-16 positions and byte offsets") {
  std::string text = "a\xC3\xA9" "b\n\xF0\x9F\x98\x80x\nlast";  // aéb / 😀x / last
  CHECK(server::byte_offset(text, {0, 2}) == 3);            // after é (two bytes, one unit)
  CHECK(server::byte_offset(text, {1, 2}) == 5 + 4);        // after 😀 (four bytes, two units)
  CHECK(server::byte_offset(text, {1, 1}) == 5);            // inside the pair: its start
  CHECK(server::byte_offset(text, {1, 99}) == 10);          // past the line: its end
  CHECK(server::byte_offset(text, {99, 0}) == text.size()); // past the text: its end
  CHECK(server::byte_offset(text, {-1, -1}) == 0);
  auto p = server::position_of(text, 9);
  CHECK(p.line == 1);
  CHECK(p.character == 2);
  CHECK(server::utf16_units("\xF0\x9F\x98\x80x", 2) == 3);
  std::string edited = "x = 1\ny = 2";
  server::apply_change(edited, {1, 4}, {1, 5}, "3");
  CHECK(edited == "x = 1\ny = 3");
}

TEST_CASE("server framing: chunks, errors, the size limit") {
  std::string stream = server::frame("{\"a\":1}") + "Content-Type: x\r\n\r\n" + "Content-Length: 30\r\n\r\n" +
                       std::string(30, 'z') + server::frame("[]");
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, stream.size()}) {
    server::MessageReader reader(20);
    std::vector<std::string> messages, errors;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      reader.feed(std::string_view(stream).substr(at, chunk));
      std::string body;
      for (server::MessageReader::Status s; (s = reader.next(body)) != server::MessageReader::Status::NeedMore;)
        (s == server::MessageReader::Status::Message ? messages : errors).push_back(body);
    }
    CHECK(messages == std::vector<std::string>{"{\"a\":1}", "[]"});
    CHECK(errors.size() == 2);  // no Content-Length; 30 bytes over the limit of 20
    CHECK(reader.buffered() == 0);
  }
}

TEST_CASE("parser: cached trees are the trees a fresh parse gives") {
  python::Parser fresh, cached;
  cached.cache_trees(4);
  for (int round = 0; round < 3; ++round)
    for (int k = 0; k < 10; ++k) {
      std::string code = "x" + std::to_string(k) + " = f(" + std::to_string(k) + ")\n";
      auto a = fresh.parse(code), b = cached.parse(code);
      CHECK(python::sexp(a.root()) == python::sexp(b.root()));
    }
}
