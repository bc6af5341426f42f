// Semantic model: imports and aliases, scoping, call arguments and constants, classes, training facts.
#include <algorithm>

#include <catch2/catch.hpp>

#include "helpers.h"

using lstmlint::semantic::BindingKind;
using lstmlint::semantic::NameRead;
using lstmlint::semantic::Value;
using testing::Analysed;

namespace {
std::vector<std::string> global_reads_at_run(const Analysed& a, int cell) {
  std::vector<std::string> names;
  for (int id : a.model->cell(cell).reads) {
    const NameRead& r = a.model->reads()[static_cast<size_t>(id)];
    if (r.global && r.at_cell_run) names.push_back(r.name);
  }
  return names;
}
bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
}  // namespace

TEST_CASE("imports and aliases resolve to qualified names across cells", "[semantic]") {
  Analysed a({{"import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader as DL\nfrom torch import optim", 1},
              {"lstm = nn.LSTM(10, 20)\nloader = DL(ds, batch_size=4)\nopt = optim.Adam(lstm.parameters())\nx = torch.nn.functional.relu(y)", 2}});
  CHECK(a.call("nn.LSTM")->qualified == "torch.nn.LSTM");
  CHECK(a.call("DL")->qualified == "torch.utils.data.DataLoader");
  CHECK(a.call("optim.Adam")->qualified == "torch.optim.Adam");
  CHECK(a.call("torch.nn.functional.relu")->qualified == "torch.nn.functional.relu");
  CHECK(a.call("lstm.parameters")->qualified.empty());  // a variable, not a module path
  CHECK(a.call("lstm.parameters")->receiver == "lstm");
  CHECK(a.call("lstm.parameters")->method == "parameters");
}

TEST_CASE("a name rebound to a non-import no longer resolves to the module", "[semantic]") {
  Analysed a({{"import torch.nn as nn\nnn = MyWrapper()\nnn.LSTM(1, 2)", 1}});
  CHECK(a.call("nn.LSTM")->qualified.empty());
}

TEST_CASE("an import inside a function is local to it", "[semantic]") {
  Analysed a({{"def build():\n    import torch.nn as nn\n    return nn.GRU(4, 8)\n", 1}});
  CHECK(a.call("nn.GRU")->qualified == "torch.nn.GRU");
}

TEST_CASE("positional and keyword arguments with constant propagation", "[semantic]") {
  Analysed a({{"batch_size = 32\nhidden = 2 * 64\nlr = 1e-3\nname = 'adam'\nshape = (batch_size, 10)", 1},
              {"from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size, shuffle=True, drop_last=False)\n"
               "f(hidden, lr=lr, kind=name, s=shape, n=None, neg=-batch_size // 5)", 2}});
  const auto* loader = a.call("DataLoader");
  REQUIRE(loader);
  REQUIRE(loader->args.size() == 2);
  CHECK(loader->args[1].value.as_int() == 32);
  CHECK(loader->keyword("shuffle")->value.as_bool() == true);
  CHECK(loader->keyword("drop_last")->value.as_bool() == false);
  CHECK(loader->argument(1, "batch_size")->value.as_int() == 32);
  const auto* f = a.call("f");
  CHECK(f->args[0].value.as_int() == 128);
  CHECK(f->keyword("lr")->value.as_number() == Approx(0.001));
  CHECK(f->keyword("kind")->value.str == "adam");
  CHECK(f->keyword("s")->value.repr() == "(32, 10)");
  CHECK(f->keyword("n")->value.kind == Value::Kind::None);
  CHECK(f->keyword("neg")->value.as_int() == -7);  // Python floors: -32 // 5 == -7
}

TEST_CASE("constants that change or depend on control flow are unknown", "[semantic]") {
  Analysed a({{"n = 10\nif cond:\n    n = 20\nf(n)\nm = 5\nm += 1\ng(m)\nfor k in range(3):\n    pass\nh(k)", 1}});
  CHECK_FALSE(a.call("f")->args[0].value.known());
  CHECK_FALSE(a.call("g")->args[0].value.known());
  CHECK_FALSE(a.call("h")->args[0].value.known());
}

TEST_CASE("constant propagation follows top-down order across cells", "[semantic]") {
  Analysed a({{"bs = 16", 1}, {"f(bs)", 2}, {"bs = 64", 3}, {"g(bs)", 4}});
  CHECK(a.call("f")->args[0].value.as_int() == 16);
  CHECK(a.call("g")->args[0].value.as_int() == 64);
}

TEST_CASE("function bodies are deferred; their locals are not module reads", "[semantic]") {
  Analysed a({{"def train(model):\n    loss = model(x)\n    return loss + offset\nresult = train(net)\n", 1}});
  auto reads = global_reads_at_run(a, 1);
  CHECK(contains(reads, "train"));
  CHECK(contains(reads, "net"));
  CHECK_FALSE(contains(reads, "model"));
  CHECK_FALSE(contains(reads, "offset"));  // read at call time, inside the body
  CHECK_FALSE(contains(reads, "loss"));
  bool offset_global = false;
  for (const auto& r : a.model->reads())
    if (r.name == "offset") offset_global = r.global && !r.at_cell_run;
  CHECK(offset_global);
}

TEST_CASE("comprehension, lambda and class scopes", "[semantic]") {
  Analysed a({{"ys = [x * k for x in xs if x > lim]\nf = lambda v: v + w\n"
               "class Net:\n    size = base * 2\n    def forward(self, z):\n        return size\n", 1}});
  auto reads = global_reads_at_run(a, 1);
  CHECK(contains(reads, "xs"));
  CHECK(contains(reads, "k"));
  CHECK(contains(reads, "lim"));
  CHECK_FALSE(contains(reads, "x"));
  CHECK_FALSE(contains(reads, "w"));  // lambda body runs later
  CHECK(contains(reads, "base"));      // class bodies run at definition
  // `size` inside the method skips the class scope and resolves to the module.
  bool size_in_method_global = false;
  for (const auto& r : a.model->reads())
    if (r.name == "size") size_in_method_global = r.global;
  CHECK(size_in_method_global);
}

