// `lstm-lint debug values`: prints what the value-flow model knows (docs/values.md).
#include "cli/debug_values.h"

#include <iostream>

#include "notebook/notebook.h"
#include "python/syntax.h"
#include "semantic/model.h"

namespace lstmlint::cli {

int debug_values(const std::string& path, int only_cell, std::ostream& out) {
  notebook::Notebook nb;
  try {
    nb = notebook::load_notebook_file(path);
  } catch (const notebook::NotebookError& e) {
    std::cerr << "error: " << path << ": " << e.what() << "\n";
    return 2;
  }
  python::Parser parser;
  auto model = semantic::build_model(nb, parser);
  const auto& values = model->values();
  for (const auto& ci : model->cells()) {
    if (!ci.parsed || (only_cell > 0 && ci.index != only_cell)) continue;
    out << "# cell " << ci.index << "\n";
    for (const auto& [name, value] : values.cell_names(ci.index)) out << "  " << name << " = " << value->repr() << "\n";
  }
  out << "# recurrent calls\n";
  for (const auto& ev : values.recurrent_calls()) {
    if (only_cell > 0 && ev.cell != only_cell) continue;
    out << "  cell " << ev.cell << ":" << model->span_of(ev.node, ev.cell).start.line << " `"
        << model->text_of(ev.node, ev.cell) << "`: layer " << ev.layer->repr() << "; input "
        << (ev.input ? ev.input->repr() : "?") << "; state " << (ev.state ? ev.state->repr() : "none");
    if (ev.stale_state) out << " [graph already freed by backward()]";
    if (ev.last_batch) out << " [last batch]";
    out << "\n";
  }
  if (values.exhausted()) out << "# budget exhausted after " << values.steps() << " steps: later values are unknown\n";
  else out << "# " << values.steps() << " steps\n";
  return 0;
}

}  // namespace lstmlint::cli
