// --fix internals: raw offsets of source strings, JSON escaping, splicing, diffs.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "engine/baseline.h"
#include "fix/fix.h"
#include "helpers.h"
#include "notebook/notebook.h"

using lstmlint::engine::Edit;
using lstmlint::engine::Finding;
using lstmlint::engine::Fix;
using lstmlint::fix::json_escape;
using lstmlint::fix::json_unescape;
using lstmlint::fix::raw_offset;
using lstmlint::notebook::parse_notebook;

namespace {

Finding with_fix(std::vector<Edit> edits, bool safe = true) {
  Finding f;
  f.fix = Fix{"test", safe, std::move(edits)};
  return f;
}

// The bytes of `text` outside [from, to) of the original must be unchanged in `fixed`.
void require_only_inside(const std::string& text, const std::string& fixed, size_t from, size_t to) {
  REQUIRE(fixed.compare(0, from, text, 0, from) == 0);
  size_t tail = text.size() - to;
  REQUIRE(fixed.size() >= tail);
  REQUIRE(fixed.compare(fixed.size() - tail, tail, text, to, tail) == 0);
}

}  // namespace

TEST_CASE("the loader records each source string's bytes between its quotes", "[fix][raw]") {
  const std::string text = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
                           " {\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": null,\n"
                           "  \"source\": [\"a = \\\"\\u00e9\\\"\\n\", \"b\\\\c\"]},\n"
                           " {\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": null,\n"
                           "  \"source\": \"x\\ty\"}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  REQUIRE(nb.cells.size() == 2);
  const auto& pieces = nb.cells[0].raw_pieces;
  REQUIRE(pieces.size() == 2);
  CHECK(text.substr(pieces[0].raw_begin, pieces[0].raw_end - pieces[0].raw_begin) == "a = \\\"\\u00e9\\\"\\n");
  CHECK(text.substr(pieces[1].raw_begin, pieces[1].raw_end - pieces[1].raw_begin) == "b\\\\c");
  CHECK(pieces[1].offset == std::string("a = \"\xc3\xa9\"\n").size());
  const auto& plain = nb.cells[1].raw_pieces;
  REQUIRE(plain.size() == 1);
  CHECK(text.substr(plain[0].raw_begin, plain[0].raw_end - plain[0].raw_begin) == "x\\ty");
}

