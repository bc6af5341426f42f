# %% [markdown]
# Sine-wave forecasting with an LSTM, done right
Windows of 24 steps predict the step after them. Every window is an independent sequence, so
the windows can be shuffled, and the LSTM starts each one from a zero state.
# %%
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0);
# %%
WINDOW = 24
t = torch.linspace(0, 40, 800)
series = torch.sin(t) + 0.1 * torch.randn(800)
train, valid = series[:640], series[640 - WINDOW:]


def make_windows(values, width=WINDOW):
    """(N - width, width, 1) inputs and (N - width, 1) next-step targets."""
    windows = values.unfold(0, width + 1, 1)
    return windows[:, :width].unsqueeze(-1), windows[:, width:]


X_train, y_train = make_windows(train)
X_valid, y_valid = make_windows(valid)
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
print("train", tuple(X_train.shape), "valid", tuple(X_valid.shape))
# %% [markdown]
## Model and optimizer
Created in one cell, so re-running it always pairs the optimizer with the current model.
# %%
class Forecaster(nn.Module):
    def __init__(self, hidden_size=32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out[:, -1]), state


model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=0.005)
loss_fn = nn.MSELoss()
# %% [markdown]
## Training
# %%
for epoch in range(8):
    model.train()
    for xb, yb in loader:
        pred, _ = model(xb)
        loss = loss_fn(pred, yb)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
    model.eval()
    with torch.no_grad():
        val_loss = loss_fn(model(X_valid)[0], y_valid).item()
    print(f"epoch {epoch}  train loss {loss.item():.4f}  valid loss {val_loss:.4f}")
# %% [markdown]
## Forecast 40 steps ahead
Feed each prediction back in, carrying the state (no gradients are needed here).
# %%
with torch.no_grad():
    pred, state = model(X_valid[:1])
    forecast = [pred.item()]
    for _ in range(39):
        pred, state = model(pred.view(1, 1, 1), state)
        forecast.append(pred.item())
truth = y_valid[:40, 0]
print("forecast MSE over 40 steps:", round(float(((torch.tensor(forecast) - truth) ** 2).mean()), 4))
