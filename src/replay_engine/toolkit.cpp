// The reference model and the helpers every experiment shares.
#include <torch/csrc/autograd/function.h>

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

LoaderConfig read_loader(Spec& spec) {
  LoaderConfig c;
  c.batch = spec.original("batch_size", c.batch);
  c.length = spec.original("dataset_length", c.length);
  c.drop_last = spec.boolean("drop_last", c.drop_last);
  return c;
}

LayerConfig read_layer(Spec& spec) {
  LayerConfig c;
  c.cell = spec.choice("cell", "lstm", {"lstm", "gru", "rnn"});
  c.input_size = spec.size("input_size");
  c.hidden_size = spec.size("hidden_size");
  c.num_layers = spec.size("num_layers");
  c.batch_first = spec.boolean("batch_first", false);
  c.bidirectional = spec.boolean("bidirectional", false);
  return c;
}

State State::detach() const {
  State s;
  if (h.defined()) s.h = h.detach();
  if (c.defined()) s.c = c.detach();
  return s;
}

ReferenceModel::ReferenceModel(const LayerConfig& config, int64_t output_size) : config_(config) {
  const auto& c = config_;
  if (c.cell == "lstm") {
    lstm_ = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(c.input_size, c.hidden_size)
                                                       .num_layers(c.num_layers)
                                                       .batch_first(c.batch_first)
                                                       .bidirectional(c.bidirectional)));
  } else if (c.cell == "gru") {
    gru_ = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(c.input_size, c.hidden_size)
                                                     .num_layers(c.num_layers)
                                                     .batch_first(c.batch_first)
                                                     .bidirectional(c.bidirectional)));
  } else {
    rnn_ = register_module("rnn", torch::nn::RNN(torch::nn::RNNOptions(c.input_size, c.hidden_size)
                                                     .num_layers(c.num_layers)
                                                     .batch_first(c.batch_first)
                                                     .bidirectional(c.bidirectional)));
  }
  head_ = register_module("head", torch::nn::Linear(c.hidden_size * c.directions(), output_size));
}

std::pair<torch::Tensor, State> ReferenceModel::run(const torch::Tensor& x, const State& state) {
  State out_state;
  torch::Tensor out;
  if (lstm_) {
    std::tuple<torch::Tensor, std::tuple<torch::Tensor, torch::Tensor>> r;
    if (state.defined()) r = lstm_->forward(x, std::make_tuple(state.h, state.c));
    else r = lstm_->forward(x);
    out = std::get<0>(r);
    out_state.h = std::get<0>(std::get<1>(r));
    out_state.c = std::get<1>(std::get<1>(r));
  } else {
    auto r = gru_ ? gru_->forward(x, state.h) : rnn_->forward(x, state.h);
    out = std::get<0>(r);
    out_state.h = std::get<1>(r);
  }
  return {out, out_state};
}

torch::Tensor ReferenceModel::head_last(const torch::Tensor& out) {
  return head_->forward(config_.batch_first ? out.select(1, -1) : out.select(0, -1));
}

torch::Tensor ReferenceModel::head_all(const torch::Tensor& out) {
  return head_->forward(config_.batch_first ? out : out.transpose(0, 1));
}

State ReferenceModel::zeros(int64_t batch) const {
  State s;
  s.h = torch::zeros({config_.state_rows(), batch, config_.hidden_size});
  if (config_.cell == "lstm") s.c = torch::zeros({config_.state_rows(), batch, config_.hidden_size});
  return s;
}

void ReferenceModel::reset_recurrent_parameters() {
  torch::NoGradGuard no_grad;
  if (lstm_) lstm_->reset_parameters();
  if (gru_) gru_->reset_parameters();
  if (rnn_) rnn_->reset_parameters();
}

torch::Tensor random_input(const LayerConfig& config, int64_t seq_len, int64_t batch, int64_t features) {
  if (config.batch_first) return torch::randn({batch, seq_len, features});
  return torch::randn({seq_len, batch, features});
}

// ---- loss and optimizer -----------------------------------------------------------------------

LossFn read_loss(Spec& spec) {
  return LossFn(spec.choice("loss", "mse", {"mse", "l1", "cross_entropy", "bce", "nll"}, "mse"));
}

int64_t LossFn::output_width(int64_t output_size) const {
  return classification() ? std::max<int64_t>(output_size, 2) : output_size;
}

torch::Tensor LossFn::random_target(int64_t batch, int64_t width, double scale) const {
  if (classification()) return torch::randint(0, width, {batch}, torch::kLong);
  if (name_ == "bce") return torch::randint(0, 2, {batch, width}).to(torch::kFloat);
  return torch::randn({batch, width}) * scale;
}

torch::Tensor LossFn::operator()(const torch::Tensor& prediction, const torch::Tensor& target) const {
  namespace F = torch::nn::functional;
  if (name_ == "l1") return F::l1_loss(prediction, target);
  if (name_ == "cross_entropy") return F::cross_entropy(prediction, target);
  if (name_ == "nll") return F::nll_loss(F::log_softmax(prediction, F::LogSoftmaxFuncOptions(1)), target);
  if (name_ == "bce") return F::binary_cross_entropy_with_logits(prediction, target);
  return F::mse_loss(prediction, target);
}