TEST_CASE("raw offsets are recorded across the streaming loader's buffer boundaries", "[fix][raw]") {
  // A notebook far larger than the 64 KiB read buffer, read from a file.
  std::string filler(200000, 'z');
  std::string text = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {\"pad\": \"" + filler +
                     "\"}, \"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], "
                     "\"execution_count\": null, \"source\": [\"first\\n\", \"" + std::string(70000, 'q') + "\\n\", \"last\"]}]}";
  auto path = std::filesystem::temp_directory_path() / "lstm_lint_test_fix_raw.ipynb";
  std::ofstream(path, std::ios::binary) << text;
  auto nb = lstmlint::notebook::load_notebook_file(path.string());
  std::filesystem::remove(path);
  const auto& pieces = nb.cells.at(0).raw_pieces;
  REQUIRE(pieces.size() == 3);
  CHECK(text.substr(pieces[0].raw_begin, pieces[0].raw_end - pieces[0].raw_begin) == "first\\n");
  CHECK(pieces[1].raw_end - pieces[1].raw_begin == 70002);
  CHECK(text.substr(pieces[2].raw_begin, pieces[2].raw_end - pieces[2].raw_begin) == "last");
}

TEST_CASE("raw_offset maps decoded bytes through escapes", "[fix][escape]") {
  // decoded: a " é 😀 \n b
  std::string body = "a\\\"\\u00e9\\ud83d\\ude00\\nb";
  CHECK(raw_offset(body, 0) == 0u);
  CHECK(raw_offset(body, 1) == 1u);   // before \"
  CHECK(raw_offset(body, 2) == 3u);   // before \u00e9
  CHECK_FALSE(raw_offset(body, 3));   // inside é's two bytes
  CHECK(raw_offset(body, 4) == 9u);   // before the surrogate pair
  CHECK_FALSE(raw_offset(body, 6));   // inside the emoji
  CHECK(raw_offset(body, 8) == 21u);  // before \n
  CHECK(raw_offset(body, 9) == 23u);  // before b
  CHECK(raw_offset(body, 10) == 24u); // the end
  CHECK_FALSE(raw_offset(body, 11));
  CHECK(json_unescape(body) == std::string("a\"\xc3\xa9\xf0\x9f\x98\x80\nb"));
  CHECK_FALSE(json_unescape("\\ud83d"));  // a lone high surrogate
  CHECK_FALSE(json_unescape("\\x"));
}

TEST_CASE("json_escape writes what Python's json writes", "[fix][escape]") {
  CHECK(json_escape("h = \"x\\y\"\n\t\r\b\f", false) == "h = \\\"x\\\\y\\\"\\n\\t\\r\\b\\f");
  CHECK(json_escape(std::string("\x01/"), false) == "\\u0001/");
  CHECK(json_escape("\xc3\xa9", false) == "\xc3\xa9");
  CHECK(json_escape("\xc3\xa9", true) == "\\u00e9");
  CHECK(json_escape("\xf0\x9f\x98\x80", true) == "\\ud83d\\ude00");
  CHECK(json_unescape(json_escape("\xf0\x9f\x98\x80 \" \\ \n", true)) == std::string("\xf0\x9f\x98\x80 \" \\ \n"));
}

TEST_CASE("a replacement splices only the edited characters, through escapes", "[fix][splice]") {
  const std::string text = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
                           " {\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": null,\n"
                           "  \"source\": [\"s = \\\"\\u00e9\\\"\\n\", \"f(shuffle=True)\"]}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  const std::string& source = nb.cells[0].source;
  size_t at = source.find("True");
  auto result = lstmlint::fix::apply(text, nb, {with_fix({{1, at, at + 4, "False"}})}, false);
  REQUIRE(result.error.empty());
  REQUIRE(result.fixed == std::vector<size_t>{0});
  size_t raw = text.find("True");
  require_only_inside(text, result.bytes, raw, raw + 4);
  CHECK(result.bytes.substr(raw, 5) == "False");
  CHECK(parse_notebook(result.bytes, "t.ipynb").cells[0].source == "s = \"\xc3\xa9\"\nf(shuffle=False)");
}

TEST_CASE("an inserted line becomes a list element formatted like its neighbours", "[fix][splice]") {
  const std::string text = "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": null,\n"
                           "   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"for x in y:\\n\",\n"
                           "    \"    out, h = f(x, h)\\n\",\n    \"    h.sum()\"\n   ]\n  }\n ],\n \"metadata\": {},\n"
                           " \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n";
  auto nb = parse_notebook(text, "t.ipynb");
  size_t at = nb.cells[0].source.find("    out");
  auto result = lstmlint::fix::apply(text, nb, {with_fix({{1, at, at, "    h = h.detach()\n"}})}, false);
  REQUIRE(result.error.empty());
  std::string expected = text;
  size_t raw = text.find("\"    out");
  expected.insert(raw, "\"    h = h.detach()\\n\",\n    ");
  CHECK(result.bytes == expected);
}

TEST_CASE("plain-string source: the line is spliced into the string", "[fix][splice]") {
  const std::string text = "{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\","
                           "\"metadata\":{},\"outputs\":[],\"execution_count\":null,\"source\":\"a\\r\\nb\"}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  size_t at = nb.cells[0].source.find('b');
  auto result = lstmlint::fix::apply(text, nb, {with_fix({{1, at, at, "z\r\n"}})}, false);
  REQUIRE(result.error.empty());
  std::string expected = text;
  expected.insert(text.find("b\"}"), "z\\r\\n");
  CHECK(result.bytes == expected);
}

TEST_CASE("overlapping fixes: the first applies, the rest wait; unsafe ones need unsafe", "[fix][splice]") {
  const std::string text = "{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\","
                           "\"metadata\":{},\"outputs\":[],\"execution_count\":null,\"source\":\"abcdef\"}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  std::vector<Finding> findings{with_fix({{1, 1, 3, "X"}}), with_fix({{1, 2, 4, "Y"}}), with_fix({{1, 5, 6, "Z"}}, false)};
  auto safe = lstmlint::fix::apply(text, nb, findings, false);
  CHECK(safe.fixed == std::vector<size_t>{0});
  CHECK(parse_notebook(safe.bytes, "t").cells[0].source == "aXdef");
  auto all = lstmlint::fix::apply(text, nb, findings, true);
  CHECK(all.fixed == std::vector<size_t>{0, 2});
  CHECK(parse_notebook(all.bytes, "t").cells[0].source == "aXdeZ");
}

TEST_CASE("an edit across list elements keeps the list and the joined source right", "[fix][splice]") {
  const std::string text = "{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\","
                           "\"metadata\":{},\"outputs\":[],\"execution_count\":null,\"source\":[\"ab\",\"cd\",\"ef\"]}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  auto result = lstmlint::fix::apply(text, nb, {with_fix({{1, 1, 5, "XY"}})}, false);
  REQUIRE(result.error.empty());
  CHECK(result.bytes.find("[\"aXY\",\"\",\"f\"]") != std::string::npos);
}

TEST_CASE("a notebook built in memory has no raw mapping: the fix is refused, not guessed", "[fix][splice]") {
  const std::string text = "{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\","
                           "\"metadata\":{},\"outputs\":[],\"execution_count\":null,\"source\":\"abc\"}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  nb.cells[0].raw_pieces.clear();
  auto result = lstmlint::fix::apply(text, nb, {with_fix({{1, 0, 1, "X"}})}, false);
  CHECK_FALSE(result.error.empty());
  CHECK(result.bytes == text);
}

TEST_CASE("unified diff of a cell", "[fix][diff]") {
  std::string diff = lstmlint::fix::unified_diff("a\nb\nc\nd\ne\nf\ng\nh", "a\nb\nc\nd\nX\ne\nf\ng\nh", "nb:cell 1", "nb:cell 1");
  CHECK(diff ==
        "--- nb:cell 1\n+++ nb:cell 1\n@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n");
  CHECK(lstmlint::fix::unified_diff("same", "same", "a", "b").empty());
  std::string replaced = lstmlint::fix::unified_diff("x = 1\ny(shuffle=True)\n", "x = 1\ny(shuffle=False)\n", "o", "n");
  CHECK(replaced == "--- o\n+++ n\n@@ -1,2 +1,2 @@\n x = 1\n-y(shuffle=True)\n+y(shuffle=False)\n");
}

namespace {

// The cell's source after the finding's fix.
std::string fixed_source(const std::string& source, const Finding& f) {
  std::string out = source;
  auto edits = f.fix->edits;
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  for (const auto& e : edits) out.replace(e.begin, e.end - e.begin, e.text);
  return out;
}

const char* kGruLoop =
    "import torch\n"
    "from torch import nn\n"
    "gru = nn.GRU(1, 8)\n"
    "opt = torch.optim.SGD(gru.parameters(), lr=0.1)\n"
    "h = torch.zeros(1, 4, 8)\n"
    "for x in torch.randn(5, 3, 4, 1):\n"
    "\tout, h = gru(x, h)\n"
    "\tloss = out.sum()\n"
    "\topt.zero_grad()\n"
    "\tloss.backward()\n"
    "\topt.step()\n";

}  // namespace

TEST_CASE("state-not-detached: the detach line takes the statement's own indentation", "[fix][rules]") {
  auto findings = testing::lint({{kGruLoop}}, "state-not-detached");
  REQUIRE(findings.size() == 1);
  REQUIRE(findings[0].fix);
  CHECK(findings[0].fix->safe);
  std::string expected = kGruLoop;
  expected.insert(expected.find("\tout, h"), "\th = h.detach()\n");
  CHECK(fixed_source(kGruLoop, findings[0]) == expected);
}

TEST_CASE("state-not-detached: no fix when the call's statement does not start its line", "[fix][rules]") {
  std::string source = kGruLoop;
  source.replace(source.find("\tout, h"), 1, "\tloss = 0; ");
  auto findings = testing::lint({{source}}, "state-not-detached");
  REQUIRE(findings.size() == 1);
  CHECK_FALSE(findings[0].fix);
}

TEST_CASE("shuffled-timesteps: only a literal True is flipped", "[fix][rules]") {
  const std::string loop =
      "import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
      "u = torch.randn(2000)\ny = torch.randn(2000)\n"
      "loader = DataLoader(TensorDataset(u, y), batch_size=50, shuffle=SHUFFLE)\n"
      "lstm = nn.LSTM(1, 32, batch_first=True)\nopt = torch.optim.Adam(lstm.parameters())\n"
      "for xb, yb in loader:\n    out, _ = lstm(xb.view(1, -1, 1))\n    loss = out.sum()\n"
      "    opt.zero_grad()\n    loss.backward()\n    opt.step()\n";
  auto named = testing::lint({{"SHUFFLE = True\n" + loop}}, "shuffled-timesteps");
  REQUIRE(named.size() == 1);
  CHECK_FALSE(named[0].fix);
  std::string literal = loop;
  literal.replace(literal.find("SHUFFLE"), 7, "True");
  auto findings = testing::lint({{literal}}, "shuffled-timesteps");
  REQUIRE(findings.size() == 1);
  REQUIRE(findings[0].fix);
  CHECK(fixed_source(literal, findings[0]).find("shuffle=False)") != std::string::npos);
}

TEST_CASE("locate_in_file: a fix as replacements in the file, with raw lines and code-point columns", "[fix][locate]") {
  // Line 2 holds "é" before the edit, so a byte column (18) and a code-point column (17) differ.
  const std::string text = "{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\","
                           "\"metadata\":{},\"outputs\":[],\"execution_count\":null,\"source\":[\"a\\n\",\n"
                           " \"\xc3\xa9 = f(shuffle=True)\"]}]}";
  auto nb = parse_notebook(text, "t.ipynb");
  const std::string& source = nb.cells[0].source;
  const auto hash = lstmlint::engine::source_hash(source);
  size_t at = source.find("True");
  std::vector<Finding> findings{with_fix({{1, at, at + 4, "False", hash}}), Finding{},
                                with_fix({{1, 2, 2, "h = h.detach()\n", hash}}),
                                with_fix({{1, at, at + 4, "False", hash + 1}})};
  lstmlint::fix::locate_in_file(text, nb, findings);

  REQUIRE(findings[0].fix->file_edits.size() == 1);
  const auto& flip = findings[0].fix->file_edits[0];
  size_t raw = text.find("True");
  CHECK(flip.begin == raw);
  CHECK(flip.end == raw + 4);
  CHECK(flip.text == "False");
  CHECK(flip.line == 2);
  CHECK(flip.column == 17);
  CHECK(flip.end_line == 2);
  CHECK(flip.end_column == 21);
  // The same bytes as --fix makes of that fix alone.
  std::string spliced = text;
  spliced.replace(flip.begin, flip.end - flip.begin, flip.text);
  CHECK(spliced == lstmlint::fix::apply(text, nb, {findings[0]}, false).bytes);

  CHECK_FALSE(findings[1].fix.has_value());
  // A new line before the second list element becomes a new element, inserted at its quote.
  REQUIRE(findings[2].fix->file_edits.size() == 1);
  const auto& insert = findings[2].fix->file_edits[0];
  CHECK(insert.begin == insert.end);
  CHECK(insert.begin == text.find("\"\xc3\xa9"));
  CHECK((insert.line == 2 && insert.column == 2 && insert.end_line == 2 && insert.end_column == 2));
  CHECK(insert.text == "\"h = h.detach()\\n\",\n ");
  // A cell that no longer holds the source the fix was computed for gets no file edits.
  CHECK(findings[3].fix->file_edits.empty());
}