TEST_CASE("global declarations bind in the module; nonlocal does not", "[semantic]") {
  Analysed a({{"def setup():\n    global model\n    model = Net()\n", 1}});
  const auto& ids = a.model->module_bindings("model");
  REQUIRE(ids.size() == 1);
  CHECK(a.model->bindings()[static_cast<size_t>(ids[0])].deferred);
}

TEST_CASE("binding targets: for, with, except, walrus, import, def, class, del", "[semantic]") {
  Analysed a({{"for i, (a, b) in enumerate(pairs):\n    pass\nwith open(p) as fh:\n    pass\n"
               "try:\n    pass\nexcept ValueError as err:\n    pass\nif (n := len(xs)) > 0:\n    pass\n"
               "import os.path\ndef f(): pass\nclass C: pass\ndel xs\n", 1}});
  for (const char* name : {"i", "a", "b", "fh", "err", "n", "os", "f", "C", "xs"}) {
    INFO(name);
    CHECK_FALSE(a.model->module_bindings(name).empty());
  }
  const auto& os = a.model->bindings()[static_cast<size_t>(a.model->module_bindings("os")[0])];
  CHECK(os.kind == BindingKind::Import);
  CHECK(os.qualified == "os");
}

TEST_CASE("reads before the binding in the same statement come first", "[semantic]") {
  Analysed a({{"x = x + 1", 1}});
  const auto& b = a.model->bindings()[static_cast<size_t>(a.model->module_bindings("x")[0])];
  for (const auto& r : a.model->reads())
    if (r.name == "x") CHECK(r.byte < b.effective_byte);
}

TEST_CASE("nn.Module subclasses, methods and self attributes", "[semantic]") {
  Analysed a({{"import torch.nn as nn\nclass Base(nn.Module):\n    pass\n"
               "class Forecaster(Base):\n    def __init__(self, h):\n        super().__init__()\n"
               "        self.lstm = nn.LSTM(1, h, batch_first=True)\n        self.fc = nn.Linear(h, 1)\n"
               "    def forward(self, x):\n        out, _ = self.lstm(x)\n        return self.fc(out[:, -1])\n"
               "class Plain:\n    pass\n", 1}});
  const auto& classes = a.model->classes();
  REQUIRE(classes.size() == 3);
  CHECK(classes[0].bases == std::vector<std::string>{"torch.nn.Module"});
  CHECK(classes[0].is_nn_module);
  CHECK(classes[1].is_nn_module);  // through the notebook's own base class
  CHECK_FALSE(classes[2].is_nn_module);
  CHECK(classes[1].methods.count("forward"));
  std::vector<std::string> attrs;
  for (const auto& at : classes[1].attributes) attrs.push_back(at.name);
  CHECK(attrs == std::vector<std::string>{"lstm", "fc"});
  CHECK(a.call("nn.LSTM")->keyword("batch_first")->value.as_bool() == true);
}

TEST_CASE("training facts: models, optimizers and effects through functions", "[semantic]") {
  Analysed a({{"import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    pass", 1},
              {"model = Net().to('cpu')\nopt = torch.optim.Adam(model.parameters(), lr=0.01)", 2},
              {"def train_epoch(net, optimizer):\n    optimizer.zero_grad()\n    loss = net(x).sum()\n"
               "    loss.backward()\n    optimizer.step()\n", 3},
              {"for epoch in range(3):\n    train_epoch(model, opt)", 4}});
  REQUIRE(a.model->model_creations().size() == 1);
  CHECK(a.model->model_creations()[0].name == "model");
  CHECK(a.model->model_creations()[0].cell == 2);
  REQUIRE(a.model->optimizer_creations().size() == 1);
  CHECK(a.model->optimizer_creations()[0].models == std::vector<std::string>{"model"});
  CHECK(a.model->optimizer_creations()[0].kind == "torch.optim.Adam");
  const auto& train_cell = a.model->cell(4);
  CHECK(train_cell.trains());
  CHECK_FALSE(a.model->cell(3).trains());  // defining the function runs nothing
  bool steps_opt = false;
  for (const auto& e : train_cell.effects) steps_opt = steps_opt || (e.method == "step" && e.object == "opt");
  CHECK(steps_opt);
  CHECK(train_cell.runtime_reads.count("model"));
}

TEST_CASE("model.to(device) on an existing model is not a new model", "[semantic]") {
  Analysed a({{"import torch.nn as nn\nmodel = nn.LSTM(1, 2)\nmodel = model.to(device)", 1}});
  CHECK(a.model->model_creations().size() == 1);
}

TEST_CASE("spans are 1-based cell, line and character columns", "[semantic]") {
  Analysed a({{"# comment\ns = 'héllo'; f(s)", 1}});
  const auto* f = a.call("f");
  REQUIRE(f);
  CHECK(f->span.start.cell == 1);
  CHECK(f->span.start.line == 2);
  CHECK(f->span.start.column == 14);  // é is one character, two bytes
  CHECK(f->span.end.column == 18);
}

TEST_CASE("masked magics keep positions for the model", "[semantic]") {
  Analysed a({{"%matplotlib inline\n!nvidia-smi\nimport torch\ntorch.manual_seed(0)", 1}});
  const auto* seed = a.call("torch.manual_seed");
  REQUIRE(seed);
  CHECK(seed->qualified == "torch.manual_seed");
  CHECK(seed->span.start.line == 4);
  CHECK(seed->span.start.column == 1);
}
