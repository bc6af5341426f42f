// Model facts for the recurrent rules: layers, state feedback, Keras links, ranks, loader loops.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "semantic/data_flow.h"
#include "semantic/keras.h"
#include "semantic/shapes.h"
#include <cstdio>

#include "semantic/interpreter.h"

using testing::Analysed;

namespace {
const char* kNet =
    "import torch\nimport torch.nn as nn\n"
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.lstm = nn.LSTM(3, 8, 2, batch_first=True)\n"
    "    def forward(self, x, h):\n"
    "        out, h = self.lstm(x, h)\n"
    "        return out[:, -1], h\n";
}

TEST_CASE("recurrent layers carry their stated arguments, defaults and owner", "[recurrent]") {
  Analysed a({{kNet, 1}, {"gru = nn.GRU(input_size=4, hidden_size=16, bidirectional=True)", 2}});
  const auto& layers = a.model->recurrent_layers();
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].kind == "LSTM");
  CHECK(layers[0].input_size.as_int() == 3);
  CHECK(layers[0].num_layers.as_int() == 2);
  CHECK(layers[0].batch_first.as_bool() == true);
  CHECK(layers[0].attribute == "lstm");
  CHECK(layers[0].cls == 0);
  CHECK(layers[1].kind == "GRU");
  CHECK(layers[1].batch_first.as_bool() == false);  // PyTorch's default
  CHECK(layers[1].num_layers.as_int() == 1);
  CHECK(layers[1].bidirectional.as_bool() == true);
  CHECK(layers[1].name == "gru");
  CHECK(a.model->recurrent_layer_called(*a.call("self.lstm")) == &layers[0]);
}

namespace {
int count_calls(const lstmlint::semantic::Model& m, bool (*pred)(const lstmlint::semantic::RecurrentCall&)) {
  int n = 0;
  for (const auto& ev : m.values().recurrent_calls()) n += pred(ev) ? 1 : 0;
  return n;
}
}  // namespace

TEST_CASE("state fed back through a training loop: stale, retained or detached", "[recurrent]") {
  auto stale = [](const lstmlint::semantic::RecurrentCall& ev) { return ev.stale_state; };
  auto retained = [](const lstmlint::semantic::RecurrentCall& ev) { return ev.retained_state; };
  const char* loop = "model = Net()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nh = None\n"
                     "for x, y in batches:\n%s    out, h = model(x, h)\n    out.sum().backward(%s)\n    opt.step()";
  auto cell = [&](const char* detach, const char* backward_args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, loop, detach, backward_args);
    return std::string(buf);
  };
  Analysed fed({{kNet, 1}, {cell("", ""), 2}});
  CHECK(count_calls(*fed.model, stale) == 1);  // the second iteration's call gets the freed graph
  CHECK(count_calls(*fed.model, retained) == 0);

  Analysed kept({{kNet, 1}, {cell("", "retain_graph=True"), 2}});
  CHECK(count_calls(*kept.model, stale) == 0);
  CHECK(count_calls(*kept.model, retained) == 1);

  Analysed detached({{kNet, 1}, {cell("    h = tuple(s.detach() for s in h) if h is not None else None\n", ""), 2}});
  CHECK(count_calls(*detached.model, stale) == 0);
  CHECK(count_calls(*detached.model, retained) == 0);

  // No backward() at all: nothing is freed or kept.
  Analysed inference({{kNet, 1}, {"model = Net()\nh = None\nfor x in batches:\n    out, h = model(x, h)", 2}});
  CHECK(count_calls(*inference.model, stale) == 0);
  CHECK(count_calls(*inference.model, retained) == 0);
}

TEST_CASE("a stateful Keras layer links to the binding of its model, not to a reused name", "[recurrent]") {
  Analysed a({{"from tensorflow.keras.models import Sequential\nfrom tensorflow.keras.layers import LSTM, Dense", 1},
              {"model = Sequential([LSTM(4, stateful=True, batch_input_shape=(1, 5, 1)), Dense(1)])\n"
               "model.fit(X, y, batch_size=1)", 2},
              {"model = Sequential([LSTM(4), Dense(1)])\nmodel.fit(X, y, batch_size=32)", 3}});
  auto models = lstmlint::semantic::stateful_keras_models(*a.model);
  REQUIRE(models.size() == 1);
  auto fits = lstmlint::semantic::fit_calls(*a.model, models);
  REQUIRE(fits.size() == 1);
  CHECK(fits[0]->cell == 2);
}

TEST_CASE("ranks from constructors, views, unsqueeze, unfold and names", "[recurrent]") {
  Analysed a({{"import torch\nimport numpy as np\nL = 30\na = torch.randn(100, L, 3)\nb = a.view(-1, 3)\n"
               "c = torch.linspace(0, 1, 50).unsqueeze(1)\nd = c[:-1]\ne = torch.sin(torch.arange(10)).unfold(0, 4, 1)\n"
               "f = np.zeros((5, 2))\ng = load()\n", 1}});
  auto rank = [&](const std::string& name) {
    const auto& ids = a.model->module_bindings(name);
    const auto& b = a.model->bindings()[static_cast<size_t>(ids.back())];
    return lstmlint::semantic::rank_of(*a.model, b.value, 1, 0);
  };
  CHECK(rank("a") == 3);
  CHECK(rank("b") == 2);
  CHECK(rank("c") == 2);
  CHECK(rank("d") == 2);
  CHECK(rank("e") == 2);
  CHECK(rank("f") == 2);
  CHECK_FALSE(rank("g").has_value());
}

TEST_CASE("loader loops: plain, enumerated, through names", "[recurrent]") {
  Analysed a({{"from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=8, shuffle=True)\n"
               "for xb, yb in loader:\n    pass\nfor i, (inputs, targets) in enumerate(loader):\n    pass\n"
               "for row in rows:\n    pass", 1}});
  auto loops = lstmlint::semantic::loader_loops(*a.model);
  REQUIRE(loops.size() == 2);
  CHECK(loops[0].batch == "xb");
  CHECK(loops[1].batch == "inputs");
  CHECK(loops[0].loader->keyword("shuffle")->value.as_bool() == true);
}
