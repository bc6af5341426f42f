// The value-flow model (semantic/interpreter.h): values and shapes through names, calls,
// classes, containers and loops; budgets on hostile input.
#include <catch2/catch.hpp>

#include "helpers.h"

using lstmlint::semantic::AValue;
using lstmlint::semantic::Ref;
using testing::Analysed;

namespace {
Ref after(const Analysed& a, int cell, const std::string& name) {
  for (const auto& [n, v] : a.model->values().cell_names(cell))
    if (n == name) return v;
  FAIL("no value for " << name << " after cell " << cell);
  return nullptr;
}
std::string shape(const Ref& v) { return v ? v->repr() : "null"; }
}  // namespace

TEST_CASE("shapes follow factories, slicing, unfold, view and permute", "[values]") {
  Analysed a({{"import torch\nimport numpy as np\nrnn = torch.nn.LSTM(1, 4)\ns = torch.linspace(0, 1, 100)\nw = s.unfold(0, 10, 1)\n"
               "x = w[:, :9].unsqueeze(-1)\nv = x.view(-1, 9)\np = x.permute(1, 0, 2)\n"
               "n = np.expand_dims(np.zeros((5, 4)), axis=2)\nr = np.reshape(n, (n.shape[0], n.shape[1], n.shape[2]))", 1}});
  CHECK(shape(after(a, 1, "w")) == "tensor[91, 10] windows");
  CHECK(shape(after(a, 1, "x")) == "tensor[91, 9, 1]");
  CHECK(shape(after(a, 1, "v")) == "tensor[91, 9]");
  CHECK(shape(after(a, 1, "p")) == "tensor[9, 91, 1]");
  CHECK(shape(after(a, 1, "n")) == "tensor[5, 4, 1]");
  CHECK(shape(after(a, 1, "r")) == "tensor[5, 4, 1]");
}

TEST_CASE("layer sizes reach through constructors, defaults and config dicts", "[values]") {
  Analysed a({{"import torch\nfrom torch import nn\ncfg = {'n': 8, 'h': 16}", 1},
              {"class M(nn.Module):\n    def __init__(self, config, layers=2):\n        super().__init__()\n"
               "        self.rnn = nn.LSTM(config['n'], config['h'], layers, batch_first=True)\n"
               "    def forward(self, x):\n        out, _ = self.rnn(x)\n        return out\nm = M(cfg)\ny = m(torch.randn(4, 7, 6))", 2}});
  const auto& calls = a.model->values().recurrent_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].layer->field("input_size")->as_int() == 8);
  CHECK(calls[0].layer->field("num_layers")->as_int() == 2);
  CHECK(calls[0].input->repr() == "tensor[4, 7, 6]");
  CHECK(calls[0].layer->field("input_size")->origin.cell == 1);  // the 8 is written in cell 1
  CHECK(shape(after(a, 2, "y")).rfind("tensor[4, 7, 16]", 0) == 0);
}

TEST_CASE("a loader's last batch is seen when drop_last is false", "[values]") {
  Analysed a({{"import torch\nfrom torch.utils.data import DataLoader, TensorDataset\nlstm = torch.nn.LSTM(3, 5, batch_first=True)\n"
               "dl = DataLoader(TensorDataset(torch.randn(100, 6, 3)), batch_size=32)\n"
               "for xb in dl:\n    out, h = lstm(xb)\n    out.sum().backward()", 1}});
  const auto& calls = a.model->values().recurrent_calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].input->repr() == "tensor[32, 6, 3]");
  CHECK(calls[1].input->repr() == "tensor[4, 6, 3]");
  CHECK(calls[1].last_batch);
}

