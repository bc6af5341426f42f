// Test helpers: notebooks built from cell sources and execution counts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runner.h"
#include "notebook/notebook.h"
#include "python/syntax.h"
#include "semantic/model.h"

namespace testing {

struct TestCell {
  std::string source;
  std::optional<long long> count;
  std::string type = "code";
};

inline std::string notebook_json(const std::vector<TestCell>& cells) {
  nlohmann::json nb = {{"nbformat", 4}, {"nbformat_minor", 5}, {"metadata", nlohmann::json::object()}};
  nb["cells"] = nlohmann::json::array();
  for (const auto& c : cells) {
    nlohmann::json cell = {{"cell_type", c.type}, {"metadata", nlohmann::json::object()}, {"source", c.source}};
    if (c.type == "code") {
      cell["outputs"] = nlohmann::json::array();
      cell["execution_count"] = c.count ? nlohmann::json(*c.count) : nlohmann::json(nullptr);
    }
    nb["cells"].push_back(cell);
  }
  return nb.dump();
}

inline lstmlint::notebook::Notebook make_notebook(const std::vector<TestCell>& cells) {
  return lstmlint::notebook::parse_notebook(notebook_json(cells), "test.ipynb");
}

// Owns the notebook and parser the model refers to.
struct Analysed {
  lstmlint::notebook::Notebook nb;
  lstmlint::python::Parser parser;
  std::unique_ptr<lstmlint::semantic::Model> model;
  explicit Analysed(const std::vector<TestCell>& cells) : nb(make_notebook(cells)) {
    model = lstmlint::semantic::build_model(nb, parser);
  }
  const lstmlint::semantic::Call* call(const std::string& callee) const {
    for (const auto& c : model->calls())
      if (c.callee == callee) return &c;
    return nullptr;
  }
};

inline std::vector<lstmlint::engine::Finding> lint(const std::vector<TestCell>& cells, const std::string& rule) {
  lstmlint::engine::Linter linter({{rule}, {}});
  return linter.lint_notebook(make_notebook(cells)).findings;
}

}  // namespace testing
