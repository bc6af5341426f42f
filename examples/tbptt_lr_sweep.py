# order: 2 3 4 6 5 7 8
# %% [markdown]
# Truncated backpropagation through time: a learning-rate sweep
One long signal is split into 8 contiguous streams. The LSTM reads each stream in chunks of
25 steps, carrying its state from chunk to chunk (detached) and starting every epoch fresh.
# %%
import torch
from torch import nn

torch.manual_seed(0);
# %%
t = torch.linspace(0, 80, 1601)
signal = torch.sin(t) + 0.5 * torch.sin(3.1 * t) + 0.05 * torch.randn(1601)
streams = signal[:-1].reshape(8, 200, 1)   # 8 contiguous streams of 200 steps
targets = signal[1:].reshape(8, 200, 1)
# %%
class StreamForecaster(nn.Module):
    def __init__(self, hidden_size=32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state
# %%
for lr in [0.01, 0.1, 10.0]:
    torch.manual_seed(1)
    model = StreamForecaster()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = [tbptt_epoch(model, opt) for _ in range(5)]
    print(f"lr {lr:<5}  loss per epoch: " + "  ".join(f"{x:.4g}" for x in losses))
# %%
loss_fn = nn.MSELoss()


def tbptt_epoch(model, opt, chunk=25):
    state, total = None, 0.0
    for start in range(0, streams.shape[1], chunk):
        pred, state = model(streams[:, start:start + chunk], state)
        state = tuple(s.detach() for s in state)
        loss = loss_fn(pred, targets[:, start:start + chunk])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    return total / (streams.shape[1] // chunk)
# %%
torch.manual_seed(1)
model = StreamForecaster()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(10):
    print(f"epoch {epoch}  loss {tbptt_epoch(model, opt):.4f}")
# %%
with torch.no_grad():
    pred, _ = model(streams)
print("one-step MSE over all streams:", round(loss_fn(pred, targets).item(), 4))
