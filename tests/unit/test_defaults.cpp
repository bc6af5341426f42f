// The default rule set (ruff's model: opt-in rules need --select/--extend-select), one finding
// per root cause with related locations, and what notebook-state rules make of counts that
// carry no order.
#include <catch2/catch.hpp>

#include <sstream>

#include "engine/registry.h"
#include "helpers.h"
#include "report/report.h"

using namespace testing;
using lstmlint::engine::Selection;

namespace {
const lstmlint::engine::RuleInfo& rule(const char* name) { return *lstmlint::engine::find_rule(name); }

// A PyTorch training loop without gradient clipping, and a cell that never ran between two
// that did: what LSTM311 and LSTM107 fire on, and nothing else does.
std::vector<TestCell> unclipped_with_a_hole() {
  return {{"import torch\nfrom torch import nn\nlstm = nn.LSTM(4, 8, batch_first=True)\nhead = nn.Linear(8, 1)\n"
           "opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()))\n",
           1},
          {"print(lstm)\n", std::nullopt},
          {"x = torch.randn(16, 5, 4)\ny = torch.randn(16, 1)\nfor epoch in range(3):\n    out, _ = lstm(x)\n"
           "    loss = ((head(out[:, -1]) - y) ** 2).mean()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n",
           2}};
}

std::vector<std::string> codes(const std::vector<lstmlint::engine::Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.code);
  return out;
}
}  // namespace

TEST_CASE("opt-in rules are outside the default set and inside ALL", "[defaults]") {
  Selection defaults;
  CHECK_FALSE(defaults.allows(rule("rnn-without-grad-clipping")));
  CHECK_FALSE(defaults.allows(rule("unexecuted-cell")));
  CHECK(defaults.allows(rule("state-not-detached")));
  CHECK(defaults.allows(rule("out-of-order-execution")));
  CHECK(Selection{{"ALL"}, {}, {}}.allows(rule("rnn-without-grad-clipping")));
  CHECK(Selection{{"LSTM3"}, {}, {}}.allows(rule("rnn-without-grad-clipping")));  // a prefix selects explicitly
  CHECK_FALSE(Selection{{"LSTM3"}, {}, {}}.allows(rule("unexecuted-cell")));
  // extend-select adds to the default set, or to an explicit select.
  Selection extended{{}, {"LSTM311"}, {}};
  CHECK(extended.allows(rule("rnn-without-grad-clipping")));
  CHECK(extended.allows(rule("state-not-detached")));
  CHECK_FALSE(extended.allows(rule("unexecuted-cell")));
  Selection narrow{{"LSTM301"}, {"unexecuted-cell"}, {}};
  CHECK(narrow.allows(rule("unexecuted-cell")));
  CHECK_FALSE(narrow.allows(rule("state-never-reset")));
  // ignore wins over both.
  CHECK_FALSE(Selection{{"ALL"}, {"LSTM311"}, {"LSTM311"}}.allows(rule("rnn-without-grad-clipping")));
  CHECK(Selection{{}, {"LSTM999"}, {}}.unknown_tokens() == std::vector<std::string>{"LSTM999"});
}

TEST_CASE("the default run is quiet where only opt-in rules fire", "[defaults]") {
  auto nb = make_notebook(unclipped_with_a_hole());
  lstmlint::engine::Linter defaults{Selection{}};
  CHECK(defaults.lint_notebook(nb).findings.empty());
  lstmlint::engine::Linter all{Selection{{"ALL"}, {}, {}}};
  auto found = codes(all.lint_notebook(nb).findings);
  std::sort(found.begin(), found.end());
  CHECK(found == std::vector<std::string>{"LSTM107", "LSTM311"});
  lstmlint::engine::Linter extended{Selection{{}, {"LSTM311"}, {}}};
  CHECK(codes(extended.lint_notebook(nb).findings) == std::vector<std::string>{"LSTM311"});
}

TEST_CASE("counts that are all 0 or all null are no order: no notebook-state finding", "[defaults]") {
  // Cell 2 reads a name that cell 3 defines: out of order if the counts meant anything.
  for (std::optional<long long> count : {std::optional<long long>(0), std::optional<long long>()}) {
    auto nb = make_notebook({{"import torch\n", count}, {"print(x)\n", count}, {"x = torch.zeros(3)\n", count}});
    lstmlint::engine::Linter all{Selection{{"LSTM1"}, {}, {}}};
    auto findings = all.lint_notebook(nb).findings;
    // A top-down run still fails on `x` (undefined-in-top-down-run judges the code, not the counts).
    CHECK(codes(findings) == std::vector<std::string>{"LSTM102"});
  }
}

TEST_CASE("one reset method with several init calls is one finding with related locations", "[defaults]") {
  auto nb = make_notebook(
      {{"import torch\nfrom torch import nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.lstm = nn.LSTM(4, 8, batch_first=True)\n"
        "    def reset_states(self):\n"
        "        for name, param in self.lstm.named_parameters():\n"
        "            if 'weight_ih' in name:\n                nn.init.xavier_uniform_(param.data)\n"
        "            elif 'weight_hh' in name:\n                nn.init.orthogonal_(param.data)\n"
        "            else:\n                nn.init.zeros_(param.data)\n"
        "    def forward(self, x):\n        return self.lstm(x)[0]\n",
        1}});
  lstmlint::engine::Linter linter{Selection{{"weights-reinit-as-reset"}, {}, {}}};
  auto findings = linter.lint_notebook(nb).findings;
  REQUIRE(findings.size() == 1);
  const auto& f = findings.front();
  CHECK(f.span.start.line == 10);
  REQUIRE(f.related.size() == 2);
  CHECK(f.related[0].span.start.line == 12);
  CHECK(f.related[1].span.start.line == 14);
  CHECK(f.related[1].source_line == "                nn.init.zeros_(param.data)");

  std::vector<lstmlint::engine::FileResult> results{{"test.ipynb", findings, std::nullopt}};
  std::ostringstream text, json, sarif;
  lstmlint::report::TextOptions options;
  lstmlint::report::write_text(text, results, options);
  CHECK(text.str().find("note: test.ipynb:cell 1:12:17: `nn.init.orthogonal_(...)` re-initialises weights here too") !=
        std::string::npos);
  lstmlint::report::write_json(json, results);
  auto j = nlohmann::json::parse(json.str());
  REQUIRE(j.at(0).at("related").size() == 2);
  CHECK(j.at(0).at("related").at(1).at("location").at("row") == 14);
  lstmlint::report::write_sarif(sarif, results);
  auto s = nlohmann::json::parse(sarif.str());
  auto related = s.at("runs").at(0).at("results").at(0).at("relatedLocations");
  REQUIRE(related.size() == 2);
  CHECK(related.at(0).at("id") == 1);
  CHECK(related.at(0).at("properties").at("line") == 12);
}
