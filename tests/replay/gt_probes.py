"""Probes that run inside the Jupyter kernel of a fixture, for tests/replay/ground_truth_measured.py.

`install(rule, user_ns)` is executed silently (no execution count, no output) before the
fixture's first cell; it hooks PyTorch (global module forward hooks, the DataLoader iterator)
and returns a probe whose `before_cell()` / `after_cell()` run silently around every cell
and whose `finish(path)` writes what it measured as JSON: {"bug": true|false|null, "detail",
"metrics"}. `bug` null means there was nothing to measure.

The probes only observe: every extra forward pass runs under `torch.no_grad()` inside
`torch.random.fork_rng()`, so the notebook's own random stream, gradients and parameters are
exactly what they would be without the probe.
"""

import json

import torch
from torch import nn
from torch.utils.data import TensorDataset
from torch.utils.data.dataloader import DataLoader, _BaseDataLoaderIter

MAX_MEASURED_CALLS = 3  # layout and adjacency probes: the first calls of each layer suffice


def first_tensor(value):
    if torch.is_tensor(value):
        return value
    if isinstance(value, (list, tuple)):
        for item in value:
            found = first_tensor(item)
            if found is not None:
                return found
    return None


def fingerprint(t):
    """Identifies a batch: a slice of a longer tensor by where it lies in it (periodic data has
    equal slices at different places), a fresh tensor (a loader's batch) by its contents."""
    if t._base is not None:
        return ("slice", t._base.data_ptr(), t.storage_offset(), tuple(t.shape), t.stride())
    flat = t.detach().flatten().double()
    weights = torch.arange(1, flat.numel() + 1, dtype=torch.float64)
    return (tuple(t.shape), str(t.dtype), round(float(flat.sum()), 6), round(float((flat * weights).sum()), 4))


class Probe:
    def __init__(self, user_ns):
        self.ns = user_ns
        self.busy = False  # our own forward passes must not be observed
        self.depth = 0
        self.top_input = None
        self.batch = None
        self.cell = 0
        self.result = {"bug": None, "detail": "nothing measured", "metrics": {}}
        nn.modules.module.register_module_forward_pre_hook(self._pre)
        nn.modules.module.register_module_forward_hook(self._post)
        probe, original_next = self, _BaseDataLoaderIter.__next__

        def observed_next(iterator):
            batch = original_next(iterator)
            probe.batch = first_tensor(batch)
            return batch

        _BaseDataLoaderIter.__next__ = observed_next

    # -- hooks ---------------------------------------------------------------------------
    def _pre(self, module, args):
        if self.busy:
            return
        if self.depth == 0:
            self.top_input = first_tensor(args)
        self.depth += 1
        self.on_any_call(module)
        if isinstance(module, nn.RNNBase):
            self.busy = True
            try:
                with torch.no_grad(), torch.random.fork_rng(devices=[]):
                    self.on_recurrent_call(module, args)
            finally:
                self.busy = False

    def _post(self, module, args, output):
        if not self.busy:
            self.depth = max(0, self.depth - 1)

    def before_cell(self, index=None):
        self.depth = 0  # a cell that raised inside a forward pass left it unbalanced
        self.cell += 1
        self.cell_index = index  # position in the notebook; `cell` counts executions
        self.busy = True
        try:
            self.on_before_cell()
        finally:
            self.busy = False

    def after_cell(self):
        self.busy = True
        try:
            self.on_after_cell()
        finally:
            self.busy = False

    def finish(self, path):
        self.busy = True
        self.conclude()
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.result, out)

    # -- overridden by the rules' probes ---------------------------------------------------
    def on_recurrent_call(self, module, args):
        pass

    def on_any_call(self, module):
        pass

    def on_before_cell(self):
        pass

    def on_after_cell(self):
        pass

    def conclude(self):
        pass

    # -- helpers ---------------------------------------------------------------------------
    def user_values(self, kind):
        for name, value in list(self.ns.items()):
            if not name.startswith("_") and isinstance(value, kind):
                yield name, value

    def report(self, bug, detail, **metrics):
        self.result = {"bug": bug, "detail": detail, "metrics": metrics}


