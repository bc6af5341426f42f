// Suppressions: the directive parser, each form applied by the engine, and unused-suppression.
#include <algorithm>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/suppression.h"
#include "helpers.h"

using lstmlint::engine::DirectiveScope;
using lstmlint::engine::Finding;
using lstmlint::engine::Linter;
using lstmlint::engine::parse_directives;
using testing::TestCell;

namespace {

std::vector<Finding> lint_with(const std::vector<TestCell>& cells, std::vector<std::string> select,
                               const nlohmann::json& metadata = nlohmann::json::object()) {
  auto doc = nlohmann::json::parse(testing::notebook_json(cells));
  doc["metadata"] = metadata;
  Linter linter({std::move(select), {}});
  return linter.lint_notebook(lstmlint::notebook::parse_notebook(doc.dump(), "test.ipynb")).findings;
}

size_t count(const std::vector<Finding>& findings, const std::string& name) {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.name == name; }));
}

// Cell 2 ran before cell 1 above it: out-of-order-execution at cell 2, line 1.
std::vector<TestCell> out_of_order(const std::string& second_cell) { return {{"x = 1", 2}, {second_cell, 1}}; }

}  // namespace

TEST_CASE("noqa: bare, codes and names, other tools' codes, a reason after the list", "[suppression]") {
  auto bare = parse_directives("# noqa");
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].blanket);
  CHECK(bare[0].noqa);

  auto listed = parse_directives("# NOQA:LSTM101,stale-optimizer E501 because the model is rebuilt");
  REQUIRE(listed.size() == 1);
  CHECK_FALSE(listed[0].blanket);
  CHECK(listed[0].codes == std::vector<std::string>{"LSTM101", "stale-optimizer"});
  CHECK(listed[0].end == std::string("# NOQA:LSTM101,stale-optimizer E501").size());

  CHECK(parse_directives("# noqa: E501, F401").empty());  // ruff's and flake8's, not ours
  CHECK(parse_directives("# noqa:").empty());
  CHECK(parse_directives("# noqaz").empty());
  CHECK(parse_directives("# see the noqa docs").empty());

  auto after_other = parse_directives("# type: ignore  # noqa: LSTM999");
  REQUIRE(after_other.size() == 1);
  CHECK(after_other[0].begin == 16);
  CHECK(after_other[0].codes == std::vector<std::string>{"LSTM999"});
}

TEST_CASE("lstm-lint: ignore[...] and ignore-cell[...]; anything else is a problem", "[suppression]") {
  auto line = parse_directives("# lstm-lint: ignore[shuffled-timesteps, LSTM305 ,no-such-rule]");
  REQUIRE(line.size() == 1);
  CHECK(line[0].scope == DirectiveScope::Line);
  CHECK(line[0].codes == std::vector<std::string>{"shuffled-timesteps", "LSTM305", "no-such-rule"});
  CHECK(line[0].problem.empty());

  auto cell = parse_directives("#lstm-lint: ignore-cell[LSTM107] -- a scratch cell");
  REQUIRE(cell.size() == 1);
  CHECK(cell[0].scope == DirectiveScope::Cell);
  CHECK(cell[0].end == std::string("#lstm-lint: ignore-cell[LSTM107]").size());

  for (const char* bad : {"# lstm-lint: ignore", "# lstm-lint: disable[LSTM101]", "# lstm-lint: ignore[]",
                          "# lstm-lint: ignore[LSTM101"}) {
    auto d = parse_directives(bad);
    REQUIRE(d.size() == 1);
    CHECK_FALSE(d[0].problem.empty());
  }
  CHECK(parse_directives("# run lstm-lint: it finds bugs").empty());
}

TEST_CASE("line noqa suppresses by code and by name, not other codes", "[suppression]") {
  CHECK(count(lint_with(out_of_order("print(x)"), {"LSTM101"}), "out-of-order-execution") == 1);
  CHECK(count(lint_with(out_of_order("print(x)  # noqa: LSTM101"), {"LSTM101"}), "out-of-order-execution") == 0);
  CHECK(count(lint_with(out_of_order("print(x)  # noqa: out-of-order-execution"), {"LSTM101"}), "out-of-order-execution") == 0);
  CHECK(count(lint_with(out_of_order("print(x)  # noqa: LSTM102"), {"LSTM101"}), "out-of-order-execution") == 1);
  CHECK(count(lint_with(out_of_order("print(x)  # noqa: E501"), {"LSTM101"}), "out-of-order-execution") == 1);
}

