// view-swaps-axes: `x.view(x.size(1), x.size(0), ...)` reinterprets memory instead of moving
// the axes, so (batch, time) becomes (time, batch) with the samples scrambled.
#include <set>

#include "engine/registry.h"
#include "semantic/interpreter.h"
#include "semantic/shapes.h"

namespace lstmlint::rules {

// The value-flow view: a tensor that a view/reshape made by exchanging its first two known
// sizes (`x.view(seq_len, batch, n)` of a (batch, seq_len, n) tensor) reaches a recurrent layer.
static void report_swapped_inputs(const engine::Context& ctx, engine::Diagnostics& out, std::set<std::pair<int, int>>& seen) {
  const auto& model = ctx.model;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (!ev.input || !ev.input->swapped.known()) continue;
    const semantic::Origin& site = ev.input->swapped;
    Span span = site.span(model);
    if (!seen.insert({span.start.cell, span.start.line}).second) continue;
    std::vector<long long> target, source;
    for (const auto& d : ev.input->shape) target.push_back(d.size.value_or(-1));
    if (target.size() < 2 || target[0] < 0 || target[1] < 0) continue;
    source = target;
    std::swap(source[0], source[1]);
    if (source.size() == 2) source.push_back(1);
    if (target.size() == 2) target.push_back(1);
    for (size_t i = 2; i < source.size(); ++i)
      if (source[i] < 0) source[i] = target[i] = 3;  // unstated feature sizes: a stand-in
    engine::ReplayHint hint;
    hint.layer = model.layer_index_of(*ev.layer);
    hint.facts.push_back(engine::Fact::integers("source_shape", {source[0], source[1], source[2]}, std::nullopt,
                                                "the stated sizes before the view"));
    hint.facts.push_back(engine::Fact::integers("target_shape", {target[0], target[1], -1}, span));
    out.report(span,
               "`" + site.text(model) + "` swaps the first two axes by size only, " + ev.input->swapped_why +
                   ", and the result reaches `" + std::string(model.text_of(ev.node, ev.cell)) + "` (" +
                   semantic::Origin{ev.cell, ev.node, {}}.where() +
                   "): a view only reinterprets the memory, so each 'sequence' the layer reads mixes the elements of "
                   "different samples and time steps",
               "Move the axes with `.transpose(0, 1)` or `.permute(1, 0, 2)` (add `.contiguous()` before a later "
               "`.view`), or build the layer with `batch_first=True` and pass the tensor as it is",
               std::move(hint));
  }
}

void check_view_swaps_axes(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<std::pair<int, int>> seen;
  for (const auto& c : model.calls()) {
    if ((c.method != "view" && c.method != "reshape") || c.receiver.empty() || c.args.size() < 2) continue;
    int first = model.dimension_of(c.args[0].node, c.cell, c.receiver);
    int second = model.dimension_of(c.args[1].node, c.cell, c.receiver);
    if (first != 1 || second != 0) continue;
    seen.insert({c.span.start.cell, c.span.start.line});
    // The receiver's (batch, time, feature) sizes where stated; the experiment needs only that
    // the two swapped axes are both above 1, so unstated sizes take small stand-ins.
    TSNode receiver = python::field(python::field(c.node, "function"), "object");
    auto rank = semantic::rank_of(model, receiver, c.cell, c.scope);
    auto batch = semantic::first_dim_of(model, receiver, c.cell, c.scope);
    auto features = semantic::last_dim_of(model, receiver, c.cell, c.scope);
    engine::ReplayHint hint;
    std::vector<long long> source = {batch.value_or(4), 5, rank && *rank == 2 ? 1 : features.value_or(3)};
    std::vector<long long> target = {source[1], source[0], -1};
    hint.facts.push_back(engine::Fact::integers("source_shape", source, std::nullopt,
                                                batch || features ? "stated sizes, unstated ones as stand-ins"
                                                                  : "stand-in sizes"));
    hint.facts.push_back(engine::Fact::integers("target_shape", target, c.span));
    out.report(c.span,
               "`" + c.callee + "(...)` puts dimension 1 of `" + c.receiver + "` first and dimension 0 second, but `." +
                   c.method + "` only reinterprets the memory: the result has the swapped shape with the elements "
                   "of different samples and time steps mixed together",
               "Swap axes with `" + c.receiver + ".transpose(0, 1)` or `" + c.receiver +
                   ".permute(1, 0, 2)` (add `.contiguous()` before a later `.view`)",
               std::move(hint));
  }
  report_swapped_inputs(ctx, out, seen);
}

}  // namespace lstmlint::rules
