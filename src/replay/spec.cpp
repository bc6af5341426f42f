// Replay specs from the semantic model: the rule's facts, then the layer, loader, optimizer
// and loss the notebook states, each value with the span of the argument that states it.
#include "replay/spec.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "semantic/data_flow.h"
#include "semantic/history.h"
#include "semantic/shapes.h"

namespace lstmlint::replay {
namespace {

using engine::Fact;
using semantic::Argument;
using semantic::Call;
using semantic::Model;
using semantic::Value;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string last_component(const std::string& qualified) {
  auto dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

class SpecBuilder {
 public:
  SpecBuilder(const engine::Finding& finding, const Model& model, const notebook::Notebook& nb)
      : finding_(finding), model_(model), nb_(nb) {
    // Where the re-initialisation runs comes from the loop structure around its call sites,
    // before the rule's own (assumed) schedule.
    if (finding.name == "weights-reinit-as-reset") reinit_schedule();
    if (finding.name == "missing-zero-grad") zero_grad_schedule();
    for (const auto& f : finding.hint.facts) add(f);
  }

  std::vector<Fact> build() {
    bool keras = finding_.name.rfind("keras-", 0) == 0;
    const semantic::RecurrentLayer* layer = chosen_layer(keras);
    if (layer && !layer->keras) {
      layer_values(*layer);  // what the value-flow model says reaches the layer, with origins
      torch_layer(*layer);   // then what its own call states literally
    }
    if (layer && layer->keras) keras_layer(*layer);
    if (keras) {
      if (const Call* fit = finding_call("fit")) keras_fit(*fit);
      keras_loss();
    } else {
      if (const Call* loader = chosen_loader()) {
        torch_loader(*loader);
        epochs(*loader);
      }
      if (layer) head_outputs(*layer);
      optimizer();
      loss();
    }
    if (finding_.name == "out-of-order-execution" || finding_.name == "training-resumed-on-stale-model") saved_loss();
    return std::move(facts_);
  }

 private:
  void add(Fact f) {
    if (std::any_of(facts_.begin(), facts_.end(), [&](const Fact& g) { return g.key == f.key; })) return;
    facts_.push_back(std::move(f));
  }

  std::optional<Span> origin(const Argument* a, int cell) const {
    if (!a) return std::nullopt;
    TSNode parent = ts_node_parent(a->node);
    return model_.span_of(python::is(parent, "keyword_argument") ? parent : a->node, cell);
  }

  // A stated argument with a known value becomes a fact; anything else is left to the default.
  void integer(const std::string& key, const Argument* a, int cell) {
    if (!a || a->unpacked) return;
    if (auto v = a->value.as_int()) add(Fact::integer(key, *v, origin(a, cell)));
  }
  void boolean(const std::string& key, const Argument* a, int cell) {
    if (!a || a->unpacked) return;
    if (auto v = a->value.as_bool()) add(Fact::boolean(key, *v, origin(a, cell)));
  }
  void number(const std::string& key, const Argument* a, int cell) {
    if (!a || a->unpacked) return;
    if (auto v = a->value.as_number()) add(Fact::number(key, *v, origin(a, cell)));
  }

  const semantic::RecurrentLayer* chosen_layer(bool keras) const {
    const auto& layers = model_.recurrent_layers();
    if (finding_.hint.layer >= 0 && static_cast<size_t>(finding_.hint.layer) < layers.size())
      return &layers[static_cast<size_t>(finding_.hint.layer)];
    for (const auto& r : layers)
      if (r.keras == keras && (!keras || r.stateful.as_bool() == true)) return &r;
    for (const auto& r : layers)
      if (r.keras == keras) return &r;
    return nullptr;
  }

  void torch_layer(const semantic::RecurrentLayer& r) {
    const Call& c = model_.calls()[static_cast<size_t>(r.call)];
    std::string kind = lower(r.kind);
    if (kind.size() > 4 && kind.substr(kind.size() - 4) == "cell") kind.resize(kind.size() - 4);
    add(Fact::text("cell", kind, model_.span_of(c.node, c.cell)));
    integer("input_size", c.argument(0, "input_size"), c.cell);
    integer("hidden_size", c.argument(1, "hidden_size"), c.cell);
    integer("num_layers", c.argument(2, "num_layers"), c.cell);
    boolean("batch_first", c.argument(4, "batch_first"), c.cell);
    boolean("bidirectional", c.argument(6, "bidirectional"), c.cell);
  }

  // Hyper-parameters as the value-flow model resolved them (through constructors, config dicts,
  // defaults of notebook classes), each with the place its value is written; the sequence
  // length and features from the shape of what reaches the layer.
  void layer_values(const semantic::RecurrentLayer& r) {
    int index = model_.layer_index(&r);
    semantic::Ref v = model_.layer_value(index);
    if (!v) return;
    auto known_int = [&](const std::string& key, const std::string& field) {
      semantic::Ref f = v->field(field);
      auto i = f ? f->as_int() : std::nullopt;
      if (!i || !f->origin.known()) return;  // unstated: the replay's documented default
      add(Fact::integer(key, *i, f->origin.span(model_)));
    };
    auto known_bool = [&](const std::string& key, const std::string& field) {
      semantic::Ref f = v->field(field);
      auto b = f ? f->as_bool() : std::nullopt;
      if (!b || !f->origin.known()) return;
      add(Fact::boolean(key, *b, f->origin.span(model_)));
    };
    known_int("input_size", "input_size");
    known_int("hidden_size", "hidden_size");
    known_int("num_layers", "num_layers");
    known_bool("batch_first", "batch_first");
    known_bool("bidirectional", "bidirectional");
    auto bf = v->field("batch_first");
    auto batch_first = bf ? bf->as_bool() : std::nullopt;
    if (!batch_first) return;
    for (const auto& ev : model_.values().recurrent_calls()) {
      if (ev.layer != v || !ev.input || ev.input->kind != semantic::AValue::Kind::Tensor || !ev.input->ranked ||
          ev.input->shape.size() != 3)
        continue;
      const semantic::Dim& steps = ev.input->shape[*batch_first ? 1 : 0];
      if (!steps.size) continue;
      add(Fact::integer("seq_len", *steps.size,
                        steps.origin.known() ? steps.origin.span(model_) : model_.span_of(ev.node, ev.cell)));
      return;
    }
  }

  // Keras: LSTM(units, input_shape=(timesteps, features)) or batch_input_shape=(batch, timesteps, features).
  void keras_layer(const semantic::RecurrentLayer& r) {
    const Call& c = model_.calls()[static_cast<size_t>(r.call)];
    add(Fact::text("cell", lower(r.kind).find("gru") != std::string::npos ? "gru"
                           : lower(r.kind) == "simplernn"                 ? "rnn"
                                                                          : "lstm",
                   model_.span_of(c.node, c.cell)));
    integer("hidden_size", c.argument(0, "units"), c.cell);
    const Argument* shape = c.keyword("batch_input_shape");
    bool with_batch = shape != nullptr;
    if (!shape) shape = c.keyword("input_shape");
    if (!shape || shape->value.kind != Value::Kind::Tuple) return;
    const auto& items = shape->value.items;
    size_t first = with_batch ? 1 : 0;
    if (items.size() != first + 2) return;
    if (with_batch)
      if (auto b = items[0].as_int()) add(Fact::integer("batch_size", *b, origin(shape, c.cell)));
    if (auto t = items[first].as_int()) add(Fact::integer("seq_len", *t, origin(shape, c.cell)));
    if (auto f = items[first + 1].as_int()) add(Fact::integer("input_size", *f, origin(shape, c.cell)));
  }

  // The call of that method the finding points at (its span starts where the finding does).
  const Call* finding_call(const std::string& method) const {
    for (const Call& c : model_.calls())
      if (c.method == method && c.span.start == finding_.span.start) return &c;
    return nullptr;
  }

  void keras_fit(const Call& fit) {
    integer("batch_size", fit.argument(2, "batch_size"), fit.cell);
    integer("epochs", fit.argument(3, "epochs"), fit.cell);
    if (const Argument* s = fit.keyword("shuffle")) boolean("shuffle", s, fit.cell);
    else add(Fact::boolean("shuffle", true, std::nullopt, "Keras' default"));
    if (const Argument* x = fit.argument(0, "x"); x && !x->unpacked)
      if (auto n = semantic::first_dim_of(model_, x->node, fit.cell, fit.scope))
        add(Fact::integer("dataset_length", *n, model_.span_of(x->node, fit.cell)));
  }

  // `model.compile(loss="binary_crossentropy", ...)`: the Keras loss by its name.
  void keras_loss() {
    static const std::pair<const char*, const char*> names[] = {
        {"binary_crossentropy", "bce"}, {"categorical_crossentropy", "cross_entropy"},
        {"sparse_categorical_crossentropy", "cross_entropy"}, {"mse", "mse"}, {"mean_squared_error", "mse"},
        {"mae", "l1"}, {"mean_absolute_error", "l1"}};
    for (const Call& c : model_.calls()) {
      if (c.method != "compile") continue;
      const Argument* a = c.argument(1, "loss");
      if (!a || a->unpacked || a->value.kind != Value::Kind::Str) continue;
      for (const auto& [name, kind] : names)
        if (a->value.str == name) return add(Fact::text("loss", kind, origin(a, c.cell)));
    }
  }

  const Call* chosen_loader() const {
    const auto& calls = model_.calls();
    if (finding_.hint.loader >= 0 && static_cast<size_t>(finding_.hint.loader) < calls.size())
      return &calls[static_cast<size_t>(finding_.hint.loader)];
    for (const auto& use : semantic::loader_loops(model_)) return use.loader;
    return nullptr;
  }

  void torch_loader(const Call& loader) {
    integer("batch_size", loader.argument(1, "batch_size"), loader.cell);
    boolean("shuffle", loader.keyword("shuffle"), loader.cell);
    boolean("drop_last", loader.keyword("drop_last"), loader.cell);
    const Argument* dataset = loader.argument(0, "dataset");
    if (auto n = semantic::dataset_length(model_, loader); n && dataset)
      add(Fact::integer("dataset_length", *n, model_.span_of(dataset->node, loader.cell)));
  }

  void optimizer() {
    const auto& creations = model_.optimizer_creations();
    if (creations.empty()) return;
    const Call& c = model_.calls()[static_cast<size_t>(creations.front().call)];
    add(Fact::text("optimizer", lower(last_component(creations.front().kind)), model_.span_of(c.node, c.cell)));
    number("lr", c.argument(1, "lr"), c.cell);
  }

  void loss() {
    static const std::pair<const char*, const char*> losses[] = {
        {"MSELoss", "mse"}, {"mse_loss", "mse"}, {"L1Loss", "l1"}, {"l1_loss", "l1"},
        {"SmoothL1Loss", "l1"}, {"CrossEntropyLoss", "cross_entropy"}, {"cross_entropy", "cross_entropy"},
        {"BCELoss", "bce"}, {"BCEWithLogitsLoss", "bce"}, {"binary_cross_entropy", "bce"}, {"NLLLoss", "nll"},
        {"nll_loss", "nll"}};
    for (const Call& c : model_.calls()) {
      if (c.qualified.rfind("torch.nn.", 0) != 0) continue;
      std::string last = last_component(c.qualified);
      for (const auto& [name, kind] : losses)
        if (last == name) return add(Fact::text("loss", kind, model_.span_of(c.node, c.cell)));
    }
  }

  // The first loss the flagged training cell printed, from its saved outputs. The comparison
  // with fresh models can only decide on a loss printed at the first step (before any update)
  // of a classification loss (whose fresh value, about ln(classes), does not depend on the
  // data); anything else is stated as `undecidable`, and the client reports it INCONCLUSIVE
  // without loading LibTorch.
  void undecidable(const std::string& why) {
    add(Fact::text("undecidable", why, std::nullopt, "why replay cannot decide from this notebook"));
  }

  void saved_loss() {
    int cell = finding_.span.start.cell;
    if (cell < 1 || static_cast<size_t>(cell) > nb_.cells.size()) return;
    bool trains = false;
    for (const auto& c : model_.cells())
      if (c.index == cell) trains = c.trains();
    for (const Call& c : model_.calls())
      if (c.cell == cell && (c.method == "fit" || c.method == "fit_generator" || c.method == "train_on_batch") &&
          !c.receiver.empty() && c.qualified.rfind("sklearn", 0) != 0)
        trains = true;
    std::string which = "cell " + std::to_string(cell);
    if (!trains)
      return undecidable(which + " runs no training step replay recognises (PyTorch backward() and step(), Keras fit()): it printed no "
                                           "loss of a training run to compare with fresh models");
    for (const auto& out : nb_.cells[static_cast<size_t>(cell - 1)].outputs) {
      auto found = semantic::first_training_loss(out.text);
      if (!found) continue;
      add(Fact::number("saved_first_loss", found->value, std::nullopt, "the cell's saved output: `" + found->text + "`"));
      if (!found->first_step)
        return undecidable("the first loss " + which + " printed (`" + found->text +
                                                 "`) follows some training (an epoch, or steps past the first): a fresh "
                                                 "model that trains as long can get as low, so it cannot tell a resumed "
                                                 "run from a fresh one");
      auto loss = std::find_if(facts_.begin(), facts_.end(), [](const Fact& f) { return f.key == "loss"; });
      if (loss == facts_.end())
        return undecidable("the notebook's loss function is not known to replay, so neither is what "
                                             "a fresh model's first loss would be");
      if (loss->json != "\"cross_entropy\"" && loss->json != "\"nll\"" && loss->json != "\"bce\"")
        return undecidable("a fresh model's first " + loss->json + " loss depends on the scale of the "
                                             "notebook's targets, which replay does not know");
      return;
    }
    undecidable(which + "'s saved output prints no training loss");
  }

  // ---- where a re-initialisation runs -----------------------------------------------------

  // The notebook function a call runs: a plain function, or a method of the notebook class
  // whose instance receives it (`model.reset_states()`, `self.reset_states()`).
  int called_function(const Call& c) const {
    if (c.target_function >= 0) return c.target_function;
    if (c.receiver.empty() || c.method.empty()) return -1;
    int cls = -1;
    if (c.receiver == "self" && c.function >= 0)
      cls = model_.functions()[static_cast<size_t>(c.function)].enclosing_class;
    else
      cls = model_.instance_class(c.receiver, c.cell, ts_node_start_byte(c.node));
    if (cls < 0) return -1;
    const auto& methods = model_.classes()[static_cast<size_t>(cls)].methods;
    auto it = methods.find(c.method);
    return it == methods.end() ? -1 : it->second;
  }

  // Whether a function calls backward() outside any loop of its own (once per call).
  bool backward_once_per_call(int function, int depth) const {
    if (function < 0 || depth > 3) return false;
    for (int id : model_.functions()[static_cast<size_t>(function)].calls) {
      const Call& c = model_.calls()[static_cast<size_t>(id)];
      if (!c.loops.empty()) continue;
      if (c.method == "backward") return true;
      if (backward_once_per_call(called_function(c), depth + 1)) return true;
    }
    return false;
  }

  // Whether each iteration of the loop runs backward() once: a backward() (or a function that
  // runs one) directly in its body, not in a loop nested inside it.
  bool backward_per_iteration(int loop) const {
    for (const Call& c : model_.calls()) {
      if (c.loops.empty() || c.loops.back() != loop) continue;
      if (c.method == "backward" || backward_once_per_call(called_function(c), 0)) return true;
    }
    return false;
  }

  // "per_batch" when the call runs in the loop whose iterations each take a training step,
  // "per_epoch" when it runs in a loop around that one; followed through the notebook
  // functions and methods that contain it, up to a few calls deep.
  std::optional<std::pair<std::string, const Call*>> schedule_of(const Call& c, int depth) const {
    for (auto it = c.loops.rbegin(); it != c.loops.rend(); ++it) {
      if (backward_per_iteration(*it)) return std::make_pair(std::string("per_batch"), &c);
      if (model_.loop_calls(*it, "backward")) return std::make_pair(std::string("per_epoch"), &c);
    }
    if (c.function < 0 || depth >= 4) return std::nullopt;
    for (const Call& site : model_.calls())
      if (&site != &c && called_function(site) == c.function)
        if (auto s = schedule_of(site, depth + 1)) return s;
    return std::nullopt;
  }

  void reinit_schedule() {
    for (const Call& c : model_.calls()) {
      if (!(c.span.start == finding_.span.start)) continue;
      auto s = schedule_of(c, 0);
      if (!s) return;
      const Call& site = *s->second;
      std::string how = s->first == "per_batch" ? "before every batch" : "once per epoch";
      add(Fact::text("reinit", s->first, model_.span_of(site.node, site.cell),
                     "`" + std::string(model_.text_of(site.node, site.cell)) + "` runs " + how));
      return;
    }
  }

  // Where the flagged loop zeroes gradients: once per epoch when a zero_grad() runs in a loop
  // around the one that steps, else never (the rule fires only when no batch zeroes them).
  void zero_grad_schedule() {
    for (const Call& c : model_.calls()) {
      if (c.method != "zero_grad") continue;
      auto s = schedule_of(c, 0);
      if (!s || s->first != "per_epoch") continue;
      const Call& site = *s->second;
      return add(Fact::text("zero_grad", "per_epoch", model_.span_of(site.node, site.cell),
                            "`" + std::string(model_.text_of(site.node, site.cell)) + "` runs once per epoch"));
    }
    add(Fact::text("zero_grad", "never", std::nullopt, "no zero_grad() in the training loop"));
  }

  // ---- what the training loop states ------------------------------------------------------

  // `for epoch in range(N):` around the loop over the loader.
  void epochs(const Call& loader) {
    for (const auto& use : semantic::loader_loops(model_)) {
      if (use.loader != &loader || use.loop < 0) continue;
      int parent = model_.loops()[static_cast<size_t>(use.loop)].parent;
      if (parent < 0) return;
      const semantic::Loop& outer = model_.loops()[static_cast<size_t>(parent)];
      TSNode iterable = python::field(outer.node, "right");
      const Call* range = ts_node_is_null(iterable) ? nullptr : model_.call_for(iterable, outer.cell);
      if (!range || range->callee != "range" || range->args.size() != 1) return;
      integer("epochs", range->positional(0), outer.cell);
      return;
    }
  }

  // The head's width: the out_features of the last nn.Linear of the class that owns the layer
  // (the number of classes for a classification loss).
  void head_outputs(const semantic::RecurrentLayer& r) {
    if (r.cls < 0) return;
    const Call* head = nullptr;
    for (const Call& c : model_.calls()) {
      if (c.qualified != "torch.nn.Linear" || c.function < 0) continue;
      if (model_.functions()[static_cast<size_t>(c.function)].enclosing_class == r.cls) head = &c;
    }
    if (!head) return;
    const Argument* out = head->argument(1, "out_features");
    if (!out || out->unpacked) return;
    if (auto v = out->value.as_int()) return add(Fact::integer("output_size", *v, origin(out, head->cell)));
    semantic::Ref value = model_.values().value_of(out->node, head->cell);
    auto i = value ? value->as_int() : std::nullopt;
    if (!i) return;
    add(Fact::integer("output_size", *i, value->origin.known() ? value->origin.span(model_) : origin(out, head->cell)));
  }

  const engine::Finding& finding_;
  const Model& model_;
  const notebook::Notebook& nb_;
  std::vector<Fact> facts_;
};

}  // namespace

std::vector<engine::Fact> build_spec(const engine::Finding& finding, const semantic::Model& model,
                                     const notebook::Notebook& nb) {
  return SpecBuilder(finding, model, nb).build();
}

}  // namespace lstmlint::replay
