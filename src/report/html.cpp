// The replay report as one self-contained HTML page (`--replay --report FILE.html`): per
// finding, the verdict, the measured curves with and without the bug as inline SVG, the
// measured numbers with their thresholds, and the spec table with where each value comes from.
// No JavaScript, no external resources: the file opens the same offline, in any browser.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "report/html.h"

namespace lstmlint::report {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, const char* format = "%.4g") {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

std::string verdict_class(const std::string& verdict) {
  if (verdict == "CONFIRMED") return "confirmed";
  if (verdict == "NOT CONFIRMED") return "not-confirmed";
  if (verdict == "INCONCLUSIVE") return "inconclusive";
  return "other";
}

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

// One SVG chart of every curve of an outcome: shared axes, one polyline per curve, a legend.
void write_chart(std::ostream& out, const engine::ReplayOutcome& r) {
  constexpr double W = 640, H = 260, left = 60, right = 16, top = 16, bottom = 40;
  double lo = INFINITY, hi = -INFINITY;
  size_t longest = 0;
  for (const auto& c : r.curves) {
    longest = std::max(longest, c.values.size());
    for (double v : c.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (longest == 0 || !std::isfinite(lo)) return;
  if (hi - lo < 1e-12) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1), lo -= (hi - lo);
  lo = std::min(lo, 0.0);
  double span = hi - lo;
  auto xpos = [&](size_t i, size_t n) {
    return left + (n <= 1 ? 0 : double(i) / double(n - 1)) * (W - left - right);
  };
  auto ypos = [&](double v) { return top + (1 - (v - lo) / span) * (H - top - bottom); };
  const std::string& xlabel = r.curves.front().x;
  const std::string& ylabel = r.curves.front().y;
  out << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\""
      << H + 22.0 * double(r.curves.size()) << "\" viewBox=\"0 0 " << W << " " << H + 22.0 * double(r.curves.size())
      << "\" role=\"img\" aria-label=\"" << escape(ylabel + " per " + xlabel) << "\">\n";
  out << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << W - left - right << "\" height=\""
      << H - top - bottom << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (int t = 0; t <= 4; ++t) {
    double v = lo + span * t / 4;
    double y = ypos(v);
    out << "<line x1=\"" << left << "\" x2=\"" << W - right << "\" y1=\"" << num(y) << "\" y2=\"" << num(y)
        << "\" stroke=\"#e3e3e3\"/><text x=\"" << left - 6 << "\" y=\"" << num(y + 4)
        << "\" text-anchor=\"end\" font-size=\"11\">" << num(v, "%.3g") << "</text>\n";
  }
  out << "<text x=\"" << left << "\" y=\"" << H - bottom + 16 << "\" font-size=\"11\">1</text>";
  out << "<text x=\"" << W - right << "\" y=\"" << H - bottom + 16 << "\" font-size=\"11\" text-anchor=\"end\">"
      << longest << "</text>";
  out << "<text x=\"" << (left + W - right) / 2 << "\" y=\"" << H - 8 << "\" font-size=\"12\" text-anchor=\"middle\">"
      << escape(xlabel) << "</text>";
  out << "<text x=\"14\" y=\"" << (top + H - bottom) / 2 << "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
      << (top + H - bottom) / 2 << ")\">" << escape(ylabel) << "</text>\n";
  for (size_t k = 0; k < r.curves.size(); ++k) {
    const auto& c = r.curves[k];
    const char* color = kPalette[k % (sizeof kPalette / sizeof *kPalette)];
    // Each curve spans the steps it measured, on the shared step axis.
    std::ostringstream points;
    size_t n = c.values.size();
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(c.values[i])) continue;
      double x = xpos(i, longest);
      points << num(x, "%.1f") << "," << num(ypos(c.values[i]), "%.1f") << " ";
    }
    out << "<polyline class=\"curve\" data-name=\"" << escape(c.name) << "\" fill=\"none\" stroke=\"" << color
        << "\" stroke-width=\"2\" points=\"" << points.str() << "\"/>\n";
    double ly = H + 6 + 22.0 * double(k);
    out << "<line x1=\"" << left << "\" x2=\"" << left + 24 << "\" y1=\"" << ly << "\" y2=\"" << ly << "\" stroke=\""
        << color << "\" stroke-width=\"3\"/><text x=\"" << left + 30 << "\" y=\"" << ly + 4 << "\" font-size=\"12\">"
        << escape(c.name) << " (" << n << " " << escape(c.x) << (n == 1 ? "" : "s") << ")</text>\n";
  }
  out << "</svg>\n";
}

