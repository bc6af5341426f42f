// batch-first-mismatch: the output of a recurrent layer built without batch_first=True is
// (time, batch, hidden), but is indexed as if it were (batch, time, hidden): `out[:, -1]`.
#include "engine/registry.h"

namespace lstmlint::rules {

void check_batch_first_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto& c : model.calls()) {
    const auto* layer = model.recurrent_layer_called(c);
    if (!layer || layer->keras || layer->kind.find("Cell") != std::string::npos) continue;
    auto batch_first = layer->batch_first.as_bool();
    if (!batch_first || *batch_first) continue;  // unknown or batch-first: nothing to say
    TSNode assignment = model.assignment_of(c);
    if (python::null(assignment) || !python::is(python::field(assignment, "left"), "pattern_list")) continue;
    auto targets = model.target_names(assignment, c.cell);
    if (targets.empty()) continue;
    const std::string& output = targets.front();
    uint32_t after = ts_node_end_byte(assignment);
    // The first re-binding of `output` after the call ends the span we look at.
    uint32_t until = UINT32_MAX;
    for (const auto& b : model.bindings())
      if (b.cell == c.cell && b.scope == c.scope && b.name == output && b.byte > after && b.byte < until) until = b.byte;
    for (const auto& s : model.subscripts()) {
      if (s.cell != c.cell || s.scope != c.scope || s.name != output) continue;
      uint32_t at = ts_node_start_byte(s.node);
      if (at < after || at >= until || s.indices.size() < 2) continue;
      if (!python::is(s.indices[0], "slice") || model.text_of(s.indices[0], c.cell) != ":") continue;
      if (model.text_of(s.indices[1], c.cell) != "-1") continue;
      std::string layer_name = layer->name.empty() ? "self." + layer->attribute : layer->name;
      out.report(s.span,
                 "`" + layer_name + "` is built without `batch_first=True`, so `" + output +
                     "` is (time, batch, hidden): `" + std::string(model.text_of(s.node, c.cell)) +
                     "` takes the last sample of the batch at every time step, not the last time step of each sample",
                 "Index the time axis first (`" + output + "[-1]`), or build the layer with `batch_first=True` and "
                 "feed it (batch, time, feature) tensors");
    }
  }
}

}  // namespace lstmlint::rules
