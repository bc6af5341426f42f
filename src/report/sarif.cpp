// SARIF 2.1.0 reporter, for GitHub code scanning and other SARIF viewers: regions point at the
// raw .ipynb line, and each result keeps its cell coordinates in properties (docs/output-formats.md).
#include <map>

#include "engine/baseline.h"
#include "engine/registry.h"
#include "report/report.h"

namespace lstmlint::report {
namespace {

using json = nlohmann::ordered_json;

const char* sarif_level(engine::Severity s) {
  switch (s) {
    case engine::Severity::Error: return "error";
    case engine::Severity::Warning: return "warning";
    case engine::Severity::Info: return "note";
  }
  return "warning";
}

// A path as a URI reference: relative paths stay relative (code scanning resolves them against
// the checkout), absolute ones become file:// URIs. Everything but unreserved characters and
// `/` is percent-encoded, so spaces, `#`, `?`, `%` and a `:` that would read as a scheme are safe.
std::string path_uri(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string uri = !path.empty() && path[0] == '/' ? "file://" : "";
  for (unsigned char c : path) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~' || c == '/';
    if (unreserved) {
      uri += static_cast<char>(c);
      continue;
    }
    uri += '%';
    uri += hex[c >> 4];
    uri += hex[c & 15];
  }
  return uri;
}

// The "What it does" section of a rule's doc.md, as one paragraph of plain text.
std::string what_it_does(std::string_view doc, const std::string& fallback) {
  const std::string_view heading = "## What it does\n";
  size_t start = doc.find(heading);
  if (start == std::string_view::npos) return fallback;
  start += heading.size();
  size_t end = doc.find("\n## ", start);
  std::string text(doc.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  for (char& c : text)
    if (c == '\n') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text.empty() ? fallback : text;
}

json rule_descriptor(const engine::RuleInfo& rule) {
  std::string doc(rule.doc);
  json r;
  r["id"] = rule.code;
  r["name"] = rule.name;
  r["shortDescription"] = {{"text", rule.summary}};
  r["fullDescription"] = {{"text", what_it_does(rule.doc, rule.summary)}};
  r["help"] = {{"text", doc.empty() ? rule.summary : doc}, {"markdown", doc.empty() ? rule.summary : doc}};
  r["defaultConfiguration"] = {{"level", sarif_level(rule.severity)}};
  r["properties"] = {{"tags", json::array({"lstm-lint", rule.family})}};
  return r;
}

json tool_driver() {
  json driver;
  driver["name"] = "lstm-lint";
  driver["version"] = LSTM_LINT_VERSION;
  driver["semanticVersion"] = LSTM_LINT_VERSION;
  driver["rules"] = json::array();
  for (const auto& rule : engine::all_rules()) driver["rules"].push_back(rule_descriptor(rule));
  return driver;
}

json artifact_location(const std::string& path, size_t index) {
  return {{"uri", path_uri(path)}, {"index", index}};
}

// The cell coordinates that the raw-line region cannot carry (docs/output-formats.md).
json cell_properties(const engine::Finding& f) {
  json p;
  p["cell"] = f.span.start.cell;
  p["line"] = f.span.start.line;
  p["column"] = f.span.start.column;
  p["endCell"] = f.span.end.cell;
  p["endLine"] = f.span.end.line;
  p["endColumn"] = f.span.end.column;
  p["executionCount"] = f.execution_count ? json(*f.execution_count) : json(nullptr);
  return p;
}

// The fix as SARIF describes one: replacements in the .ipynb file's text, each region given
// by raw line and column (code points, run.columnKind) and by byte offset, in file order and
// relative to the file as it is. Safe or unsafe, as --fix and --unsafe-fixes see it, goes in
// the properties.
json fixes(const engine::Fix& fix, const std::string& path, size_t artifact) {
  json replacements = json::array();
  for (const auto& e : fix.file_edits) {
    json replacement;
    replacement["deletedRegion"] = {{"startLine", e.line},     {"startColumn", e.column},
                                    {"endLine", e.end_line},   {"endColumn", e.end_column},
                                    {"byteOffset", e.begin},   {"byteLength", e.end - e.begin}};
    if (!e.text.empty()) replacement["insertedContent"] = {{"text", e.text}};
    replacements.push_back(std::move(replacement));
  }
  json change;
  change["artifactLocation"] = artifact_location(path, artifact);
  change["replacements"] = std::move(replacements);
  json one;
  one["description"] = {{"text", fix.description}};
  one["artifactChanges"] = json::array({std::move(change)});
  one["properties"] = {{"applicability", fix.safe ? "safe" : "unsafe"}};
  return json::array({std::move(one)});
}

// A place in the .ipynb: raw lines; no columns, as a column in the JSON text is not the column
// in the cell, except in a percent script, whose lines are the cell's, columns included.
json location_json(const std::string& path, size_t artifact, const Span& span, int raw_line, int raw_end_line,
                   bool raw_columns) {
  json physical;
  physical["artifactLocation"] = artifact_location(path, artifact);
  if (raw_line > 0) {
    physical["region"] = {{"startLine", raw_line}};
    if (raw_end_line >= raw_line) physical["region"]["endLine"] = raw_end_line;
    if (raw_columns) {
      physical["region"]["startColumn"] = span.start.column;
      physical["region"]["endColumn"] = span.end.column;
    }
  }
  json location;
  location["physicalLocation"] = std::move(physical);
  location["logicalLocations"] = json::array({{{"name", "cell " + std::to_string(span.start.cell)}, {"kind", "object"}}});
  return location;
}

json result(const engine::Finding& f, const std::string& path, size_t artifact, const std::map<std::string, size_t>& rule_index) {
  json location = location_json(path, artifact, f.span, f.raw_line, f.raw_end_line, f.raw_columns);

  json r;
  r["ruleId"] = f.code;
  if (auto it = rule_index.find(f.code); it != rule_index.end()) r["ruleIndex"] = it->second;
  r["level"] = sarif_level(f.severity);
  r["message"] = {{"text", f.message}};
  r["locations"] = json::array({std::move(location)});
  if (!f.related.empty()) {
    json related = json::array();
    for (size_t k = 0; k < f.related.size(); ++k) {
      const auto& rel = f.related[k];
      bool columns = f.raw_columns && rel.span.start.cell == rel.span.end.cell;
      json place = location_json(path, artifact, rel.span, rel.raw_line, rel.raw_end_line, columns);
      place["id"] = k + 1;
      place["message"] = {{"text", rel.message}};
      place["properties"] = {{"cell", rel.span.start.cell}, {"line", rel.span.start.line}, {"column", rel.span.start.column}};
      related.push_back(std::move(place));
    }
    r["relatedLocations"] = std::move(related);
  }
  // Code scanning tracks an alert across commits by this; it survives cells added above.
  r["partialFingerprints"] = {{"lstmLint/v1", engine::fingerprint(f, path)}};
  if (f.fix && !f.fix->file_edits.empty()) r["fixes"] = fixes(*f.fix, path, artifact);
  json properties;
  properties["notebook"] = cell_properties(f);
  properties["help"] = f.help;
  if (f.replay) properties["replay"] = replay_json(f);
  r["properties"] = std::move(properties);
  return r;
}

json load_error_notification(const engine::FileResult& r, size_t artifact) {
  json n;
  n["level"] = "error";
  n["message"] = {{"text", r.path + ": " + *r.error}};
  n["descriptor"] = {{"id", "load-error"}};
  n["locations"] = json::array({{{"physicalLocation", {{"artifactLocation", artifact_location(r.path, artifact)}}}}});
  return n;
}

}  // namespace

void write_sarif(std::ostream& out, const std::vector<engine::FileResult>& results) {
  std::map<std::string, size_t> rule_index;
  for (size_t i = 0; i < engine::all_rules().size(); ++i) rule_index[engine::all_rules()[i].code] = i;

  json artifacts = json::array(), findings = json::array(), notifications = json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    artifacts.push_back({{"location", {{"uri", path_uri(r.path)}}}, {"mimeType", "application/x-ipynb+json"}});
    if (r.error) notifications.push_back(load_error_notification(r, i));
    for (const auto& f : r.findings) findings.push_back(result(f, r.path, i, rule_index));
  }
  json invocation;
  invocation["executionSuccessful"] = notifications.empty();
  invocation["toolExecutionNotifications"] = std::move(notifications);

  json run;
  run["tool"] = {{"driver", tool_driver()}};
  run["invocations"] = json::array({std::move(invocation)});
  run["artifacts"] = std::move(artifacts);
  run["results"] = std::move(findings);
  run["columnKind"] = "unicodeCodePoints";  // the columns of fixes' regions

  json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = json::array({std::move(run)});
  // Invalid UTF-8 from a notebook is replaced rather than aborting the report.
  out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace lstmlint::report
