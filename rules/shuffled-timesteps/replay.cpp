// Replay of shuffled-timesteps: the notebook's loader semantics (length, batch size, shuffle,
// drop_last, how batches become sequences) applied to time indices, measuring how much temporal
// adjacency survives in the sequences the model sees; then a reference LSTM trained on a task
// that needs order (output the input k steps back) with those sequences and with ordered ones.
#include <cmath>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr double kAdjacencyThreshold = 0.5;  // below: most neighbours in a sequence are not neighbours in time
constexpr double kLossGap = 2.0;             // the notebook loader's loss must be above 2x the ordered one
constexpr double kOrderedLearns = 0.5;       // and the ordered one must learn (below 0.5 x the unit variance)
constexpr int64_t kMaxIndexItems = int64_t(1) << 20;
// The order task: small and fast (about 0.2 s of CPU per training run), tuned so that ordered
// sequences learn the lag reliably.
constexpr int64_t kTaskItems = 1024;  // length of each epoch's task series
constexpr int64_t kMaxLag = 16;
constexpr int64_t kSequencesPerStep = 32;
constexpr int64_t kTrainSteps = 80;
constexpr int64_t kHidden = 16;
constexpr double kTaskLr = 0.03;
// Sequences are cropped to a few steps more than the lag: enough positions that need order.
int64_t task_crop(int64_t k) { return std::max<int64_t>(8, 2 * k + 2); }

struct Loader {
  int64_t items, batch, seq_len;  // seq_len: only for the "view" regrouping
  bool shuffle, drop_last;
  std::string regroup;
};

// The sequences (as item indices) one epoch of the loader gives the model.
std::vector<torch::Tensor> epoch_sequences(const Loader& l) {
  torch::Tensor order = l.shuffle ? torch::randperm(l.items, torch::kLong) : torch::arange(l.items, torch::kLong);
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < l.items; start += l.batch) {
    int64_t len = std::min(l.batch, l.items - start);
    if (len < l.batch && l.drop_last) break;
    torch::Tensor b = order.slice(0, start, start + len);
    if (l.regroup == "batch_as_sequence") {
      out.push_back(b);
      continue;
    }
    for (int64_t s = 0; s + l.seq_len <= len; s += l.seq_len) out.push_back(b.slice(0, s, s + l.seq_len));
  }
  return out;
}

// Fraction of neighbouring positions inside the model's sequences that are neighbours in time,
// and the number of such positions. Sequences are rows of reshaped slices of the order, so that
// millions of items cost a few tensor operations.
std::pair<double, int64_t> adjacency(const Loader& l) {
  torch::Tensor order = l.shuffle ? torch::randperm(l.items, torch::kLong) : torch::arange(l.items, torch::kLong);
  int64_t adjacent = 0, pairs = 0;
  auto count = [&](const torch::Tensor& sequences) {  // (n, len)
    if (sequences.size(0) == 0 || sequences.size(1) < 2) return;
    adjacent += sequences.slice(1, 1).sub(sequences.slice(1, 0, -1)).eq(1).sum().item<int64_t>();
    pairs += sequences.size(0) * (sequences.size(1) - 1);
  };
  auto regroup = [&](const torch::Tensor& batches) {  // (n, batch length)
    if (l.regroup == "batch_as_sequence") return count(batches);
    int64_t per = batches.size(1) / l.seq_len;  // the view's (batch / seq_len, seq_len) rows
    if (per > 0) count(batches.slice(1, 0, per * l.seq_len).reshape({-1, l.seq_len}));
  };
  int64_t full = l.items / l.batch, rest = l.items % l.batch;
  regroup(order.slice(0, 0, full * l.batch).view({full, l.batch}));
  if (rest > 0 && !l.drop_last) regroup(order.slice(0, full * l.batch).view({1, rest}));
  return {pairs ? double(adjacent) / double(pairs) : 0, pairs};
}

// Builds (input, target, mask) batches of the lag-k task from the loader's sequences over a fresh
// noise series: target at position i is the series value k time steps before item i; the loss
// counts positions i >= k, where an ordered sequence still holds that value.
struct TaskBatch {
  torch::Tensor input, target, mask;
};

std::vector<TaskBatch> task_batches(const Loader& l, int64_t k, int64_t count) {
  std::vector<TaskBatch> out;
  std::vector<torch::Tensor> pending;
  int64_t len = 0;
  while (int64_t(out.size()) < count) {
    torch::Tensor series = torch::randn({l.items});
    for (auto& seq : epoch_sequences(l)) {
      if (len == 0) len = std::min(seq.size(0), task_crop(k));
      if (seq.size(0) < len) continue;  // a shorter partial batch
      torch::Tensor ids = seq.slice(0, 0, len);
      torch::Tensor input = series.index_select(0, ids);
      torch::Tensor back = ids - k;
      torch::Tensor target = series.index_select(0, back.clamp_min(0)) * back.ge(0).to(torch::kFloat);
      pending.push_back(torch::stack({input, target}));
      if (int64_t(pending.size()) == kSequencesPerStep) {
        torch::Tensor both = torch::stack(pending);  // (sequences, 2, len)
        torch::Tensor mask = torch::arange(len).ge(k).to(torch::kFloat).view({1, -1}).expand({kSequencesPerStep, len});
        out.push_back({both.select(1, 0).unsqueeze(2), both.select(1, 1), mask});
        pending.clear();
        if (int64_t(out.size()) == count) break;
      }
    }
  }
  return out;
}