TEST_CASE("bare noqa suppresses every lstm-lint finding on its line", "[suppression]") {
  CHECK(count(lint_with(out_of_order("print(x)  # noqa"), {"LSTM101"}), "out-of-order-execution") == 0);
  // ... on its line only.
  CHECK(count(lint_with(out_of_order("print(x)\n# noqa"), {"LSTM101"}), "out-of-order-execution") == 1);
}

TEST_CASE("lstm-lint: ignore[...] suppresses by name or code", "[suppression]") {
  CHECK(count(lint_with(out_of_order("print(x)  # lstm-lint: ignore[out-of-order-execution]"), {"LSTM101"}),
              "out-of-order-execution") == 0);
  CHECK(count(lint_with(out_of_order("print(x)  # lstm-lint: ignore[LSTM103, LSTM101]"), {"LSTM101"}),
              "out-of-order-execution") == 0);
}

TEST_CASE("a noqa inside a string is text, not a directive", "[suppression]") {
  CHECK(count(lint_with(out_of_order("s = '# noqa: LSTM101'"), {"LSTM101"}), "out-of-order-execution") == 1);
  CHECK(count(lint_with(out_of_order("s = \"x  # noqa\""), {"LSTM101"}), "out-of-order-execution") == 1);
  // And it is not judged as an unused one either.
  CHECK(lint_with({{"s = '# noqa: LSTM101'", 1}}, {"ALL"}).empty());
}

TEST_CASE("ignore-cell suppresses the cell's head finding and findings further down", "[suppression]") {
  // The directive is below the cell's head line (`%%time`), which is where out-of-order-execution points.
  auto head = lint_with(out_of_order("%%time\n# lstm-lint: ignore-cell[out-of-order-execution]\nprint(x)"), {"LSTM101"});
  CHECK(count(head, "out-of-order-execution") == 0);

  std::vector<TestCell> undefined = {{"# lstm-lint: ignore-cell[LSTM102]\nimport math\nprint(lr)", 2}, {"lr = 0.1", 1}};
  CHECK(count(lint_with(undefined, {"LSTM102"}), "undefined-in-top-down-run") == 0);
  undefined[0].source = "import math\nprint(lr)";
  CHECK(count(lint_with(undefined, {"LSTM102"}), "undefined-in-top-down-run") == 1);
}

TEST_CASE("ignore-cell below the first line of code is misplaced: reported, and it suppresses nothing", "[suppression]") {
  std::vector<TestCell> cells = {{"print(lr)\n# lstm-lint: ignore-cell[LSTM102]", 2}, {"lr = 0.1", 1}};
  auto findings = lint_with(cells, {"LSTM102", "LSTM108"});
  CHECK(count(findings, "undefined-in-top-down-run") == 1);
  REQUIRE(count(findings, "unused-suppression") == 1);
  auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) { return f.code == "LSTM108"; });
  CHECK(it->message.find("misplaced") != std::string::npos);
  CHECK(it->span.start.line == 2);
}

TEST_CASE("notebook metadata ignores rules in the whole notebook", "[suppression]") {
  nlohmann::json by_code = {{"lstm-lint", {{"ignore", {"LSTM101"}}}}};
  nlohmann::json by_name = {{"lstm-lint", {{"ignore", {"out-of-order-execution"}}}}};
  CHECK(count(lint_with(out_of_order("print(x)"), {"ALL"}, by_code), "out-of-order-execution") == 0);
  CHECK(lint_with(out_of_order("print(x)"), {"ALL"}, by_name).empty());
  nlohmann::json other = {{"lstm-lint", {{"ignore", {"LSTM102"}}}}, {"kernelspec", {{"language", "python"}}}};
  CHECK(count(lint_with(out_of_order("print(x)"), {"LSTM101"}, other), "out-of-order-execution") == 1);
}

