// Replay of view-swaps-axes: a tensor of the notebook's shape holding each element's own index,
// through the notebook's view/reshape and through the transpose it stands for; every position
// where they differ holds an element from another sample or another time step.
#include <algorithm>
#include <map>
#include <numeric>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
// Index-only: far larger than the layer caps, still only tens of MiB.
constexpr int64_t kMaxElements = int64_t(1) << 22;

int64_t product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    if (d > 0) p = (p > (int64_t(1) << 60) / d) ? (int64_t(1) << 60) : p * d;
  return p;
}

// Halves the largest size until the source fits, mapping equal sizes to equal sizes (the view's
// literal sizes name the source's sizes) and keeping different sizes different; 1 stays 1.
std::map<int64_t, int64_t> shrink(const std::vector<int64_t>& source) {
  std::map<int64_t, int64_t> to;
  for (int64_t d : source) to[d] = d;
  auto mapped_product = [&] {
    int64_t p = 1;
    for (int64_t d : source) p = std::min<int64_t>(p * to[d], int64_t(1) << 60);
    return p;
  };
  while (mapped_product() > kMaxElements) {
    auto largest = std::max_element(to.begin(), to.end(), [](auto& a, auto& b) { return a.second < b.second; });
    int64_t next = std::max<int64_t>(2, largest->second / 2);
    while (next > 2 && std::any_of(to.begin(), to.end(), [&](auto& kv) { return kv.second == next; })) --next;
    if (next >= largest->second) break;
    largest->second = next;
  }
  return to;
}

}  // namespace

void replay_view_swaps_axes(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  std::vector<int64_t> source;
  if (spec.has("source_shape")) {
    source = spec.shape("source_shape", {}, false);
  } else {
    source = {spec.original("batch_size", 32), spec.original("seq_len", 20), spec.original("input_size", 1)};
    spec.record_used("source_shape", source);
  }
  std::vector<int64_t> swapped = source;
  if (swapped.size() >= 2) std::swap(swapped[0], swapped[1]);
  std::vector<int64_t> target = spec.shape("target_shape", swapped, true);
  std::vector<int64_t> axes(source.size());
  std::iota(axes.begin(), axes.end(), 0);
  if (axes.size() >= 2) std::swap(axes[0], axes[1]);
  axes = spec.permutation("permute", axes);

  // Scale index tensors down when the notebook's shape is huge; literal view sizes follow.
  std::vector<int64_t> source_t = source, target_t = target;
  if (product(source) > kMaxElements) {
    auto to = shrink(source);
    for (auto& d : source_t) d = to[d];
    for (auto& d : target_t) {
      if (d == -1) continue;
      if (!to.count(d))
        throw SpecError("the source shape " + shape_text(source) + " is too large to replay and the view's size " +
                        std::to_string(d) + " is not one of its sizes");
      d = to[d];
    }
    spec.record_scaled("source_shape_elements", product(source), product(source_t));
  }
  x.budget.check();

  torch::Tensor index = torch::arange(product(source_t), torch::kLong).view(source_t);
  torch::Tensor viewed;
  try {
    viewed = index.view(target_t);
  } catch (const c10::Error& e) {
    r.error = torch_message(e);
    r.inconclusive("the view " + shape_text(target) + " does not fit a tensor of shape " + shape_text(source) + ": " +
                   first_sentence(*r.error));
    return;
  }
  torch::Tensor permuted = index.permute(axes);
  if (viewed.sizes() != permuted.sizes()) {
    r.inconclusive("the view gives shape " + shape_text(viewed.sizes()) + " and permute" + shape_text(axes) +
                   " gives " + shape_text(permuted.sizes()) + ": they do not describe the same layout, nothing to compare");
    return;
  }
  int64_t elements = index.numel();
  int64_t misplaced = viewed.ne(permuted).sum().item<int64_t>();
  double fraction = elements ? double(misplaced) / double(elements) : 0;
  r.metric("misplaced_fraction", fraction, "fraction", 0);
  r.metric("misplaced_elements", double(misplaced), "elements");
  r.metric("elements", double(elements), "elements");
  if (misplaced > 0) {
    r.confirmed(fmt(fraction * 100, 3) + "% of the elements (" + std::to_string(misplaced) + " of " +
                std::to_string(elements) + ") land elsewhere after view" + shape_text(target) + " than after permute" +
                shape_text(axes) + ": they belong to another sample or time step");
    return;
  }
  r.not_confirmed("view" + shape_text(target) + " puts every element where permute" + shape_text(axes) +
                  " does (shape " + shape_text(source) + ")");
}

}  // namespace lstmlint::replay
