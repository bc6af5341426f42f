// Loader tests: nbformat 3 and 4, source shapes, outputs, malformed input.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "notebook/notebook.h"

using lstmlint::notebook::CellKind;
using lstmlint::notebook::NotebookError;
using lstmlint::notebook::OutputKind;
using lstmlint::notebook::parse_notebook;

TEST_CASE("nbformat 4 with list and string sources", "[notebook]") {
  auto nb = parse_notebook(R"J({"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]},
    {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [], "source": ["import torch\n", "x = 1"]},
    {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "y = 2"}]})J", "a.ipynb");
  REQUIRE(nb.cells.size() == 3);
  CHECK(nb.cells[0].kind == CellKind::Markdown);
  CHECK(nb.cells[0].source == "# Title\ntext");
  CHECK(nb.cells[1].index == 2);
  CHECK(nb.cells[1].source == "import torch\nx = 1");
  CHECK(nb.cells[1].execution_count == 3);
  CHECK_FALSE(nb.cells[2].execution_count.has_value());
  CHECK(nb.cells[2].source == "y = 2");
}

TEST_CASE("nbformat 3 worksheets, input and prompt_number", "[notebook]") {
  auto nb = parse_notebook(R"J({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": [
    {"cell_type": "heading", "level": 1, "source": ["Old notebook"]},
    {"cell_type": "code", "language": "python", "input": ["print(1)\n", "x = 2"], "prompt_number": 7,
     "outputs": [{"output_type": "stream", "stream": "stdout", "text": ["1\n"]},
                 {"output_type": "pyout", "prompt_number": 7, "text": ["2"], "png": "iVBORw0KGgo="},
                 {"output_type": "pyerr", "ename": "NameError", "evalue": "name 'z' is not defined", "traceback": ["tb"]}]}]}]})J",
                           "old.ipynb");
  REQUIRE(nb.cells.size() == 2);
  CHECK(nb.nbformat == 3);
  CHECK(nb.cells[0].kind == CellKind::Markdown);
  CHECK(nb.cells[1].source == "print(1)\nx = 2");
  CHECK(nb.cells[1].execution_count == 7);
  REQUIRE(nb.cells[1].outputs.size() == 3);
  CHECK(nb.cells[1].outputs[0].text == "1\n");
  CHECK(nb.cells[1].outputs[1].kind == OutputKind::Result);
  CHECK(nb.cells[1].outputs[1].text == "2");
  CHECK(nb.cells[1].outputs[2].ename == "NameError");
}

TEST_CASE("outputs keep text, errors without ANSI codes, and drop payloads", "[notebook]") {
  auto nb = parse_notebook(R"J({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "f()", "outputs": [
      {"output_type": "execute_result", "execution_count": 1, "metadata": {},
       "data": {"text/plain": ["tensor(0.5)"], "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "text/html": "<b>x</b>"}},
      {"output_type": "error", "ename": "RuntimeError", "evalue": "\u001b[0;31mboom\u001b[0m",
       "traceback": ["\u001b[0;31m---------\u001b[0m", "\u001b[0;32mCell In[1], line 1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m f()"]}]}]})J",
                           "o.ipynb");
  const auto& outputs = nb.cells[0].outputs;
  REQUIRE(outputs.size() == 2);
  CHECK(outputs[0].text == "tensor(0.5)");
  CHECK(outputs[1].kind == OutputKind::Error);
  CHECK(outputs[1].evalue == "boom");
  CHECK(outputs[1].traceback[1] == "Cell In[1], line 1\n----> 1 f()");
}

TEST_CASE("malformed notebooks are rejected with a message naming the problem", "[notebook]") {
  auto rejects = [](const std::string& json, const std::string& fragment) {
    try {
      parse_notebook(json, "bad.ipynb");
    } catch (const NotebookError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
      return;
    }
    FAIL("accepted: " << json);
  };
  rejects("", "empty");
  rejects("{\"cells\": [", "invalid JSON");
  rejects("[1, 2]", "top level is an array");
  rejects(R"({"nbformat": 4, "cells": {}})", "`cells` must be a list");
  rejects(R"({"nbformat": 4, "cells": [{"source": "x"}]})", "no `cell_type`");
  rejects(R"({"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]})", "must be a string or a list of strings");
  rejects(R"({"nbformat": 4, "cells": [{"cell_type": "code", "source": ["a", 3]}]})", "list of strings");
  rejects(R"({"nbformat": 4, "cells": [{"cell_type": "code", "source": "x", "execution_count": "3"}]})", "must be an integer or null");
  rejects(R"({"nbformat": 4, "cells": [{"cell_type": "code", "source": "x", "execution_count": -1}]})", "negative");
  rejects(R"({"nbformat": 5, "cells": []})", "unsupported nbformat 5");
  rejects(R"({"nbformat": "4", "cells": []})", "`nbformat` must be an integer");
  rejects(R"({"nbformat": 3})", "without `worksheets`");
  rejects("{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"\xff\xfe\"}]}", "UTF-8");
}

TEST_CASE("a UTF-8 BOM and a NUL byte in a source are accepted", "[notebook]") {
  auto nb = parse_notebook("\xEF\xBB\xBF{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"a\\u0000b\", \"outputs\": []}]}", "bom.ipynb");
  REQUIRE(nb.cells.size() == 1);
  CHECK(nb.cells[0].source == std::string("a\0b", 3));
}

