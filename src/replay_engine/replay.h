// The replay toolkit shared by every experiment: the spec (defaults, validation, caps), the
// result (verdict, metrics), the time budget, and the reference recurrent model built from a spec.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lstmlint::replay {

using Json = nlohmann::json;

// A spec value that is missing its meaning (wrong type, <= 0, NaN, unknown choice): INCONCLUSIVE.
struct SpecError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The experiment ran out of its time budget: INCONCLUSIVE "budget exceeded".
struct BudgetExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The literal hyper-parameters of one experiment. Every read validates the value, applies the
// documented default and cap, and records what was used (and what was scaled) for the report.
class Spec {
 public:
  explicit Spec(Json raw) : raw_(std::move(raw)) {}

  bool has(const char* key) const;
  // A positive integer with its default and cap; a larger value is scaled down to the cap.
  int64_t size(const char* key, int64_t fallback, int64_t cap);
  // A common size (input_size, hidden_size, ...): default and cap from the shared table.
  int64_t size(const char* key);
  // The notebook's own value, validated but not capped (for index arithmetic and verdict-relevant
  // quantities); recorded as used.
  int64_t original(const char* key, int64_t fallback);
  double number(const char* key, double fallback);           // finite and > 0
  std::optional<double> optional_number(const char* key);   // finite and >= 0, or absent
  bool boolean(const char* key, bool fallback);
  // One of `allowed`; another string falls back to `fallback` when given (recorded as used), or
  // is an error when `fallback` is null.
  std::string choice(const char* key, const char* fallback_default, std::vector<const char*> allowed,
                     const char* fallback_other = nullptr);
  std::vector<int64_t> shape(const char* key, std::vector<int64_t> fallback, bool allow_minus_one);
  // A permutation of the axes 0..rank-1 (rank = fallback.size()).
  std::vector<int64_t> permutation(const char* key, std::vector<int64_t> fallback);

  // Records that `key` went from the notebook's value to a smaller tensor size.
  void record_scaled(const std::string& key, int64_t from, int64_t to);
  void record_used(const std::string& key, Json value) { used_[key] = std::move(value); }

  const Json& used() const { return used_; }
  const Json& scaled() const { return scaled_; }

 private:
  const Json* find(const char* key) const;
  int64_t positive_integer(const char* key, const Json& v) const;

  Json raw_;
  Json used_ = Json::object();
  Json scaled_ = Json::array();
};

struct Metric {
  std::string name;
  double value = 0;
  std::optional<double> threshold;
  std::string unit;
};

inline constexpr const char* kConfirmed = "CONFIRMED";
inline constexpr const char* kNotConfirmed = "NOT CONFIRMED";
inline constexpr const char* kInconclusive = "INCONCLUSIVE";
inline constexpr const char* kNoReplay = "NO REPLAY";

// Differences in an output or a state at or below this are float noise, not an effect.
inline constexpr double kNoise = 1e-6;

// A measured series for the report's picture: one value per step (or per lag, per batch size).
struct Curve {
  std::string name;  // "loss per step without re-initialisation"
  std::string x;     // what one point is: "step"
  std::string y;     // what is measured: "mse"
  std::vector<double> values;
};

struct Result {
  std::string verdict = kInconclusive;
  std::string summary;
  std::optional<std::string> error;  // LibTorch's own message when it is the evidence
  std::vector<Metric> metrics;
  std::vector<Curve> curves;

  void curve(std::string name, std::string x, std::string y, std::vector<double> values) {
    curves.push_back({std::move(name), std::move(x), std::move(y), std::move(values)});
  }
  void metric(std::string name, double value, std::string unit, std::optional<double> threshold = std::nullopt) {
    metrics.push_back({std::move(name), value, threshold, std::move(unit)});
  }
  void confirmed(std::string s) { verdict = kConfirmed, summary = std::move(s); }
  void not_confirmed(std::string s) { verdict = kNotConfirmed, summary = std::move(s); }
  void inconclusive(std::string s) { verdict = kInconclusive, summary = std::move(s); }
};

// Wall-clock budget of one experiment; loops call check() and stop when it is spent.
class Budget {
 public:
  explicit Budget(double seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double seconds() const { return seconds_; }
  void check() const {
    if (elapsed() > seconds_) throw BudgetExceeded("budget exceeded");
  }

 private:
  double seconds_;
  std::chrono::steady_clock::time_point start_;
};

struct Experiment {
  Spec& spec;
  Result& result;
  Budget& budget;
};

using ExperimentFn = void (*)(Experiment&);
struct TableEntry {
  const char* rule;
  ExperimentFn run;  // null: the rule has no experiment
};
// Generated by cmake/ReplayRules.cmake: every rule of rules/registry, in order.
const std::vector<TableEntry>& experiment_table();

// ---- the reference recurrent model ----------------------------------------------------------

// The layer's constructor arguments as the notebook states them.
struct LayerConfig {
  std::string cell = "lstm";  // lstm | gru | rnn
  int64_t input_size = 1;
  int64_t hidden_size = 32;
  int64_t num_layers = 1;
  bool batch_first = false;
  bool bidirectional = false;

