// A finding: what a rule reports, in the one coordinate system {cell, line, column}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "notebook/location.h"

namespace lstmlint::engine {

enum class Severity { Info, Warning, Error };

const char* severity_name(Severity s);
bool parse_severity(const std::string& text, Severity& out);

// A value that replay needs, keyed as in the replay spec (docs/replay.md), with the place the
// notebook states it; no origin means a default or a value derived from others.
struct Fact {
  std::string key;   // "hidden_size"
  std::string json;  // the value as JSON: 64, true, "adam", [32, 20, 1]
  std::optional<Span> origin;
  std::string note;  // how a derived value was obtained, e.g. "1000 % 32"

  static Fact integer(std::string key, long long value, std::optional<Span> origin = std::nullopt, std::string note = {});
  static Fact number(std::string key, double value, std::optional<Span> origin = std::nullopt, std::string note = {});
  static Fact boolean(std::string key, bool value, std::optional<Span> origin = std::nullopt, std::string note = {});
  static Fact text(std::string key, const std::string& value, std::optional<Span> origin = std::nullopt, std::string note = {});
  static Fact integers(std::string key, const std::vector<long long>& values, std::optional<Span> origin = std::nullopt,
                       std::string note = {});
};

// What a rule tells replay about its finding: the recurrent layer and loader it concerns, and
// rule-specific facts. The spec builder adds the rest from the semantic model.
struct ReplayHint {
  int layer = -1;   // index into Model::recurrent_layers()
  int loader = -1;  // call id of the DataLoader
  std::vector<Fact> facts;
};

struct Metric {
  std::string name;
  double value = 0;
  std::optional<double> threshold;
  std::string unit;
};

// What the replay executable measured for one finding.
struct ReplayOutcome {
  std::string verdict;  // CONFIRMED, NOT CONFIRMED, INCONCLUSIVE, NO REPLAY, or NOT RUN (replay failed)
  std::string summary;
  std::string error;    // LibTorch's own message, when it is the evidence
  std::vector<Metric> metrics;
  std::vector<std::string> scaled;  // "hidden_size 100000 -> 256"
  double seconds = 0;
  // Measured series for the HTML report (loss per step with and without the bug); null points
  // (non-finite values) are NaN.
  struct Curve {
    std::string name, x, y;
    std::vector<double> values;
  };
  std::vector<Curve> curves;
};

// One replacement in a cell's source: bytes [begin, end) of `Cell::source` become `text`
// (begin == end inserts). Byte offsets, not Span columns (which count code points).
struct Edit {
  int cell = 0;  // 1-based, as in Location
  size_t begin = 0;
  size_t end = 0;
  std::string text;
  std::uint64_t cell_hash = 0;  // source_hash of the cell's source when linted (set by the runner)
};

// One replacement in the .ipynb file's own bytes: [begin, end) become `text`, already
// JSON-escaped as the file stores it. Lines and columns (1-based, columns in code points) are
// the raw file's, end exclusive, as SARIF regions count them.
struct FileEdit {
  size_t begin = 0;
  size_t end = 0;
  int line = 0;
  int column = 0;
  int end_line = 0;
  int end_column = 0;
  std::string text;
};

// How a finding can be fixed (docs/fixes.md): --fix applies safe fixes, --unsafe-fixes the
// others too.
struct Fix {
  std::string description;  // "Replace `shuffle=True` with `shuffle=False`"
  bool safe = true;
  std::vector<Edit> edits;
  // The same fix in the file's bytes, for reporters that describe changes to the file (SARIF);
  // filled by fix::locate_in_file on request, empty when not asked for or not mappable.
  std::vector<FileEdit> file_edits;
};

// Another place of the same root cause: one bug is one finding, its other places are related
// locations (SARIF relatedLocations, a `note:` line in text, `related` in JSON).
struct Related {
  Span span;
  std::string message;      // what this place is, e.g. "`c` is carried the same way"
  std::string source_line;  // the cell's line at span.start
  int raw_line = 0;         // as Finding::raw_line
  int raw_end_line = 0;
};

struct Finding {
  std::string code;      // LSTM103
  std::string name;      // stale-optimizer
  Severity severity = Severity::Warning;
  std::string message;   // what will go wrong
  std::string help;      // how to fix it
  std::string filename;
  Span span;
  std::optional<long long> execution_count;  // of the cell, as saved
  std::string source_line;  // the cell's line at span.start, for code frames
  // The .ipynb file's own lines holding span.start and span.end, for reporters that point
  // into the raw file (SARIF, GitHub); 0 when unknown (a notebook built in memory).
  int raw_line = 0;
  int raw_end_line = 0;
  // The raw lines are a plain-text file's (a percent script's code cell): the span's columns
  // are that file's columns too, so reporters may cite them.
  bool raw_columns = false;
  std::uint64_t content_hash = 0;  // what a baseline fingerprint is made of (engine/baseline.h)

  std::optional<Fix> fix;
  std::vector<Related> related;
  // A consequence of another rule's bug (a saved traceback that rule's finding explains): when
  // that rule reports in the same notebook, this finding becomes one of its related locations.
  std::string explained_by;  // the other rule's name
  std::string as_related;    // the related location's message then

  // Replay (--replay only): the rule's hint, the spec built from it, and the outcome.
  ReplayHint hint;
  std::vector<Fact> spec;
  std::optional<ReplayOutcome> replay;
};

}  // namespace lstmlint::engine