TEST_CASE("a recurrent output's time axis moves with transpose; [:, -1] while it is axis 0 is noted", "[values]") {
  auto noted = [](const std::string& build, const std::string& use) {
    Analysed a({{"import torch\nlstm = torch.nn.LSTM(3, 5" + build + ")\nout, h = lstm(torch.randn(7, 4, 3))\n" + use, 1}});
    return a.model->values().time_major_indexing().size();
  };
  CHECK(noted("", "y = out[:, -1]") == 1);
  CHECK(noted("", "y = out[:, -1, :]") == 1);
  CHECK(noted("", "y = lstm(torch.randn(7, 4, 3))[0][:, -1]") == 1);
  CHECK(noted("", "y = out[-1]") == 0);                       // the last step: right for (time, batch, hidden)
  CHECK(noted("", "y = out[:, -1:]") == 0);
  CHECK(noted("", "y = out.transpose(0, 1)[:, -1]") == 0);    // (batch, time, hidden) by then
  CHECK(noted("", "y = out.permute(1, 0, 2)[:, -1, :]") == 0);
  CHECK(noted("", "y = h[0][:, -1]") == 0);                   // state, not output
  CHECK(noted(", batch_first=True", "y = out[:, -1]") == 0);
  // an input the interpreter cannot see: taken as batched, time on axis 0
  Analysed unknown({{"import torch\nlstm = torch.nn.GRU(3, 5)\ndef f(x):\n    out, _ = lstm(x)\n    return out[:, -1]", 1}});
  CHECK(unknown.model->values().time_major_indexing().size() == 1);
}

TEST_CASE("state carried through an attribute is stale after backward(), and detach() clears it", "[values]") {
  std::string model = "import torch\nclass M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                      "        self.gru = torch.nn.GRU(2, 3)\n        self.h = None\n    def forward(self, x):\n";
  std::string loop = "m = M()\nfor i in range(5):\n    m(torch.randn(4, 1, 2)).sum().backward()";
  Analysed stale({{model + "        out, self.h = self.gru(x, self.h)\n        return out\n" + loop, 1}});
  Analysed fresh({{model + "        out, h = self.gru(x, self.h)\n        self.h = h.detach()\n        return out\n" + loop, 1}});
  bool any_stale = false;
  for (const auto& c : stale.model->values().recurrent_calls()) any_stale = any_stale || c.stale_state;
  CHECK(any_stale);
  for (const auto& c : fresh.model->values().recurrent_calls()) CHECK_FALSE(c.stale_state);
}

TEST_CASE("a notebook that names no torch recurrent layer is not interpreted (nothing asks about it)", "[values]") {
  Analysed a({{"import torch\nx = torch.zeros((3, 4))", 1}});
  CHECK(a.model->values().cell_names(1).empty());
  CHECK(a.model->values().steps() == 0);
  Analysed partial({{"import functools\nimport torch\nmake = functools.partial(torch.nn.GRU, batch_first=True)\nr = make(3, 4)", 1}});
  CHECK(partial.model->values().steps() > 0);
  bool found = false;
  for (const auto& [n, v] : partial.model->values().cell_names(1))
    if (n == "r") found = v->kind == AValue::Kind::Layer && v->field("batch_first")->as_bool() == true && v->field("input_size")->as_int() == 3;
  CHECK(found);
}

TEST_CASE("recursion, deep nesting and huge literals degrade to unknown", "[values]") {
  Analysed recursion({{"import torch\nrnn = torch.nn.GRU(1, 2)\ndef f(n):\n    return g(n)\ndef g(n):\n    return f(n)\nx = f(3)", 1}});
  CHECK(after(recursion, 1, "x")->kind == AValue::Kind::Unknown);
  std::string big = "import torch\nrnn = torch.nn.GRU(1, 2)\nxs = [";
  for (int i = 0; i < 5000; ++i) big += std::to_string(i) + ",";
  big += "]\nn = len(xs)";
  Analysed huge({{big, 1}});
  CHECK(after(huge, 1, "n")->kind == AValue::Kind::Unknown);  // items beyond the budget are not counted
  std::string deep = "import torch\nrnn = torch.nn.GRU(1, 2)\ny = " + std::string(300, '(') + "1" + std::string(300, ')');
  Analysed nested({{deep, 1}});
  CHECK(nested.model->values().exhausted());
}