  int64_t directions() const { return bidirectional ? 2 : 1; }
  int64_t state_rows() const { return num_layers * directions(); }
};
// Reads cell, input_size, hidden_size, num_layers, batch_first, bidirectional.
LayerConfig read_layer(Spec& spec);

// The loader the notebook states, with the defaults every experiment assumes where it is silent.
struct LoaderConfig {
  int64_t batch = 32;
  int64_t length = 1000;  // samples in the dataset
  bool drop_last = false;
};
LoaderConfig read_loader(Spec& spec);

// h (and c for an LSTM); undefined tensors mean "no state" (zeros).
struct State {
  torch::Tensor h, c;
  bool defined() const { return h.defined(); }
  State detach() const;
};

// nn.LSTM / nn.GRU / nn.RNN behind one interface, with a linear head for training experiments.
class ReferenceModel : public torch::nn::Module {
 public:
  ReferenceModel(const LayerConfig& config, int64_t output_size);

  // The recurrent layer's output (in the layer's layout) and its final state.
  std::pair<torch::Tensor, State> run(const torch::Tensor& x, const State& state = {});
  // The head on the last time step: (batch, output_size).
  torch::Tensor head_last(const torch::Tensor& out);
  // The head on every step, (batch, time, output_size) whatever the layer's layout.
  torch::Tensor head_all(const torch::Tensor& out);
  State zeros(int64_t batch) const;
  void reset_recurrent_parameters();
  const LayerConfig& config() const { return config_; }

 private:
  LayerConfig config_;
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::RNN rnn_{nullptr};
  torch::nn::Linear head_{nullptr};
};

// A random input of (time, batch, features) laid out as the layer reads it.
torch::Tensor random_input(const LayerConfig& config, int64_t seq_len, int64_t batch, int64_t features);

// The notebook's loss: mse, l1, cross_entropy, bce, nll (another name falls back to mse).
class LossFn {
 public:
  explicit LossFn(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  bool classification() const { return name_ == "cross_entropy" || name_ == "nll"; }
  // The head's output width the loss needs (classification needs at least 2 classes).
  int64_t output_width(int64_t output_size) const;
  torch::Tensor random_target(int64_t batch, int64_t width, double scale) const;
  torch::Tensor operator()(const torch::Tensor& prediction, const torch::Tensor& target) const;

 private:
  std::string name_;
};
LossFn read_loss(Spec& spec);

// adam, sgd, rmsprop, adagrad (another name falls back to adam).
std::string read_optimizer(Spec& spec);
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& name, std::vector<torch::Tensor> params,
                                                        double lr);

// Scales batch and then seq_len down (recorded) until one forward + backward of the layer costs
// at most `max_flops`; for experiments whose verdict does not depend on those sizes.
void fit_work(Spec& spec, const LayerConfig& config, int64_t& seq_len, int64_t& batch, double max_flops = 4e8);
double layer_flops(const LayerConfig& config, int64_t seq_len, int64_t batch);
int64_t layer_parameters(const LayerConfig& config);
// For experiments that train: at most `max_seq` steps and 32 sequences per batch, then a smaller
// model (hidden_size down to 32, then num_layers, input_size, hidden_size down to 8; all recorded) until one training step
// (forward, backward, optimizer update) costs at most `max_flops`. The effects these experiments
// measure do not depend on the model's width; a 2-step sequence would change the task itself.
void fit_training(Spec& spec, LayerConfig& config, int64_t& seq_len, int64_t& batch, int64_t max_seq,
                  double max_flops);

// Maps the notebook's sizes to tensor sizes <= cap, keeping equal values equal, different values
// different, and order; values <= cap are kept.
std::vector<int64_t> compress_sizes(const std::vector<int64_t>& values, int64_t cap);

// Compares the first loss the notebook printed (saved_first_loss) with the initial losses of fresh
// reference models: the shared experiment of out-of-order-execution and
// training-resumed-on-stale-model. `story` names what a far-too-low first loss means.
void compare_with_fresh_starts(Experiment& x, const std::string& story);

// Deterministic seeding for one experiment (and one of its sub-runs).
void seed(uint64_t value);

// LibTorch's message without its C++ backtrace.
std::string torch_message(const std::exception& e);
// The first sentence of a message (up to ". " or " ("), for one-line summaries.
std::string first_sentence(const std::string& message);
// Number of autograd nodes reachable from `root`'s grad_fn.
int64_t autograd_nodes(const torch::Tensor& root);
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b);
std::string shape_text(at::IntArrayRef sizes);
std::string fmt(double value, int significant = 3);

}  // namespace lstmlint::replay
