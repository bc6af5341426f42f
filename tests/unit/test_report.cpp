// Reporters: the text format's header, frame and help line; JSON's stable field names.
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "helpers.h"
#include "report/report.h"

namespace {
std::vector<lstmlint::engine::FileResult> one_finding() {
  lstmlint::engine::Finding f;
  f.code = "LSTM103";
  f.name = "stale-optimizer";
  f.severity = lstmlint::engine::Severity::Error;
  f.message = "the optimizer is stale";
  f.help = "re-run it";
  f.filename = "nb.ipynb";
  f.span = {{4, 2, 7}, {4, 2, 13}};
  f.execution_count = 9;
  f.source_line = "opt = optim.SGD(params)";
  lstmlint::engine::FileResult r;
  r.path = "nb.ipynb";
  r.findings.push_back(f);
  return {r};
}
}  // namespace

TEST_CASE("text output: header, code frame with carets, help", "[report]") {
  std::ostringstream out;
  lstmlint::report::write_text(out, one_finding(), {false, false});
  std::string text = out.str();
  CHECK(text.find("nb.ipynb:cell 4:2:7: LSTM103 [stale-optimizer] the optimizer is stale\n") == 0);
  CHECK(text.find("2 | opt = optim.SGD(params)\n") != std::string::npos);
  CHECK(text.find("  |       ^^^^^^ LSTM103\n") != std::string::npos);
  CHECK(text.find("  = help: re-run it\n") != std::string::npos);
  CHECK(text.find("Found 1 finding (1 error) in 1 notebook.") != std::string::npos);
}

TEST_CASE("quiet text output is one line per finding", "[report]") {
  std::ostringstream out;
  lstmlint::report::write_text(out, one_finding(), {false, true});
  CHECK(out.str() == "nb.ipynb:cell 4:2:7: LSTM103 [stale-optimizer] the optimizer is stale\n");
}

TEST_CASE("JSON output has the documented fields", "[report]") {
  std::ostringstream out;
  lstmlint::report::write_json(out, one_finding());
  auto j = nlohmann::json::parse(out.str());
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  const auto& f = j[0];
  CHECK(f["code"] == "LSTM103");
  CHECK(f["name"] == "stale-optimizer");
  CHECK(f["severity"] == "error");
  CHECK(f["message"] == "the optimizer is stale");
  CHECK(f["help"] == "re-run it");
  CHECK(f["filename"] == "nb.ipynb");
  CHECK(f["cell"] == 4);
  CHECK(f["execution_count"] == 9);
  CHECK(f["location"] == nlohmann::json({{"row", 2}, {"column", 7}}));
  CHECK(f["end_location"] == nlohmann::json({{"row", 2}, {"column", 13}}));
}

TEST_CASE("no findings: an empty array and a passing summary", "[report]") {
  std::vector<lstmlint::engine::FileResult> none(1);
  std::ostringstream json, text;
  lstmlint::report::write_json(json, none);
  lstmlint::report::write_text(text, none, {false, false});
  CHECK(nlohmann::json::parse(json.str()).empty());
  CHECK(text.str() == "All checks passed!\n");
}
