// nan-loss-in-output: printed losses that are nan or inf in the saved outputs.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A value that an improvement message starts from: `(inf --> 3.93)`, `from inf to 0.004`,
// `inf -> 0.5`. Checkpoint callbacks start their best loss at infinity; that is not a loss.
bool starting_value(const std::string& lower, size_t after) {
  size_t i = lower.find_first_not_of(" \t", after);
  if (i == std::string::npos) return false;
  for (const char* arrow : {"-->", "->", "=>", "\xe2\x86\x92"})  // the last: U+2192 RIGHTWARDS ARROW
    if (lower.compare(i, std::strlen(arrow), arrow) == 0) return true;
  if (lower.compare(i, 2, "to") == 0 && i + 2 < lower.size() && !word_char(lower[i + 2])) {
    size_t j = lower.find_first_not_of(" \t", i + 2);
    return j != std::string::npos && (std::isdigit(static_cast<unsigned char>(lower[j])) || lower[j] == '.' || lower[j] == '-');
  }
  return false;
}

// `nan`, `inf` or `infinity` as a whole word after position `from`, not as a starting value.
bool non_finite_word_after(const std::string& lower, size_t from) {
  for (const char* word : {"nan", "inf", "infinity"}) {
    std::string w = word;
    for (size_t at = lower.find(w, from); at != std::string::npos; at = lower.find(w, at + 1)) {
      bool starts = at == 0 || !word_char(lower[at - 1]);
      bool ends = at + w.size() == lower.size() || !word_char(lower[at + w.size()]);
      if (starts && ends && !starting_value(lower, at + w.size())) return true;
    }
  }
  return false;
}

// The first output line that reports a loss with a non-finite value.
std::string non_finite_loss_line(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, std::min<size_t>(end - start, 2000));
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t loss = lower.find("loss");
    if (loss != std::string::npos && non_finite_word_after(lower, loss + 4)) return line;
    start = end + 1;
  }
  return {};
}

std::string trimmed(std::string s, size_t limit) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  if (s.size() > limit) s = s.substr(0, limit) + "...";
  return s;
}

}  // namespace

void check_nan_loss_in_output(const engine::Context& ctx, engine::Diagnostics& out) {
  for (const auto& cell : ctx.notebook.cells) {
    if (cell.kind != notebook::CellKind::Code) continue;
    for (const auto& output : cell.outputs) {
      if (output.kind == notebook::OutputKind::Error) continue;
      std::string line = non_finite_loss_line(output.text);
      if (line.empty()) continue;
      out.report(ctx.cell_head(cell.index),
                 "the saved output reports a non-finite loss (`" + trimmed(line, 120) +
                     "`): training diverged, and every weight update after it is nan",
                 "Lower the learning rate, clip gradients (`torch.nn.utils.clip_grad_norm_`), and check the inputs "
                 "and targets for nan/inf and the loss for log(0)");
      break;  // one finding per cell
    }
  }
}

}  // namespace lstmlint::rules
