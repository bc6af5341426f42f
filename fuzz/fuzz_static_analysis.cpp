// fuzz_static_analysis: the whole linter, every rule, on notebooks built from the input.
// The input is decoded into a valid nbformat-4 notebook (see fuzzing::decode_notebook in
// fuzz_common.h: NUL-separated records, one header byte each for kind / execution count /
// output), serialised with nlohmann::json and linted with Linter::lint_bytes. A valid notebook
// must lint without an error; findings must point inside their cell; every fix must apply, and
// its file edits (the SARIF form) must give exactly the bytes --fix writes; the text, JSON and
// SARIF reporters run.
#include <cstdint>
#include <exception>
#include <sstream>
#include <string>
#include <typeinfo>

#include "engine/runner.h"
#include "fix/fix.h"
#include "fuzz_common.h"
#include "notebook/notebook.h"
#include "report/report.h"

using namespace lstmlint;

namespace {

void check_location(const notebook::Notebook& nb, const Location& at, const std::string& what) {
  FUZZ_CHECK(at.cell >= 1 && static_cast<size_t>(at.cell) <= nb.cells.size(), what + ": cell out of range");
  auto lines = fuzzing::split_lines(nb.cells[static_cast<size_t>(at.cell - 1)].source);
  FUZZ_CHECK(at.line >= 1 && static_cast<size_t>(at.line) <= lines.size(),
             what + ": line " + std::to_string(at.line) + " of " + std::to_string(lines.size()));
  int width = fuzzing::char_count(lines[static_cast<size_t>(at.line - 1)]);
  FUZZ_CHECK(at.column >= 1 && at.column <= width + 1,
             what + ": column " + std::to_string(at.column) + " of a " + std::to_string(width) + "-character line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One linter for the whole run, as lint_all keeps one per thread across files.
  static engine::Linter* linter = new engine::Linter(engine::Selection{{"ALL"}, {}, {}});

  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string bytes = fuzzing::decode_notebook(input).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  try {
    // The reference for the checks below: the notebook as the loader reads it.
    notebook::Notebook nb = notebook::parse_notebook(bytes, "fuzz.ipynb");
    engine::FileResult result = linter->lint_bytes(bytes, "fuzz.ipynb");
    FUZZ_CHECK(!result.error, "a valid notebook was rejected: " + result.error.value_or(""));

    for (const auto& f : result.findings) {
      std::string what = f.code + " [" + f.name + "] at cell " + std::to_string(f.span.start.cell) + ":" +
                         std::to_string(f.span.start.line) + ":" + std::to_string(f.span.start.column);
      FUZZ_CHECK(!f.code.empty() && !f.name.empty() && !f.message.empty(), what + ": incomplete finding");
      check_location(nb, f.span.start, what + " start");
      check_location(nb, f.span.end, what + " end");
      FUZZ_CHECK(!(f.span.end < f.span.start), what + ": span ends before it starts");
      const auto& cell = nb.cells[static_cast<size_t>(f.span.start.cell - 1)];
      FUZZ_CHECK(f.execution_count == cell.execution_count, what + ": execution count of another cell");
      FUZZ_CHECK(f.source_line == fuzzing::split_lines(cell.source)[static_cast<size_t>(f.span.start.line - 1)],
                 what + ": source_line is not the line at the span start");
    }

    fix::locate_in_file(bytes, nb, result.findings);
    for (const auto& f : result.findings) {
      if (!f.fix || f.fix->edits.empty()) continue;
      std::string what = f.code + " [" + f.name + "] fix at cell " + std::to_string(f.span.start.cell);
      fix::Result alone = fix::apply(bytes, nb, {f}, true);
      FUZZ_CHECK(alone.error.empty() && alone.fixed.size() == 1, what + ": not applied: " + alone.error);
      FUZZ_CHECK(!f.fix->file_edits.empty(), what + ": not located in the file");
      std::string spliced = bytes;
      for (auto e = f.fix->file_edits.rbegin(); e != f.fix->file_edits.rend(); ++e) {
        FUZZ_CHECK(e->begin <= e->end && e->end <= bytes.size(), what + ": file edit out of range");
        spliced.replace(e->begin, e->end - e->begin, e->text);
      }
      FUZZ_CHECK(spliced == alone.bytes, what + ": its file edits differ from what --fix writes");
    }
    fix::Result all = fix::apply(bytes, nb, result.findings, true);
    FUZZ_CHECK(all.error.empty(), "the fixes together were not applied: " + all.error);

    std::ostringstream text, json, sarif;
    report::write_text(text, {result}, report::TextOptions{});
    report::write_json(json, {result});
    auto parsed = nlohmann::json::parse(json.str());  // throws if the report is not JSON
    FUZZ_CHECK(parsed.size() == result.findings.size(), "JSON report lost findings");
    report::write_sarif(sarif, {result});
    auto log = nlohmann::json::parse(sarif.str());
    FUZZ_CHECK(log["runs"][0]["results"].size() == result.findings.size(), "SARIF report lost findings");
  } catch (const notebook::NotebookError& e) {
    fuzzing::fail(std::string("the loader rejected a generated notebook: ") + e.what());
  } catch (const std::exception& e) {
    fuzzing::fail(std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
  }
  return 0;
}
