// The LSTM error catalog (rules/error-in-output/catalog.json), checked with the engine's std::regex.
#include <regex>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/registry.h"
#include "helpers.h"

namespace {
const nlohmann::json& catalog() {
  static const nlohmann::json doc = nlohmann::json::parse(lstmlint::engine::find_rule("error-in-output")->data("catalog.json"));
  return doc;
}
}  // namespace

TEST_CASE("the catalog has at least 20 entries with unique ids", "[catalog]") {
  const auto& entries = catalog().at("entries");
  CHECK(entries.size() >= 20);
  std::set<std::string> ids;
  for (const auto& e : entries) {
    INFO(e.dump());
    CHECK(ids.insert(e.at("id").get<std::string>()).second);
    for (const char* key : {"pattern", "title", "cause", "fix", "examples"}) CHECK(e.contains(key));
  }
}

TEST_CASE("every example is matched first by its own entry", "[catalog]") {
  const auto& entries = catalog().at("entries");
  std::vector<std::regex> patterns;
  for (const auto& e : entries) patterns.emplace_back(e.at("pattern").get<std::string>(), std::regex::ECMAScript);
  for (size_t i = 0; i < entries.size(); ++i) {
    for (const auto& example : entries[i].at("examples")) {
      std::string text = example.get<std::string>();
      INFO(entries[i].at("id").get<std::string>() << ": " << text);
      size_t first = entries.size();
      for (size_t k = 0; k < patterns.size() && first == entries.size(); ++k)
        if (std::regex_search(text, patterns[k])) first = k;
      CHECK(first == i);
    }
  }
}

TEST_CASE("catalog entries name real or planned rules", "[catalog]") {
  static const std::set<std::string> planned = {
      "state-not-detached", "state-never-reset", "hidden-batch-size-mismatch", "batch-first-mismatch",
      "view-swaps-axes", "input-size-mismatch", "shuffled-timesteps", "weights-reinit-as-reset",
      "keras-stateful-shuffle", "keras-stateful-no-reset", "missing-zero-grad"};
  for (const auto& e : catalog().at("entries")) {
    if (!e.contains("rule") || e.at("rule").is_null()) continue;
    std::string rule = e.at("rule").get<std::string>();
    INFO(rule);
    CHECK((lstmlint::engine::find_rule(rule) != nullptr || planned.count(rule) == 1));
  }
}

TEST_CASE("error-in-output explains a cataloged error at the traceback's line", "[catalog]") {
  nlohmann::json nb = nlohmann::json::parse(testing::notebook_json({{"h = None\nfor x in batches:\n    out, h = lstm(x, h)\n    out.sum().backward()", 4}}));
  nb["cells"][0]["outputs"] = nlohmann::json::array({{{"output_type", "error"}, {"ename", "RuntimeError"},
      {"evalue", "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed)."},
      {"traceback", {"---", "Cell In[4], line 4\n      3     out, h = lstm(x, h)\n----> 4     out.sum().backward()\n"}}}});
  lstmlint::engine::Linter linter({{"error-in-output"}, {}});
  auto result = linter.lint_bytes(nb.dump(), "t.ipynb");
  REQUIRE(result.findings.size() == 1);
  const auto& f = result.findings[0];
  CHECK(f.span.start.line == 4);
  CHECK(f.span.start.column == 5);
  CHECK(f.message.find("RuntimeError: Trying to backward") != std::string::npos);
  CHECK(f.help.find("state-not-detached") != std::string::npos);
}
