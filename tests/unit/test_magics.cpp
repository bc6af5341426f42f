// IPython masking: valid Python out, every line and column in place.
#include <catch2/catch.hpp>

#include "notebook/magics.h"
#include "python/syntax.h"

using lstmlint::notebook::mask_ipython;

namespace {
bool parses_cleanly(const std::string& text) {
  lstmlint::python::Parser parser;
  auto tree = parser.parse(text);
  return !tree.has_error();
}
}  // namespace

TEST_CASE("line magics, shell escapes and help are masked in place", "[magics]") {
  std::string src = "%matplotlib inline\n!pip install torch\nimport torch\ntorch?\n??torch.nn\nx = 1\n";
  auto out = mask_ipython(src);
  CHECK(out.text.size() == src.size());
  CHECK_FALSE(out.opaque);
  CHECK(out.text.find("import torch\n") == src.find("import torch\n"));
  CHECK(out.text.find("x = 1") == src.find("x = 1"));
  CHECK(out.text.find('%') == std::string::npos);
  CHECK(out.text.find('!') == std::string::npos);
  CHECK(out.text.find('?') == std::string::npos);
  CHECK(parses_cleanly(out.text));
}

TEST_CASE("indented magics keep the block valid", "[magics]") {
  std::string src = "for i in range(3):\n    %time f(i)\n    !ls\n";
  auto out = mask_ipython(src);
  CHECK(out.text.size() == src.size());
  CHECK(parses_cleanly(out.text));
}

TEST_CASE("%time keeps its statement, which binds names", "[magics]") {
  std::string src = "%time model = train()\n";
  auto out = mask_ipython(src);
  CHECK(out.text.size() == src.size());
  CHECK(out.text.substr(6) == src.substr(6));  // `model = train()` at its original column
  CHECK(parses_cleanly(out.text));
}

TEST_CASE("assigned shell output keeps the target", "[magics]") {
  std::string src = "files = !ls data/\nn = len(files)\n";
  auto out = mask_ipython(src);
  CHECK(out.text.size() == src.size());
  CHECK(out.text.rfind("files = ", 0) == 0);
  CHECK(parses_cleanly(out.text));
}

TEST_CASE("% and ! inside expressions and strings are Python", "[magics]") {
  std::string src = "x = (a\n     % b)\ns = '''\n!not a shell line\n%not a magic\n'''\ny = a != b\n";
  auto out = mask_ipython(src);
  CHECK(out.text == src);
}

TEST_CASE("a continuation line after a backslash is not a magic", "[magics]") {
  std::string src = "x = a \\\n% b\n";
  CHECK(mask_ipython(src).text == src);
}

TEST_CASE("%%time bodies are Python; %%bash bodies are opaque", "[magics]") {
  auto timed = mask_ipython("%%time\nmodel = Net()\n");
  CHECK_FALSE(timed.opaque);
  CHECK(timed.cell_magic == "time");
  CHECK(timed.text.substr(7) == "model = Net()\n");
  CHECK(parses_cleanly(timed.text));

  auto bash = mask_ipython("%%bash\nls -la\nfor f in *; do echo $f; done\n");
  CHECK(bash.opaque);
  CHECK(bash.cell_magic == "bash");
  CHECK(mask_ipython("%%writefile train.py\nimport torch\n").opaque);
}

TEST_CASE("%%capture binds its variable; %run makes names unknown", "[magics]") {
  auto cap = mask_ipython("%%capture out\nprint(1)\n");
  REQUIRE(cap.bindings.size() == 1);
  CHECK(cap.bindings[0].name == "out");
  CHECK(cap.bindings[0].line == 1);
  CHECK(cap.bindings[0].column == 11);
  CHECK(mask_ipython("%run helpers.py\n").defines_unknown_names);
  CHECK(mask_ipython("%store -r data\n").defines_unknown_names);
  CHECK_FALSE(mask_ipython("%matplotlib inline\n").defines_unknown_names);
}

TEST_CASE("a comment ending in a question mark is not help", "[magics]") {
  std::string src = "# why does this fail?\nx = 1  # really?\ns = 'what?'\n";
  CHECK(mask_ipython(src).text == src);
}