class StaleOptimizer(Probe):
    """Around every cell: each live model's parameters and gradients. A cell in which a model
    received gradients (backward reached it) but not one of its parameters moved trained
    nothing: the optimizer that stepped holds other tensors (replay: `new_model_max_change`
    0 with a non-zero gradient)."""

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.events = []

    def on_before_cell(self):
        self.before = {}
        for name, module in self.user_values(nn.Module):
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                self.before[name] = (module, [(p, p.detach().clone(), None if p.grad is None else p.grad.clone())
                                              for p in params])

    def on_after_cell(self):
        for name, (module, params) in self.before.items():
            if self.ns.get(name) is not module and not any(module is m for _, m in self.user_values(nn.Module)):
                continue  # dropped by the cell; nothing left to train
            grad_changed, grad_norm, moved = False, 0.0, 0.0
            for p, value, grad in params:
                if p.grad is not None and (grad is None or not torch.equal(p.grad, grad)):
                    grad_changed = True
                    grad_norm += float(p.grad.norm())
                moved = max(moved, float((p.detach() - value).abs().max()))
            if grad_changed and grad_norm > 0:
                self.events.append({"cell": self.cell, "model": name, "max_change": moved, "grad_norm": grad_norm})

    def conclude(self):
        events = self.events
        if not events:
            self.report(None, "no cell gave a model gradients")
            return
        stale = [e for e in events if e["max_change"] == 0]
        if stale:
            e = stale[0]
            self.report(True, f"executed cell #{e['cell']}: `{e['model']}` got gradients (norm {e['grad_norm']:.3g}) "
                        f"but no parameter moved (max change 0)", new_model_max_change=0.0,
                        trainings=len(events), stale_trainings=len(stale))
            return
        least = min(events, key=lambda e: e["max_change"])
        self.report(False, f"every training cell moved its model (smallest max change {least['max_change']:.3g}, "
                    f"`{least['model']}`)", new_model_max_change=least["max_change"], trainings=len(events))


class StateNeverReset(Probe):
    """The first batch that reaches a recurrent layer a second time (the start of the second
    pass over the data, identified by the contents of the model's input) is run again from a
    zero state: the largest difference from the output of the state the notebook carried
    (replay: B's outputs from A's final state vs a zero state, threshold 1e-6). The state must
    be passed positionally: PyTorch 1.13's forward pre-hooks do not see keyword arguments."""

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.seen = {}
        self.measured = None
        self.calls = 0

    def on_recurrent_call(self, module, args):
        self.calls += 1
        if self.measured is not None or self.top_input is None:
            return
        key = (id(module), fingerprint(self.top_input))
        if key not in self.seen:
            self.seen[key] = self.calls
            return
        x = args[0]
        hx = args[1] if len(args) > 1 else None
        carried = module(x, hx)[0]
        fresh = module(x)[0]
        self.measured = {"diff": float((carried - fresh).abs().max()), "call": self.calls,
                         "first_seen": self.seen[key], "state_given": hx is not None}

    def conclude(self):
        if self.calls == 0:
            self.report(None, "no recurrent layer ran")
            return
        m = self.measured
        if m is None:
            self.report(False, f"no batch reached the layer twice in {self.calls} calls: no second pass to leak into",
                        calls=self.calls)
            return
        where = f"call {m['call']} repeats call {m['first_seen']}'s batch"
        self.report(m["diff"] > 1e-6, f"{where}; output from the carried state vs a zero state differs by "
                    f"{m['diff']:.3g} (threshold 1e-6)", max_abs_diff=m["diff"])


