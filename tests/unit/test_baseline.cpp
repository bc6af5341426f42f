// Baseline fingerprints (stable under edits that do not touch the finding) and file round trips.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/baseline.h"
#include "helpers.h"

using lstmlint::engine::Baseline;
using lstmlint::engine::BaselineError;
using lstmlint::engine::FileResult;
using lstmlint::engine::Finding;
using testing::TestCell;

namespace {

// undefined-in-top-down-run: `lr` is read in cell `reader` but bound only in the last cell.
std::vector<TestCell> notebook_with_finding() {
  return {{"import torch", 1}, {"steps = 10\nprint(lr)", 3}, {"lr = 0.1", 2}};
}

std::vector<Finding> findings_of(const std::vector<TestCell>& cells) {
  lstmlint::engine::Linter linter({{"LSTM102"}, {}});
  return linter.lint_notebook(testing::make_notebook(cells)).findings;
}

std::uint64_t hash_of(const std::vector<TestCell>& cells) {
  auto findings = findings_of(cells);
  REQUIRE(findings.size() == 1);
  return findings[0].content_hash;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/lstm-lint-baseline-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("fingerprints ignore cell positions, counts and other cells; not the flagged code", "[baseline]") {
  auto base = notebook_with_finding();
  std::uint64_t h = hash_of(base);

  auto above = base;
  above.insert(above.begin(), {TestCell{"# Notes", std::nullopt, "markdown"}, TestCell{"# setup", std::nullopt}});
  CHECK(hash_of(above) == h);

  auto rerun = base;
  for (auto& c : rerun) *c.count += 40;
  CHECK(hash_of(rerun) == h);

  auto other = base;
  other[0].source = "import torch\nimport math";
  CHECK(hash_of(other) == h);

  auto whitespace = base;
  whitespace[1].source = "steps = 10   \n\nprint(lr)\n";
  CHECK(hash_of(whitespace) == h);

  auto flagged = base;
  flagged[1].source = "steps = 10\nprint(lr * 2)";
  CHECK(hash_of(flagged) != h);

  auto same_cell = base;  // the cell's source is part of the fingerprint
  same_cell[1].source = "steps = 20\nprint(lr)";
  CHECK(hash_of(same_cell) != h);
}

TEST_CASE("the path in a fingerprint is relative to the baseline's folder", "[baseline]") {
  using lstmlint::engine::baseline_relative_path;
  CHECK(baseline_relative_path("/repo/nb/a.ipynb", "/repo/lstm-baseline.json") == "nb/a.ipynb");
  CHECK(baseline_relative_path("/repo/nb/./a.ipynb", "/repo/ci/baseline.json") == "../nb/a.ipynb");
  Finding f;
  f.content_hash = 42;
  CHECK(lstmlint::engine::fingerprint(f, "a.ipynb") != lstmlint::engine::fingerprint(f, "b.ipynb"));
  CHECK(lstmlint::engine::fingerprint(f, "a.ipynb").size() == 16);
}

TEST_CASE("a baseline round trip hides recorded findings, counting duplicates", "[baseline]") {
  TempDir dir;
  std::string file = (dir.path / "baseline.json").string();
  std::string nb_path = (dir.path / "nb.ipynb").string();
  auto one = findings_of(notebook_with_finding());
  REQUIRE(one.size() == 1);
  FileResult recorded{nb_path, {one[0], one[0]}, std::nullopt};  // the same finding twice
  CHECK(lstmlint::engine::write_baseline(file, {recorded}) == 2);
  CHECK_FALSE(std::filesystem::exists(file + ".tmp." + std::to_string(getpid())));

  auto doc = nlohmann::json::parse(std::ifstream(file));
  CHECK(doc["version"] == 1);
  REQUIRE(doc["entries"].size() == 2);
  CHECK(doc["entries"][0]["filename"] == "nb.ipynb");
  CHECK(doc["entries"][0]["code"] == "LSTM102");
  CHECK(doc["entries"][0]["fingerprint"] == doc["entries"][1]["fingerprint"]);

  Baseline baseline = Baseline::load(file);
  std::vector<FileResult> three{{nb_path, {one[0], one[0], one[0]}, std::nullopt}};
  auto outcome = baseline.apply(three, {});
  CHECK(outcome.hidden == 2);
  CHECK(outcome.stale == 0);
  CHECK(three[0].findings.size() == 1);  // the third occurrence is new

  std::vector<FileResult> none{{nb_path, {}, std::nullopt}};
  CHECK(baseline.apply(none, {}).stale == 2);
  // Not linted this time, or its rule not selected: not stale.
  std::vector<FileResult> elsewhere{{(dir.path / "other.ipynb").string(), {}, std::nullopt}};
  CHECK(baseline.apply(elsewhere, {}).stale == 0);
  CHECK(baseline.apply(none, {{"LSTM101"}, {}}).stale == 0);
}

TEST_CASE("unreadable, malformed and future baselines are errors", "[baseline]") {
  TempDir dir;
  std::string file = (dir.path / "b.json").string();
  CHECK_THROWS_AS(Baseline::load(file), BaselineError);
  std::ofstream(file) << "{\"entries\": [";
  CHECK_THROWS_WITH(Baseline::load(file), Catch::Contains("invalid JSON"));
  std::ofstream(file) << R"({"version": 2, "entries": []})";
  CHECK_THROWS_WITH(Baseline::load(file), Catch::Contains("version 2"));
  std::ofstream(file) << R"({"version": 1, "entries": [{"code": "LSTM101"}]})";
  CHECK_THROWS_WITH(Baseline::load(file), Catch::Contains("fingerprint"));
  // Writing over a directory fails and leaves no temporary file behind.
  std::filesystem::create_directory(dir.path / "taken");
  std::string taken = (dir.path / "taken").string();
  CHECK_THROWS_AS(lstmlint::engine::write_baseline(taken, {}), BaselineError);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) left.push_back(entry.path().filename().string());
  CHECK(left == std::vector<std::string>{"b.json", "taken"});
}