TEST_CASE("unused-suppression: stale and unknown codes, malformed metadata", "[suppression]") {
  auto stale = lint_with({{"x = 1  # noqa: LSTM101", 1}}, {"LSTM101", "LSTM108"});
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].code == "LSTM108");
  CHECK(stale[0].message == "`# noqa: LSTM101` suppresses no `LSTM101` finding on this line");
  CHECK(stale[0].span.start.column == 8);
  CHECK(stale[0].span.end.column == 23);

  auto unknown = lint_with({{"x = 1  # noqa: LSTM999", 1}}, {"LSTM108"});
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].message.find("names `LSTM999`, which is not an lstm-lint rule") != std::string::npos);

  auto unknown_name = lint_with({{"x = 1  # lstm-lint: ignore[out-of-order]", 1}}, {"LSTM108"});
  REQUIRE(unknown_name.size() == 1);
  CHECK(unknown_name[0].message.find("`out-of-order`") != std::string::npos);

  auto unused_cell = lint_with({{"# lstm-lint: ignore-cell[LSTM101]\nx = 1", 1}}, {"LSTM101", "LSTM108"});
  REQUIRE(unused_cell.size() == 1);
  CHECK(unused_cell[0].message.find("in this cell") != std::string::npos);

  nlohmann::json unused_meta = {{"lstm-lint", {{"ignore", {"LSTM101"}}}}};
  auto meta = lint_with({{"# a comment\nx = 1", 1}}, {"ALL"}, unused_meta);
  REQUIRE(meta.size() == 1);
  CHECK(meta[0].message.find("notebook metadata") == 0);
  CHECK(meta[0].span.start.cell == 1);
  CHECK(meta[0].span.start.line == 1);

  nlohmann::json malformed = {{"lstm-lint", {{"ignore", "LSTM101"}}}};
  auto bad = lint_with({{"x = 1", 1}}, {"LSTM108"}, malformed);
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].message.find("is malformed") != std::string::npos);
}

TEST_CASE("unused-suppression is silent where the directive works or cannot be judged", "[suppression]") {
  // Used.
  CHECK(lint_with(out_of_order("print(x)  # noqa: LSTM101"), {"ALL"}).empty());
  // The suppressed rule did not run (--select): not judged, as in ruff.
  CHECK(lint_with({{"x = 1  # noqa: LSTM101", 1}}, {"LSTM2", "LSTM108"}).empty());
  // A bare noqa and other tools' codes may serve other linters.
  CHECK(lint_with({{"x = 1  # noqa\ny = 2  # noqa: E501", 1}}, {"ALL"}).empty());
  // unused-suppression itself can be silenced on the line.
  CHECK(lint_with({{"x = 1  # noqa: LSTM101, LSTM108", 1}}, {"ALL"}).empty());
  // A line directive and a cell directive covering the same finding are both in use.
  CHECK(lint_with(out_of_order("# lstm-lint: ignore-cell[LSTM101]\nprint(x)  # lstm-lint: ignore[LSTM101]"), {"ALL"}).size() == 1);
  // Not selected at all: nothing reported, even for unknown codes.
  CHECK(lint_with({{"x = 1  # noqa: LSTM999", 1}}, {"LSTM101"}).empty());
}

TEST_CASE("a line directive covers every line of a multi-line finding", "[suppression]") {
  testing::Analysed a({{"loader = DataLoader(\n    data,\n    shuffle=True)  # noqa: LSTM201\nx = 1  # noqa: LSTM201", 1}});
  Finding f;
  f.code = "LSTM201";
  f.span = {{1, 1, 10}, {1, 3, 18}};
  Finding below = f;
  below.span = {{1, 4, 1}, {1, 4, 6}};
  Finding other_cell = f;
  other_cell.span = {{2, 1, 1}, {2, 3, 5}};
  lstmlint::engine::Suppressions s(a.nb, *a.model, {lstmlint::engine::find_rule("LSTM201")});
  std::vector<Finding> findings = {f, below, other_cell};
  s.filter(findings);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].span.start.cell == 2);
}

TEST_CASE("notebook metadata keeps lstm-lint's settings and drops other tools' metadata", "[suppression]") {
  auto nb = lstmlint::notebook::parse_notebook(
      R"J({"nbformat": 4, "nbformat_minor": 5, "cells": [],
           "metadata": {"widgets": {"state": {"a": [1, 2, 3]}}, "lstm-lint": {"ignore": ["LSTM107", "stale-optimizer"]},
                        "kernelspec": {"language": "python"}}})J",
      "m.ipynb");
  CHECK(nb.ignore == std::vector<std::string>{"LSTM107", "stale-optimizer"});
  CHECK(nb.settings_problem.empty());
  auto bad = lstmlint::notebook::parse_notebook(R"J({"nbformat": 4, "cells": [], "metadata": {"lstm-lint": ["LSTM107"]}})J", "b.ipynb");
  CHECK(bad.ignore.empty());
  CHECK_FALSE(bad.settings_problem.empty());
}