class WeightsReinit(Probe):
    """At every call of a recurrent layer: how far its parameters are from those of its
    previous call (||change|| / ||previous||), and whether an optimizer that already holds
    state for them (a training run in progress) is bound in the notebook. An optimizer step
    moves the weights by a few percent; a re-initialisation redraws them (about 1.0 or more).
    The bug: a redraw in the middle of a training run, wiping what it learned. (An optimizer
    without per-parameter state, plain SGD, would not count as a run in progress; the fixtures
    use Adam.)"""

    THRESHOLD = 0.5

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.previous = {}
        self.jumps = []
        self.steps = []

    def training_in_progress(self, module):
        ids = {id(p) for p in module.parameters()}
        for _, opt in self.user_values(torch.optim.Optimizer):
            for p, state in opt.state.items():
                if id(p) in ids and state:
                    return True
        return False

    def on_recurrent_call(self, module, args):
        now = torch.cat([p.detach().flatten() for p in module.parameters()]).clone()
        before = self.previous.get(id(module))
        self.previous[id(module)] = now
        if before is None or before.shape != now.shape:
            return
        change = float((now - before).norm() / before.norm().clamp_min(1e-12))
        if change == 0:
            return
        if change > self.THRESHOLD:
            self.jumps.append((change, self.training_in_progress(module)))
        else:
            self.steps.append(change)

    def conclude(self):
        if not self.jumps and not self.steps:
            self.report(None, "no recurrent layer changed between two calls")
            return
        largest_step = max(self.steps, default=0.0)
        wiped = [c for c, training in self.jumps if training]
        if wiped:
            self.report(True, f"{len(wiped)} redraw(s) of the weights during a training run (relative change up to "
                        f"{max(wiped):.3g}, threshold {self.THRESHOLD}; optimizer steps at most {largest_step:.3g})",
                        wipes=len(wiped), relative_change=max(wiped), largest_step=largest_step)
            return
        between = len(self.jumps)
        self.report(False, f"no redraw during a training run ({between} between runs; optimizer steps at most "
                    f"{largest_step:.3g} relative)", wipes=0, largest_step=largest_step)


class Layout(Probe):
    """batch-first-mismatch, view-swaps-axes: the tensor a recurrent layer receives, compared
    element by element with the data it came from (the DataLoader's batch, or the model's
    input) laid out as the layer expects: (batch, time, feature) with `batch_first`, else
    (time, batch, feature). Only calls whose input holds exactly the source's values (in any
    arrangement) are measured. The bug: some position holds another sample's or another
    step's value (replay: `misplaced_fraction` above 0, samples contaminating each other)."""

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.measures = []
        self.counts = {}

    def source_for(self, x):
        # The model's input says nothing when the layer itself is the top-level call.
        top = None if self.top_input is x else self.top_input
        for candidate in (self.batch, top):
            if candidate is None or candidate.numel() != x.numel():
                continue
            same = torch.equal(candidate.detach().to(x.dtype).flatten().sort().values, x.detach().flatten().sort().values)
            if same:
                return candidate.detach().to(x.dtype)
        return None

    def on_recurrent_call(self, module, args):
        x = args[0]
        self.seen = getattr(self, "seen", set())
        self.seen.add(id(module))
        if not torch.is_tensor(x) or x.dim() != 3 or self.counts.get(id(module), 0) >= MAX_MEASURED_CALLS:
            return
        source = self.source_for(x)
        if source is None:
            return
        self.counts[id(module)] = self.counts.get(id(module), 0) + 1
        if source.dim() == 2 and x.size(-1) == 1:
            source = source.unsqueeze(-1)  # (batch, time) series without a feature axis
        if source.dim() != 3:
            return
        expected = source if module.batch_first else source.transpose(0, 1)
        time_axis = 1 if module.batch_first else 0
        if expected.shape != x.shape:
            misplaced = 1.0
        else:
            misplaced = float((expected != x.detach()).double().mean())
        self.measures.append({"misplaced": misplaced, "layer_steps": int(x.size(time_axis)),
                              "data_steps": int(source.size(1)), "shape": list(x.shape)})

    def conclude(self):
        if not self.measures:
            self.report(None, "no recurrent layer received a rearrangement of a loader batch or of the model's input")
            return
        worst = max(self.measures, key=lambda m: m["misplaced"])
        unmeasured = getattr(self, "seen", set()) - set(self.counts)
        if worst["misplaced"] == 0 and unmeasured:
            # A layer fed something other than the data (a stacked layer's hidden features)
            # cannot be compared with the data: no bug measured does not mean none.
            self.report(None, f"{len(unmeasured)} recurrent layer(s) received no rearrangement of the data "
                        f"(stacked layers); the {len(self.measures)} measured call(s) are in order")
            return
        self.report(worst["misplaced"] > 0, f"{len(self.measures)} call(s) measured; worst: {worst['misplaced']:.3g} of the "
                    f"elements misplaced, the layer iterates over {worst['layer_steps']} steps, the data has "
                    f"{worst['data_steps']} per sample", misplaced_fraction=worst["misplaced"],
                    layer_steps=worst["layer_steps"], data_steps=worst["data_steps"])