// Metrics as horizontal bars next to their thresholds, for outcomes without curves.
void write_metric_bars(std::ostream& out, const engine::ReplayOutcome& r) {
  std::vector<const engine::Metric*> shown;
  for (const auto& m : r.metrics)
    if (std::isfinite(m.value)) shown.push_back(&m);
  if (shown.empty()) return;
  double top = 0;
  for (const auto* m : shown) top = std::max({top, std::fabs(m->value), m->threshold ? std::fabs(*m->threshold) : 0.0});
  if (top <= 0) top = 1;
  constexpr double W = 640, row = 26, label = 250;
  out << "<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\""
      << row * double(shown.size()) + 8 << "\" role=\"img\" aria-label=\"measured quantities\">\n";
  for (size_t i = 0; i < shown.size(); ++i) {
    const auto& m = *shown[i];
    double y = 4 + row * double(i);
    double width = std::fabs(m.value) / top * (W - label - 90);
    out << "<text x=\"" << label - 8 << "\" y=\"" << y + 15 << "\" font-size=\"12\" text-anchor=\"end\">" << escape(m.name)
        << "</text><rect x=\"" << label << "\" y=\"" << y + 3 << "\" width=\"" << num(std::max(width, 1.0))
        << "\" height=\"16\" fill=\"#1f77b4\"/><text x=\"" << label + std::max(width, 1.0) + 6 << "\" y=\"" << y + 15
        << "\" font-size=\"12\">" << num(m.value) << (m.unit.empty() ? "" : " " + escape(m.unit)) << "</text>";
    if (m.threshold) {
      double tx = label + std::fabs(*m.threshold) / top * (W - label - 90);
      out << "<line x1=\"" << num(tx) << "\" x2=\"" << num(tx) << "\" y1=\"" << y << "\" y2=\"" << y + row - 2
          << "\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"3,2\"><title>threshold " << num(*m.threshold)
          << "</title></line>";
    }
    out << "\n";
  }
  out << "</svg>\n";
}

std::string origin_text(const engine::Fact& fact) {
  if (fact.origin) {
    std::string s = "cell " + std::to_string(fact.origin->start.cell) + ":" + std::to_string(fact.origin->start.line);
    return fact.note.empty() ? s : s + " — " + fact.note;
  }
  return fact.note.empty() ? "default" : fact.note;
}

const char* kStyle = R"(body{font-family:sans-serif;margin:2em;max-width:60em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-top:1px solid #ccc;padding-top:1em}
code{background:#f3f3f3;padding:0 .2em}
.verdict{display:inline-block;padding:.15em .6em;border-radius:.3em;font-weight:bold;color:#fff}
.confirmed{background:#c0392b}.not-confirmed{background:#27864a}.inconclusive{background:#b7950b}.other{background:#777}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;font-size:.9em}
th{background:#f0f0f0}.default{color:#888}.summary{margin:.5em 0}.error{background:#fdecea;padding:.4em;font-family:monospace;white-space:pre-wrap}
.counts td{text-align:right})";

}  // namespace

void write_replay_html(std::ostream& out, const std::vector<engine::FileResult>& results) {
  std::map<std::string, int> counts;
  int total = 0;
  for (const auto& file : results)
    for (const auto& f : file.findings)
      if (f.replay) ++counts[f.replay->verdict], ++total;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>lstm-lint replay report</title>\n<style>"
      << kStyle << "</style></head>\n<body>\n<h1>lstm-lint replay report</h1>\n";
  out << "<p>" << total << " finding" << (total == 1 ? "" : "s") << " replayed on a LibTorch reference model built from the "
      << "hyper-parameters the notebooks state; the notebooks' own code was not run.</p>\n";
  out << "<table class=\"counts\"><tr><th>verdict</th><th>findings</th></tr>\n";
  for (const auto& [verdict, n] : counts)
    out << "<tr><td><span class=\"verdict " << verdict_class(verdict) << "\">" << escape(verdict) << "</span></td><td>" << n
        << "</td></tr>\n";
  out << "</table>\n";
  int index = 0;
  for (const auto& file : results) {
    for (const auto& f : file.findings) {
      if (!f.replay || f.replay->verdict == "NO REPLAY") continue;  // counted above, nothing measured
      const auto& r = *f.replay;
      ++index;
      out << "<section class=\"finding\" id=\"finding-" << index << "\">\n<h2>" << escape(file.path) << ": cell "
          << f.span.start.cell << ":" << f.span.start.line << ":" << f.span.start.column << " " << escape(f.code) << " ["
          << escape(f.name) << "]</h2>\n<p>" << escape(f.message) << "</p>\n";
      out << "<p class=\"summary\"><span class=\"verdict " << verdict_class(r.verdict) << "\">" << escape(r.verdict)
          << "</span> " << escape(r.summary) << "</p>\n";
      if (!r.error.empty()) out << "<div class=\"error\">" << escape(r.error) << "</div>\n";
      if (!r.curves.empty()) write_chart(out, r);
      else write_metric_bars(out, r);
      if (!r.metrics.empty()) {
        out << "<table class=\"metrics\"><tr><th>measured</th><th>value</th><th>threshold</th></tr>\n";
        for (const auto& m : r.metrics)
          out << "<tr><td>" << escape(m.name) << "</td><td>" << num(m.value) << (m.unit.empty() ? "" : " " + escape(m.unit))
              << "</td><td>" << (m.threshold ? num(*m.threshold) : "") << "</td></tr>\n";
        out << "</table>\n";
      }
      if (!f.spec.empty()) {
        out << "<table class=\"spec\"><tr><th>spec</th><th>value</th><th>from</th></tr>\n";
        for (const auto& fact : f.spec)
          out << "<tr" << (fact.origin || !fact.note.empty() ? "" : " class=\"default\"") << "><td>" << escape(fact.key)
              << "</td><td><code>" << escape(fact.json) << "</code></td><td>" << escape(origin_text(fact)) << "</td></tr>\n";
        out << "</table>\n";
      }
      if (!r.scaled.empty()) {
        out << "<p>Scaled down:";
        for (const auto& s : r.scaled) out << " <code>" << escape(s) << "</code>";
        out << "</p>\n";
      }
      if (r.seconds > 0) out << "<p>took " << num(r.seconds, "%.3g") << " s</p>\n";
      out << "</section>\n";
    }
  }
  if (index == 0) out << "<p>No finding was replayed.</p>\n";
  out << "</body></html>\n";
}

}  // namespace lstmlint::report
