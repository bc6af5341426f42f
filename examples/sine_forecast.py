# order: 2 3 5 6 8 9 5 9 9 9
# %% [markdown]
# Sine-wave forecasting with an LSTM
Predict the next value of a noisy sine wave from the values before it.
# %%
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0);
# %%
t = torch.linspace(0, 40, 800)
series = torch.sin(t) + 0.1 * torch.randn(800)

# next-step pairs: each sample is one timestep and its successor
dataset = TensorDataset(series[:-1].unsqueeze(-1), series[1:].unsqueeze(-1))
loader = DataLoader(dataset, batch_size=40, shuffle=True)
print(len(dataset), "samples,", len(loader), "batches")
# %% [markdown]
## Model
# %%
class Forecaster(nn.Module):
    def __init__(self, hidden_size=32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state

model = Forecaster(hidden_size=64)
# %%
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
# %% [markdown]
## Training
The batches are turned into one long sequence each, and the LSTM state is carried from batch to batch.
# %%
state = None
for epoch in range(5):
    for x, y in loader:
        x = x.view(1, -1, 1)   # 40 timesteps -> one sequence
        y = y.view(1, -1, 1)
        pred, state = model(x, state)
        loss = loss_fn(pred, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}  loss {loss.item():.4f}")
# %%
state = None
for epoch in range(5):
    for x, y in loader:
        x = x.view(1, -1, 1)
        y = y.view(1, -1, 1)
        pred, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = loss_fn(pred, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}  loss {loss.item():.4f}")
# %% [markdown]
## Forecast
# %%
with torch.no_grad():
    pred, _ = model(series[:-1].view(1, -1, 1))
print("test MSE:", loss_fn(pred.view(-1), series[1:]).item())