class ShuffledTimesteps(Probe):
    """The sequences a recurrent layer iterates over, step by step, looked up in the datasets
    of the notebook's DataLoaders: the fraction of neighbouring steps inside those sequences
    that are neighbours in the data (consecutive rows of a dataset of time steps, or
    consecutive steps of one window). Replay's `adjacency`, threshold 0.5."""

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.inputs = []

    def on_recurrent_call(self, module, args):
        x = args[0]
        if torch.is_tensor(x) and len(self.inputs) < MAX_MEASURED_CALLS and self.batch is not None:
            self.inputs.append((module.batch_first, module.input_size, x.detach().clone()))

    @staticmethod
    def key(step):
        return tuple(step.tolist())

    def neighbour_pairs(self, dtype, features):
        pairs = set()
        for _, loader in self.user_values(DataLoader):
            if not isinstance(loader.dataset, TensorDataset):
                continue
            data = loader.dataset.tensors[0].detach().to(dtype)
            n = data.size(0)
            if data.dim() == 1 or (data.dim() == 2 and data.size(1) == features):
                steps = data.reshape(n, -1)  # one time step per item
                keys = [self.key(s) for s in steps]
                pairs.update(zip(keys, keys[1:]))
            else:
                windows = data.reshape(n, -1, features)  # one sequence per item
                for w in windows:
                    keys = [self.key(s) for s in w]
                    pairs.update(zip(keys, keys[1:]))
        return pairs

    def conclude(self):
        if not self.inputs:
            self.report(None, "no recurrent layer ran on a loader's batch")
            return
        neighbours = total = 0
        pairs_by_kind = {}
        for batch_first, features, x in self.inputs:
            kind = (x.dtype, features)
            if kind not in pairs_by_kind:
                pairs_by_kind[kind] = self.neighbour_pairs(x.dtype, features)
            pairs = pairs_by_kind[kind]
            sequences = [x] if x.dim() == 2 else (list(x) if batch_first else list(x.transpose(0, 1)))
            for seq in sequences:
                keys = [self.key(s) for s in seq]
                for a, b in zip(keys, keys[1:]):
                    total += 1
                    neighbours += (a, b) in pairs
        if total == 0:
            self.report(False, "every sequence the layer sees is a single step: no order inside to lose",
                        adjacency=None)
            return
        adjacency = neighbours / total
        self.report(adjacency < 0.5, f"{neighbours} of {total} neighbouring steps in the layer's sequences are "
                    f"neighbours in the data (adjacency {adjacency:.3g}, threshold 0.5)", adjacency=adjacency)


