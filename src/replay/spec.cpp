// Replay specs from the semantic model: the rule's facts, then the layer, loader, optimizer
// and loss the notebook states, each value with the span of the argument that states it.
#include "replay/spec.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "semantic/data_flow.h"
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
    } else {
      if (const Call* loader = chosen_loader()) torch_loader(*loader);
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

  // The first loss the flagged training cell printed, from its saved outputs.
  void saved_loss() {
    int cell = finding_.span.start.cell;
    if (cell < 1 || static_cast<size_t>(cell) > nb_.cells.size()) return;
    bool trains = false;
    for (const auto& c : model_.cells())
      if (c.index == cell) trains = c.trains();
    if (!trains) return;
    static const std::regex loss_value(R"(loss[^0-9\n=:]{0,12}[=:]?\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?))",
                                       std::regex::icase);
    for (const auto& out : nb_.cells[static_cast<size_t>(cell - 1)].outputs) {
      // Training logs can be long; the first loss is near the top.
      std::string head = out.text.substr(0, 64 * 1024);
      std::smatch m;
      if (!std::regex_search(head, m, loss_value)) continue;
      double v = std::strtod(m[1].str().c_str(), nullptr);
      add(Fact::number("saved_first_loss", v, std::nullopt, "the cell's saved output: `" + m[0].str() + "`"));
      return;
    }
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