torch::Tensor task_loss(const torch::Tensor& pred, const TaskBatch& b) {
  torch::Tensor err = (pred.squeeze(2) - b.target).pow(2) * b.mask;
  return err.sum() / b.mask.sum();
}

// Trains the reference LSTM on the loader's sequences and returns its loss on fresh ones.
double train_lag_task(Experiment& x, const Loader& l, int64_t k, uint64_t seed_value) {
  seed(seed_value);
  LayerConfig config;
  config.hidden_size = kHidden;
  config.batch_first = true;
  ReferenceModel model(config, 1);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(kTaskLr));
  auto train = task_batches(l, k, kTrainSteps);
  for (const auto& b : train) {
    x.budget.check();
    torch::Tensor value = task_loss(model.head_all(model.run(b.input).first), b);
    optimizer.zero_grad();
    value.backward();
    optimizer.step();
  }
  torch::NoGradGuard no_grad;
  auto eval = task_batches(l, k, 4);
  double total = 0;
  for (const auto& b : eval) total += task_loss(model.head_all(model.run(b.input).first), b).item<double>();
  return total / double(eval.size());
}

}  // namespace

void replay_shuffled_timesteps(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  Loader notebook;
  LoaderConfig stated = read_loader(spec);
  notebook.items = stated.length;
  notebook.batch = stated.batch;
  notebook.drop_last = stated.drop_last;
  notebook.shuffle = spec.boolean("shuffle", false);
  notebook.regroup = spec.choice("regroup", "batch_as_sequence", {"batch_as_sequence", "view"});
  notebook.seq_len = notebook.regroup == "view" ? spec.original("seq_len", 20) : 1;
  int64_t k = spec.size("k", 3, kMaxLag);
  if (notebook.items > kMaxIndexItems) {
    spec.record_scaled("dataset_length", notebook.items, kMaxIndexItems);
    notebook.items = kMaxIndexItems;
  }

  seed(1);
  auto [adjacent, pairs] = adjacency(notebook);
  Loader ordered = notebook;
  ordered.shuffle = false;
  auto [ordered_adjacent, ordered_pairs] = adjacency(ordered);
  r.metric("adjacency", adjacent, "fraction", kAdjacencyThreshold);
  r.metric("ordered_adjacency", ordered_adjacent, "fraction");
  r.metric("neighbour_pairs", double(pairs), "pairs");
  if (pairs == 0) {
    r.inconclusive("the sequences the model sees have a single step each (batch_size " + std::to_string(notebook.batch) +
                   (notebook.regroup == "view" ? ", seq_len " + std::to_string(notebook.seq_len) : std::string()) +
                   "): there is no order inside them to measure");
    return;
  }
  if (adjacent >= kAdjacencyThreshold) {
    r.not_confirmed(fmt(adjacent * 100, 3) + "% of neighbouring steps in the model's sequences are neighbours in " +
                    "time (threshold " + fmt(kAdjacencyThreshold * 100) + "%): the loader keeps time order");
    return;
  }
  x.budget.check();

  // The order task on a series of kTaskItems steps per epoch, with the notebook's batching.
  Loader task = notebook;
  task.items = std::min(notebook.items, kTaskItems);
  if (task.items != notebook.items) spec.record_scaled("task_items", notebook.items, task.items);
  Loader task_ordered = task;
  task_ordered.shuffle = false;
  auto sequences = epoch_sequences(task_ordered);
  int64_t longest = 0;
  for (auto& s : sequences) longest = std::max(longest, s.size(0));
  if (longest <= k) {
    r.inconclusive(fmt(adjacent * 100, 3) + "% of neighbouring steps are neighbours in time, but sequences of " +
                   std::to_string(longest) + " steps cannot hold a lag of " + std::to_string(k) + " to test order");
    return;
  }
  double shuffled_loss = train_lag_task(x, task, k, 11);
  double ordered_loss = train_lag_task(x, task_ordered, k, 11);
  r.metric("lag_task_loss", shuffled_loss, "mse");
  r.metric("lag_task_loss_ordered", ordered_loss, "mse", kOrderedLearns);
  r.metric("lag_task_loss_ratio", ordered_loss > 0 ? shuffled_loss / ordered_loss : 0, "x", kLossGap);
  std::string lag = "output the input " + std::to_string(k) + " steps back";
  if (!(ordered_loss < kOrderedLearns)) {
    r.inconclusive(fmt(adjacent * 100, 3) + "% of neighbouring steps are neighbours in time, but the reference LSTM " +
                   "did not learn to " + lag + " even from ordered sequences (loss " + fmt(ordered_loss) + ")");
    return;
  }
  if (shuffled_loss > kLossGap * ordered_loss) {
    int64_t kept = int64_t(std::llround(adjacent * double(pairs)));
    r.confirmed(std::to_string(kept) + " of " + std::to_string(pairs) + " neighbouring steps in the model's sequences (" +
                fmt(adjacent * 100, 3) + "%) are neighbours in time (ordered: " + fmt(ordered_adjacent * 100, 3) +
                "%); a reference LSTM trained to " + lag +
                " reaches loss " + fmt(shuffled_loss) + " with these sequences vs " + fmt(ordered_loss) +
                " with ordered ones");
    return;
  }
  r.inconclusive(fmt(adjacent * 100, 3) + "% of neighbouring steps are neighbours in time, yet the order task's loss (" +
                 fmt(shuffled_loss) + ") is not above " + fmt(kLossGap) + "x the ordered one (" + fmt(ordered_loss) + ")");
}

}  // namespace lstmlint::replay