class ResumedTraining(Probe):
    """training-resumed-on-stale-model, out-of-order-execution (their replay: the saved run's
    first loss far below fresh models' losses, i.e. training resumed). Each module's parameters
    at its first forward pass are its fresh state; a training cell is one whose run gave a
    module gradients. The bug: the last run of a training cell (the one whose output is saved)
    started from parameters that earlier runs had already moved."""

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.fresh = {}  # id -> (module, parameters at its first forward pass)
        self.runs = {}  # cell position -> (execution number, started trained?, distance)

    def on_any_call(self, module):
        if id(module) not in self.fresh:
            params = [p.detach().clone() for p in module.parameters()]
            if params:
                self.fresh[id(module)] = (module, params)

    def on_before_cell(self):
        self.start = {key: [p.detach().clone() for p in module.parameters()]
                      for key, (module, _) in self.fresh.items()}

    def on_after_cell(self):
        distance, trained = 0.0, False
        for key, (module, initial) in self.fresh.items():
            if not any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in module.parameters()):
                continue
            before = self.start.get(key)
            moved_now = before is None or any(not torch.equal(p.detach(), b) for p, b in zip(module.parameters(), before))
            if not moved_now:
                continue
            trained = True
            if before is not None:
                distance = max(distance, max(float((b - i).abs().max()) for b, i in zip(before, initial)))
        if trained:
            self.runs[self.cell_index] = (self.cell, distance > 0, distance)

    def conclude(self):
        if not self.runs:
            self.report(None, "no cell trained a model")
            return
        resumed = [(n, d) for n, r, d in self.runs.values() if r]
        if resumed:
            n, d = resumed[-1]
            self.report(True, f"the saved (last) run of a training cell, executed cell #{n}, started from parameters "
                        f"earlier runs had moved by up to {d:.3g}", distance=d)
            return
        self.report(False, f"the saved run of each of {len(self.runs)} training cell(s) started from fresh parameters",
                    distance=0.0)


class AccumulatedGradients(Probe):
    """missing-zero-grad: around every `backward()` in the notebook, whether the gradients of
    the parameters its optimizers hold were zero before it (a fresh batch) or still held
    earlier batches' gradients; at every optimizer `step()`, how many backward() passes the
    gradient it applies holds. The bug: that count grows with the batch index (1, 2, 3, ...)
    past 2, i.e. every step applies the sum of all earlier batches' gradients. Deliberate
    accumulation (every 4 batches, then zeroed) gives a constant count and is no bug."""

    def __init__(self, user_ns):
        super().__init__(user_ns)
        self.held = 0
        self.counts = []  # per step: backward passes in the gradient it applied
        probe, original_backward = self, torch.Tensor.backward

        def observed_backward(tensor, *args, **kwargs):
            dirty = probe.gradients_present()
            result = original_backward(tensor, *args, **kwargs)
            probe.held = probe.held + 1 if dirty else 1
            return result

        torch.Tensor.backward = observed_backward
        for cls in {c for c in vars(torch.optim).values() if isinstance(c, type) and issubclass(c, torch.optim.Optimizer)}:
            if "step" not in vars(cls):
                continue
            original_step = vars(cls)["step"]

            def observed_step(optimizer, *args, _original=original_step, **kwargs):
                probe.counts.append(probe.held)
                return _original(optimizer, *args, **kwargs)

            cls.step = observed_step

    def gradients_present(self):
        with torch.no_grad():
            for _, opt in self.user_values(torch.optim.Optimizer):
                for group in opt.param_groups:
                    for p in group["params"]:
                        if p.grad is not None and bool(p.grad.abs().sum() > 0):
                            return True
        return False

    def conclude(self):
        if not self.counts:
            self.report(None, "no optimizer step ran")
            return
        run, longest = 1, 1
        for a, b in zip(self.counts, self.counts[1:]):
            run = run + 1 if b > a else 1
            longest = max(longest, run)
        growing = longest >= 3 and max(self.counts) > 2
        self.report(growing, f"{len(self.counts)} steps; backward passes held by each step's gradient: "
                    f"{self.counts[:12]}{'...' if len(self.counts) > 12 else ''} (longest growing run {longest})",
                    steps=len(self.counts), most_held=max(self.counts), longest_growing_run=longest)


PROBES = {
    "stale-optimizer": StaleOptimizer,
    "state-never-reset": StateNeverReset,
    "weights-reinit-as-reset": WeightsReinit,
    "batch-first-mismatch": Layout,
    "view-swaps-axes": Layout,
    "shuffled-timesteps": ShuffledTimesteps,
    "training-resumed-on-stale-model": ResumedTraining,
    "out-of-order-execution": ResumedTraining,
    "missing-zero-grad": AccumulatedGradients,
}


def install(rule, user_ns):
    return PROBES[rule](user_ns)