std::string read_optimizer(Spec& spec) {
  return spec.choice("optimizer", "adam", {"adam", "sgd", "rmsprop", "adagrad"}, "adam");
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& name, std::vector<torch::Tensor> params,
                                                        double lr) {
  using namespace torch::optim;
  if (name == "sgd") return std::make_unique<SGD>(std::move(params), SGDOptions(lr));
  if (name == "rmsprop") return std::make_unique<RMSprop>(std::move(params), RMSpropOptions(lr));
  if (name == "adagrad") return std::make_unique<Adagrad>(std::move(params), AdagradOptions(lr));
  return std::make_unique<Adam>(std::move(params), AdamOptions(lr));
}

// ---- sizes and work -----------------------------------------------------------------------------

double layer_flops(const LayerConfig& c, int64_t seq_len, int64_t batch) {
  double gates = c.cell == "lstm" ? 4 : c.cell == "gru" ? 3 : 1;
  double total = 0;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    double in = l == 0 ? double(c.input_size) : double(c.hidden_size * c.directions());
    total += 2.0 * gates * double(c.hidden_size) * (in + double(c.hidden_size)) * double(c.directions());
  }
  return 3.0 * total * double(seq_len) * double(batch);  // forward + backward ~ 3x forward
}

int64_t layer_parameters(const LayerConfig& c) {
  int64_t gates = c.cell == "lstm" ? 4 : c.cell == "gru" ? 3 : 1;
  int64_t total = 0;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    int64_t in = l == 0 ? c.input_size : c.hidden_size * c.directions();
    total += gates * c.hidden_size * (in + c.hidden_size + 2) * c.directions();
  }
  return total;
}

void fit_training(Spec& spec, LayerConfig& config, int64_t& seq_len, int64_t& batch, int64_t max_seq,
                  double max_flops) {
  auto shrink = [&](const char* key, int64_t& value, int64_t to) {
    if (to >= value) return;
    spec.record_scaled(key, value, to);
    spec.record_used(key, to);
    value = to;
  };
  shrink("seq_len", seq_len, max_seq);
  shrink("batch_size", batch, 32);
  // Optimizer updates and weight gradients cost about 20 flops per parameter.
  auto cost = [&] { return layer_flops(config, seq_len, batch) + 20.0 * double(layer_parameters(config)); };
  auto halve = [&](const char* key, int64_t& value, int64_t floor) {
    while (cost() > max_flops && value > floor) shrink(key, value, std::max(floor, value / 2));
  };
  halve("hidden_size", config.hidden_size, 32);
  while (cost() > max_flops && config.num_layers > 1) shrink("num_layers", config.num_layers, config.num_layers - 1);
  halve("input_size", config.input_size, 8);
  halve("hidden_size", config.hidden_size, 8);
  fit_work(spec, config, seq_len, batch, max_flops);
}

void fit_work(Spec& spec, const LayerConfig& config, int64_t& seq_len, int64_t& batch, double max_flops) {
  int64_t batch0 = batch, seq0 = seq_len;
  while (layer_flops(config, seq_len, batch) > max_flops && batch > 2) batch = std::max<int64_t>(2, batch / 2);
  while (layer_flops(config, seq_len, batch) > max_flops && seq_len > 2) seq_len = std::max<int64_t>(2, seq_len / 2);
  if (batch != batch0) {
    spec.record_scaled("batch_size", batch0, batch);
    spec.record_used("batch_size", batch);
  }
  if (seq_len != seq0) {
    spec.record_scaled("seq_len", seq0, seq_len);
    spec.record_used("seq_len", seq_len);
  }
}

std::vector<int64_t> compress_sizes(const std::vector<int64_t>& values, int64_t cap) {
  std::set<int64_t> distinct(values.begin(), values.end());
  std::vector<int64_t> small, large;
  for (int64_t v : distinct) (v <= cap ? small : large).push_back(v);
  std::map<int64_t, int64_t> to;
  int64_t top_small = small.empty() ? 0 : small.back();
  if (top_small + int64_t(large.size()) <= cap) {
    for (int64_t v : small) to[v] = v;
    for (size_t i = 0; i < large.size(); ++i) to[large[i]] = cap - int64_t(large.size()) + 1 + int64_t(i);
  } else {  // not enough room above the small values: keep only the order
    int64_t next = cap - int64_t(distinct.size()) + 1;
    for (int64_t v : distinct) to[v] = std::max<int64_t>(1, next++);
  }
  std::vector<int64_t> out;
  for (int64_t v : values) out.push_back(to[v]);
  return out;
}

void seed(uint64_t value) { torch::manual_seed(value); }

// ---- evidence helpers -------------------------------------------------------------------------

std::string torch_message(const std::exception& e) {
  std::string m;
  if (auto* c10e = dynamic_cast<const c10::Error*>(&e)) m = c10e->what_without_backtrace();
  else m = e.what();
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  if (m.size() > 600) m = m.substr(0, 597) + "...";
  return m;
}

std::string first_sentence(const std::string& message) {
  size_t cut = std::min({message.find(". "), message.find(" ("), message.find('\n')});
  return cut == std::string::npos ? message : message.substr(0, cut);
}

int64_t autograd_nodes(const torch::Tensor& root) {
  std::unordered_set<const torch::autograd::Node*> seen;
  std::vector<const torch::autograd::Node*> todo;
  if (root.grad_fn()) todo.push_back(root.grad_fn().get());
  while (!todo.empty()) {
    const torch::autograd::Node* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    for (const auto& edge : n->next_edges())
      if (edge.function) todo.push_back(edge.function.get());
  }
  return int64_t(seen.size());
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

std::string shape_text(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

std::string fmt(double value, int significant) {
  std::ostringstream o;
  o << std::setprecision(significant) << value;
  return o.str();
}

}  // namespace lstmlint::replay