TEST_CASE("deeply nested arrays do not overflow the stack", "[notebook]") {
  std::string deep = "{\"nbformat\": 4, \"cells\": [], \"metadata\": {\"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}}";
  auto nb = parse_notebook(deep, "deep.ipynb");
  CHECK(nb.cells.empty());
}

namespace {
std::string write_temp(const std::string& name, const std::string& bytes) {
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}
}  // namespace

TEST_CASE("streamed files skip dropped payloads without losing the cells around them", "[notebook]") {
  // Compact JSON (no spaces), so the lexer's look-ahead sits right on the next quote; a dropped
  // object with string keys and values; escaped quotes and backslashes inside dropped strings.
  std::string nb =
      R"J({"nbformat":4,"nbformat_minor":5,"metadata":{"widgets":{"state":{"a":"b\"c"}}},"cells":[)J"
      R"J({"cell_type":"code","metadata":{"k":"v"},"execution_count":3,"source":["x = 1\n","y = \"2\""],"outputs":[)J"
      R"J({"output_type":"display_data","metadata":{"isolated":true},"data":{"image/png":"AA\\\"BB\"\\\\","text/plain":["<Figure \"1\">"],"text/html":"<b>\"</b>"}},)J"
      R"J({"output_type":"stream","name":"stdout","text":"loss: 0.5\n"}]},)J"
      R"J({"cell_type":"markdown","metadata":{},"attachments":{"a.png":{"image/png":"Zm9v\""}},"source":"# Done"}]})J";
  auto path = write_temp("lstm-lint-stream.ipynb", nb);
  auto loaded = lstmlint::notebook::load_notebook_file(path);
  auto parsed = parse_notebook(nb, "mem.ipynb");
  for (const auto* n : {&loaded, &parsed}) {
    REQUIRE(n->cells.size() == 2);
    CHECK(n->cells[0].source == "x = 1\ny = \"2\"");
    CHECK(n->cells[0].execution_count == 3);
    REQUIRE(n->cells[0].outputs.size() == 2);
    CHECK(n->cells[0].outputs[0].text == "<Figure \"1\">");
    CHECK(n->cells[0].outputs[1].text == "loss: 0.5\n");
    CHECK(n->cells[1].source == "# Done");
  }
  std::filesystem::remove(path);
}

TEST_CASE("a malformed file is reported, not half-read", "[notebook]") {
  auto path = write_temp("lstm-lint-trunc.ipynb", R"J({"nbformat":4,"cells":[{"cell_type":"code","source":"x","outputs":[{"output_type":"display_data","data":{"image/png":"AAAA)J");
  CHECK_THROWS_AS(lstmlint::notebook::load_notebook_file(path), NotebookError);
  auto empty = write_temp("lstm-lint-empty.ipynb", "");
  CHECK_THROWS_WITH(lstmlint::notebook::load_notebook_file(empty), Catch::Contains("empty"));
  std::filesystem::remove(path);
  std::filesystem::remove(empty);
}

TEST_CASE("an over-long string is cut at a character, never inside an escape", "[notebook]") {
  // The loader cuts strings at 8 MiB. Put \uXXXX escapes (and a surrogate pair) at every
  // offset around the cut, then a non-ASCII run: the file is valid JSON and must load.
  const size_t cap = 8u << 20;
  for (size_t shift = 0; shift < 13; ++shift) {
    std::string text(cap - 6 + shift, 'a');
    for (int i = 0; i < 4; ++i) text += "\\u0041\\ud83d\\ude00";
    text += std::string(64, 'b');
    for (int i = 0; i < 2048; ++i) text += "\xc3\xa9";
    std::string nb = R"J({"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code","metadata":{},"execution_count":1,"source":"x = 1","outputs":[{"output_type":"stream","name":"stdout","text":")J" +
                     text + R"J("}]}]})J";
    auto parsed = parse_notebook(nb, "long.ipynb");
    REQUIRE(parsed.cells.size() == 1);
    REQUIRE(parsed.cells[0].outputs.size() == 1);
    CHECK(parsed.cells[0].outputs[0].text.size() <= cap + 4);
    CHECK(parsed.cells[0].source == "x = 1");
  }
  // All non-ASCII: cut at a lead byte, so the text stays valid UTF-8 and bounded.
  std::string wide;
  for (size_t i = 0; i < (cap / 2) + 4096; ++i) wide += "\xc3\xa9";
  auto parsed = parse_notebook(R"J({"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code","metadata":{},"execution_count":1,"source":"y = 2","outputs":[{"output_type":"stream","name":"stdout","text":")J" + wide + R"J("}]}]})J", "wide.ipynb");
  REQUIRE(parsed.cells[0].outputs.size() == 1);
  const std::string& out = parsed.cells[0].outputs[0].text;
  CHECK(out.size() <= cap + 2);
  CHECK(out.size() % 2 == 0);
  // Nothing but escapes: still cut, and never between the halves of a surrogate pair.
  std::string escapes;
  for (size_t i = 0; escapes.size() < cap + 4096; ++i) escapes += i % 3 ? "\\ud83d\\ude00" : "\\u00e9";
  auto esc = parse_notebook(R"J({"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code","metadata":{},"execution_count":1,"source":"z = 3","outputs":[{"output_type":"stream","name":"stdout","text":")J" + escapes + R"J("}]}]})J", "esc.ipynb");
  REQUIRE(esc.cells[0].outputs.size() == 1);
  CHECK(esc.cells[0].outputs[0].text.size() < cap);
  CHECK(esc.cells[0].outputs[0].text.size() > cap / 4);
}
