// view-swaps-axes: `x.view(x.size(1), x.size(0), ...)` reinterprets memory instead of moving
// the axes, so (batch, time) becomes (time, batch) with the samples scrambled.
#include "engine/registry.h"
#include "semantic/shapes.h"

namespace lstmlint::rules {

void check_view_swaps_axes(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto& c : model.calls()) {
    if ((c.method != "view" && c.method != "reshape") || c.receiver.empty() || c.args.size() < 2) continue;
    int first = model.dimension_of(c.args[0].node, c.cell, c.receiver);
    int second = model.dimension_of(c.args[1].node, c.cell, c.receiver);
    if (first != 1 || second != 0) continue;
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
}

}  // namespace lstmlint::rules
