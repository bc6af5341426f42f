# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Character LSTM
# The hidden state is carried from one window to the next.

# %%
import torch
from torch import nn

torch.manual_seed(0)
data = torch.randint(0, 20, (4, 201))
inputs, targets = data[:, :-1], data[:, 1:]
bptt = 20

# %% Model
class CharLSTM(nn.Module):
    def __init__(self, vocab_size=20, hidden_size=64):
        super().__init__()
        self.hidden_size = hidden_size
        self.embed = nn.Embedding(vocab_size, 16)
        self.lstm = nn.LSTM(16, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden):
        out, hidden = self.lstm(self.embed(x), hidden)
        return self.head(out), hidden

    def init_hidden(self, batch):
        return (torch.zeros(1, batch, self.hidden_size), torch.zeros(1, batch, self.hidden_size))


model = CharLSTM()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()

# %% Training
hidden = model.init_hidden(4)
for start in range(0, inputs.size(1) - bptt, bptt):
    x, y = inputs[:, start:start + bptt], targets[:, start:start + bptt]
    logits, hidden = model(x, hidden)
    loss = loss_fn(logits.reshape(-1, 20), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
