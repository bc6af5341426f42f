// The language server (server/server.h): JSON-RPC dispatch, document store, analysis,
// diagnostics, code actions and the replay command.
#include "server/server.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "config/config.h"
#include "engine/registry.h"
#include "engine/runner.h"
#include "fix/fix.h"
#include "notebook/notebook.h"
#include "notebook/percent.h"
#include "replay/client.h"
#include "server/jsonrpc.h"
#include "server/text.h"

namespace lstmlint::server {
namespace {

using json = nlohmann::json;

// JSON-RPC and LSP error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kServerNotInitialized = -32002;
constexpr int kRequestCancelled = -32800;

const char* const kReplayCommand = "lstm-lint.replay";
const char* const kDefaultDocsBase = "https://github.com/your-org/lstm-lint/blob/main/rules/";

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The file path of a `file:` URI (percent-decoded); otherwise the URI's path part, which still
// carries the extension that picks the format ("untitled:train.py"), with no directory.
std::string path_of(const std::string& uri, bool& is_file) {
  is_file = uri.rfind("file://", 0) == 0;
  std::string rest = is_file ? uri.substr(7) : uri.substr(uri.find(':') == std::string::npos ? 0 : uri.find(':') + 1);
  if (is_file && !rest.empty() && rest[0] != '/') rest = rest.substr(std::min(rest.find('/'), rest.size()));  // file://host/path
  size_t cut = rest.find_first_of("?#");
  if (cut != std::string::npos) rest.resize(cut);
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && hex(rest[i + 1]) >= 0 && hex(rest[i + 2]) >= 0) {
      out += static_cast<char>(hex(rest[i + 1]) * 16 + hex(rest[i + 2]));
      i += 2;
    } else {
      out += rest[i];
    }
  }
  return out;
}

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

json position_json(Position p) { return {{"line", p.line}, {"character", p.character}}; }
json range_json(Position a, Position b) { return {{"start", position_json(a)}, {"end", position_json(b)}}; }

Position position_from(const json& j) {
  Position p;
  if (!j.is_object()) return p;
  auto number = [&](const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return 0;
    double v = it->get<double>();
    return v < 0 ? 0 : v > 1e9 ? 1000000000 : static_cast<int>(v);
  };
  p.line = number("line");
  p.character = number("character");
  return p;
}

int lsp_severity(engine::Severity s) {
  switch (s) {
    case engine::Severity::Error: return 1;
    case engine::Severity::Warning: return 2;
    case engine::Severity::Info: return 3;
  }
  return 2;
}

struct CellDoc {
  std::string uri;
  int kind = 2;  // NotebookCellKind: 1 markup, 2 code
  std::optional<long long> execution_order;
};

struct NotebookDoc {
  std::string uri;
  std::vector<CellDoc> cells;
};

// Where one finding's diagnostic sits: the document (cell or text) and its range there.
struct Placed {
  std::string uri;
  Position start, end;
  bool has_line = false;  // a code line noqa can go on
};

// The last analysis of one notebook or text document.
struct Analysis {
  std::string uri;  // the notebook's or the text document's
  bool text_document = false;
  std::string path;
  std::unique_ptr<notebook::Notebook> nb;  // null when the document could not be read
  std::vector<engine::Finding> findings;
  std::vector<Placed> placed;              // placed[i] for findings[i]
  std::vector<std::string> cell_uris;      // per cell, for notebook documents
  std::string text;                        // the text analysed, for text documents
  std::optional<config::FileSettings> settings;
};

}  // namespace

struct Server::State {
  Send send;
  bool initialized = false;
  bool shutdown = false;
  bool exited = false;
  std::string docs_base = kDefaultDocsBase;
  bool watch_registration = false;
  bool sent_registration = false;
  int next_request_id = 1;

  std::map<std::string, std::string> texts;           // every open text document and cell
  std::map<std::string, NotebookDoc> notebooks;       // notebook uri -> cells
  std::map<std::string, std::string> cell_owner;      // cell uri -> notebook uri
  std::set<std::string> text_documents;               // standalone documents we analyse
  std::map<std::string, Analysis> analyses;           // notebook or text uri -> last analysis
  std::set<std::string> dirty;                        // documents to re-analyse
  std::set<std::string> touched;                      // cell/text uris whose text changed: publish them
  std::map<std::string, std::string> published;       // uri -> diagnostics as last sent
  std::set<json> cancelled;                           // request ids cancelled before handled

  engine::Linter linter{engine::Selection{}};
  std::unique_ptr<config::Resolver> resolver = std::make_unique<config::Resolver>(config::Mode::Discover);
  std::set<std::string> reported_config_errors;

  explicit State(Send s) : send(std::move(s)) {
    linter.build_replay_specs(true);
    // Bounded: stale versions of edited cells age out, so memory stays flat while typing.
    linter.cache_trees(512);
  }

  // ---- sending ----
  void respond(const json& id, json result) { send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}); }
  void respond_error(const json& id, int code, const std::string& message) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
  }
  void notify(const std::string& method, json params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }
  void show_message(int type, const std::string& message) { notify("window/showMessage", {{"type", type}, {"message", message}}); }
  void log(const std::string& message) { notify("window/logMessage", {{"type", 3}, {"message", message}}); }

  // ---- configuration ----
  // As the CLI does: a document under a broken configuration is not linted (the error is
  // shown once, until the configuration files change).
  config::FileSettings settings_for(const std::string& path, bool is_file, bool& broken) {
    config::Resolver::Lookup lookup = resolver->for_file(is_file ? path : "-");
    for (const auto& e : resolver->errors())
      if (reported_config_errors.insert(e).second) show_message(1, "lstm-lint: not linting: " + e);
    broken = !lookup.broken.empty();
    return config::settings_for(lookup.config, config::Overrides{}, path);
  }

  // ---- analysis ----
  void analyse(const std::string& uri) {
    if (notebooks.count(uri)) analyse_notebook(notebooks[uri]);
    else if (text_documents.count(uri)) analyse_text(uri);
  }

  void lint(Analysis& a, bool is_file) {
    bool broken = false;
    a.settings = settings_for(a.path, is_file, broken);
    a.findings.clear();
    if (broken) return;
    linter.configure(a.settings->lint);
    try {
      a.findings = linter.lint_notebook(*a.nb).findings;
    } catch (const std::exception& e) {
      log("lstm-lint: internal error while linting " + a.path + ": " + e.what());
      a.findings.clear();
    }
  }

  void analyse_notebook(const NotebookDoc& doc) {
    Analysis a;
    a.uri = doc.uri;
    bool is_file = false;
    a.path = path_of(doc.uri, is_file);
    a.nb = std::make_unique<notebook::Notebook>();
    a.nb->path = a.path;
    a.nb->language = "python";
    int index = 0;
    for (const auto& c : doc.cells) {
      notebook::Cell cell;
      cell.index = ++index;
      cell.kind = c.kind == 1 ? notebook::CellKind::Markdown : notebook::CellKind::Code;
      auto text = texts.find(c.uri);
      if (text != texts.end()) cell.source = text->second;
      cell.execution_count = c.execution_order;
      a.nb->cells.push_back(std::move(cell));
      a.cell_uris.push_back(c.uri);
    }
    lint(a, is_file);
    for (const auto& f : a.findings) a.placed.push_back(place_in_cells(a, f));
    publish(a, a.cell_uris);
    analyses[doc.uri] = std::move(a);
  }

  Placed place_in_cells(const Analysis& a, const engine::Finding& f) {
    Placed p;
    int cell = std::clamp(f.span.start.cell, 1, static_cast<int>(a.cell_uris.size()));
    if (a.cell_uris.empty()) return p;
    p.uri = a.cell_uris[static_cast<size_t>(cell - 1)];
    const std::string& source = a.nb->cells[static_cast<size_t>(cell - 1)].source;
    if (f.span.start.cell < 1) return p;  // a notebook-wide finding: the first cell's start
    int line = std::max(f.span.start.line - 1, 0);
    p.start = {line, utf16_units(line_text(source, line), f.span.start.column - 1)};
    if (f.span.end.cell == f.span.start.cell && f.span.end.line >= f.span.start.line) {
      int end_line = std::max(f.span.end.line - 1, 0);
      p.end = {end_line, utf16_units(line_text(source, end_line), f.span.end.column - 1)};
    } else {
      p.end = {line, utf16_units(line_text(source, line), 1 << 30)};
    }
    p.has_line = a.nb->cells[static_cast<size_t>(cell - 1)].kind == notebook::CellKind::Code;
    return p;
  }

  void analyse_text(const std::string& uri) {
    Analysis a;
    a.uri = uri;
    a.text_document = true;
    bool is_file = false;
    a.path = path_of(uri, is_file);
    a.text = texts[uri];
    bool percent = notebook::is_percent_path(a.path);
    if (percent && !notebook::has_cell_marker(a.text)) {  // a plain Python module: not a notebook
      publish(a, {uri});
      analyses[uri] = std::move(a);
      return;
    }
    std::vector<json> unreadable;
    // jupyterlab-lsp sends a notebook as a virtual Python document under the notebook's name:
    // an .ipynb whose text is not JSON is read as a script (one cell, lines as they are).
    size_t first = a.text.find_first_not_of(" \t\r\n");
    bool python_text = ends_with(a.path, ".ipynb") && first != std::string::npos && a.text[first] != '{';
    try {
      a.nb = std::make_unique<notebook::Notebook>(python_text ? notebook::parse_percent(a.text, a.path)
                                                              : notebook::parse_notebook(a.text, a.path));
    } catch (const notebook::NotebookError& e) {
      json d = {{"range", range_json({0, 0}, {0, 0})},
                {"severity", 1},
                {"source", "lstm-lint"},
                {"message", std::string("lstm-lint cannot read this notebook: ") + e.what()}};
      unreadable.push_back(std::move(d));
    }
    if (a.nb) {
      lint(a, is_file);
      for (const auto& f : a.findings) a.placed.push_back(place_in_text(a, uri, f));
    }
    publish(a, {uri}, unreadable);
    analyses[uri] = std::move(a);
  }

  // A percent script's cell lines are the file's lines; an .ipynb's raw line is cited whole.
  Placed place_in_text(const Analysis& a, const std::string& uri, const engine::Finding& f) {
    Placed p;
    p.uri = uri;
    int line = std::max(f.raw_line - 1, 0);
    std::string_view start_line = line_text(a.text, line);
    if (a.nb->format == notebook::SourceFormat::Percent && f.raw_columns) {
      p.start = {line, utf16_units(start_line, f.span.start.column - 1)};
      int end_line = std::max(f.raw_end_line - 1, line);
      p.end = {end_line, utf16_units(line_text(a.text, end_line), f.span.end.column - 1)};
      p.has_line = true;
      return p;
    }
    size_t indent = start_line.find_first_not_of(" \t");
    p.start = {line, indent == std::string_view::npos ? 0 : static_cast<int>(indent)};
    p.end = {line, utf16_units(start_line, 1 << 30)};
    return p;
  }

  json diagnostic(const Analysis& a, size_t i) {
    const engine::Finding& f = a.findings[i];
    const Placed& p = a.placed[i];
    json d = {{"range", range_json(p.start, p.end)},
              {"severity", lsp_severity(f.severity)},
              {"code", f.code},
              {"codeDescription", {{"href", docs_base + f.name + "/doc.md"}}},
              {"source", "lstm-lint"},
              {"message", "[" + f.name + "] " + f.message + (f.help.empty() ? "" : "\nhelp: " + f.help)},
              {"data", {{"id", i}}}};
    // Related places: where the values the finding rests on are stated (replay's facts).
    json related = json::array();
    std::set<std::pair<int, int>> seen;
    for (const auto& rel : f.related) {  // the same bug's other places
      auto where = related_location(a, rel.span);
      if (!where || !seen.insert({rel.span.start.cell, rel.span.start.line}).second) continue;
      related.push_back({{"location", *where}, {"message", rel.message}});
    }
    for (const auto& fact : f.spec) {
      if (!fact.origin || !seen.insert({fact.origin->start.cell, fact.origin->start.line}).second) continue;
      auto where = related_location(a, *fact.origin);
      if (!where) continue;
      related.push_back({{"location", *where}, {"message", "`" + fact.key + "` = " + fact.json + " is stated here"}});
      if (related.size() >= 8) break;
    }
    if (!related.empty()) d["relatedInformation"] = std::move(related);
    return d;
  }

  std::optional<json> related_location(const Analysis& a, const Span& span) {
    if (!a.nb || span.start.cell < 1 || static_cast<size_t>(span.start.cell) > a.nb->cells.size()) return std::nullopt;
    const notebook::Cell& cell = a.nb->cells[static_cast<size_t>(span.start.cell - 1)];
    int line = std::max(span.start.line - 1, 0);
    if (!a.text_document) {
      std::string_view text = line_text(cell.source, line);
      return json{{"uri", a.cell_uris[static_cast<size_t>(span.start.cell - 1)]},
                  {"range", range_json({line, utf16_units(text, span.start.column - 1)}, {line, utf16_units(text, 1 << 30)})}};
    }
    int raw = std::max(notebook::raw_line_of(cell, span.start.line) - 1, 0);
    return json{{"uri", a.uri}, {"range", range_json({raw, 0}, {raw, utf16_units(line_text(a.text, raw), 1 << 30)})}};
  }

  // Publishes each of `uris` whose diagnostics changed, or whose text changed since.
  void publish(const Analysis& a, const std::vector<std::string>& uris, const std::vector<json>& extra = {}) {
    std::map<std::string, json> by_uri;
    for (const auto& u : uris) by_uri[u] = json::array();
    for (size_t i = 0; i < a.findings.size(); ++i) {
      auto it = by_uri.find(a.placed[i].uri);
      if (it != by_uri.end()) it->second.push_back(diagnostic(a, i));
    }
    for (const auto& d : extra)
      if (!uris.empty()) by_uri[uris.front()].push_back(d);
    for (auto& [uri, list] : by_uri) {
      std::string dumped = list.dump(-1, ' ', false, json::error_handler_t::replace);
      auto old = published.find(uri);
      bool same = old != published.end() && old->second == dumped;
      if (same && !touched.count(uri)) continue;
      published[uri] = dumped;
      touched.erase(uri);
      notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", std::move(list)}});
    }
  }

  void clear(const std::string& uri) {
    if (published.erase(uri)) notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
    touched.erase(uri);
  }

  // ---- documents ----
  void apply_content_changes(const std::string& uri, const json& changes) {
    auto text = texts.find(uri);
    if (text == texts.end() || !changes.is_array()) return;
    for (const auto& change : changes) {
      if (!change.is_object() || !change.contains("text") || !change["text"].is_string()) continue;
      const std::string& replacement = change["text"].get_ref<const std::string&>();
      if (change.contains("range") && change["range"].is_object()) {
        const json& range = change["range"];
        apply_change(text->second, position_from(range.value("start", json::object())),
                     position_from(range.value("end", json::object())), replacement);
      } else {
        text->second = replacement;
      }
    }
    touched.insert(uri);
  }

  static CellDoc cell_from(const json& c) {
    CellDoc cell;
    cell.uri = c.at("document").get<std::string>();
    cell.kind = c.value("kind", 2);
    read_execution(cell, c);
    return cell;
  }

  static void read_execution(CellDoc& cell, const json& c) {
    auto summary = c.find("executionSummary");
    if (summary == c.end() || !summary->is_object()) {
      if (summary != c.end()) cell.execution_order.reset();
      return;
    }
    auto order = summary->find("executionOrder");
    if (order != summary->end() && order->is_number_integer()) cell.execution_order = order->get<long long>();
    else cell.execution_order.reset();
  }

  void open_cell_texts(const json& items, const std::string& notebook_uri) {
    if (!items.is_array()) return;
    for (const auto& item : items) {
      std::string uri = item.at("uri").get<std::string>();
      texts[uri] = item.value("text", std::string());
      cell_owner[uri] = notebook_uri;
      touched.insert(uri);
    }
  }

  void did_open_notebook(const json& params) {
    const json& doc = params.at("notebookDocument");
    std::string uri = doc.at("uri").get<std::string>();
    NotebookDoc nb;
    nb.uri = uri;
    for (const auto& c : doc.value("cells", json::array())) nb.cells.push_back(cell_from(c));
    open_cell_texts(params.value("cellTextDocuments", json::array()), uri);
    notebooks[uri] = std::move(nb);
    dirty.insert(uri);
  }

  void did_change_notebook(const json& params) {
    std::string uri = params.at("notebookDocument").at("uri").get<std::string>();
    auto it = notebooks.find(uri);
    if (it == notebooks.end()) return;
    NotebookDoc& nb = it->second;
    const json change = params.value("change", json::object());
    const json cells = change.value("cells", json::object());
    if (cells.contains("structure")) {
      const json& structure = cells["structure"];
      const json& array = structure.at("array");
      size_t start = std::min(array.value("start", size_t{0}), nb.cells.size());
      size_t count = std::min(array.value("deleteCount", size_t{0}), nb.cells.size() - start);
      nb.cells.erase(nb.cells.begin() + static_cast<long>(start), nb.cells.begin() + static_cast<long>(start + count));
      std::vector<CellDoc> inserted;
      for (const auto& c : array.value("cells", json::array())) inserted.push_back(cell_from(c));
      nb.cells.insert(nb.cells.begin() + static_cast<long>(start), inserted.begin(), inserted.end());
      open_cell_texts(structure.value("didOpen", json::array()), uri);
      for (const auto& closed : structure.value("didClose", json::array())) {
        std::string cell_uri = closed.at("uri").get<std::string>();
        texts.erase(cell_uri);
        cell_owner.erase(cell_uri);
        clear(cell_uri);
      }
    }
    for (const auto& data : cells.value("data", json::array())) {
      std::string cell_uri = data.at("document").get<std::string>();
      for (auto& c : nb.cells)
        if (c.uri == cell_uri) {
          c.kind = data.value("kind", c.kind);
          read_execution(c, data);
        }
    }
    for (const auto& content : cells.value("textContent", json::array()))
      apply_content_changes(content.at("document").at("uri").get<std::string>(), content.value("changes", json::array()));
    dirty.insert(uri);
  }

  void did_close_notebook(const json& params) {
    std::string uri = params.at("notebookDocument").at("uri").get<std::string>();
    auto it = notebooks.find(uri);
    if (it == notebooks.end()) return;
    for (const auto& c : it->second.cells) {
      texts.erase(c.uri);
      cell_owner.erase(c.uri);
      clear(c.uri);
    }
    for (const auto& closed : params.value("cellTextDocuments", json::array())) {
      std::string cell_uri = closed.value("uri", std::string());
      texts.erase(cell_uri);
      cell_owner.erase(cell_uri);
      clear(cell_uri);
    }
    notebooks.erase(it);
    analyses.erase(uri);
    dirty.erase(uri);
  }

  void did_open_text(const json& params) {
    const json& doc = params.at("textDocument");
    std::string uri = doc.at("uri").get<std::string>();
    texts[uri] = doc.value("text", std::string());
    bool is_file = false;
    std::string path = path_of(uri, is_file);
    if (!ends_with(path, ".ipynb") && !notebook::is_percent_path(path)) return;  // not ours
    text_documents.insert(uri);
    touched.insert(uri);
    dirty.insert(uri);
  }

  void did_change_text(const json& params) {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    apply_content_changes(uri, params.value("contentChanges", json::array()));
    if (auto owner = cell_owner.find(uri); owner != cell_owner.end()) dirty.insert(owner->second);
    else if (text_documents.count(uri)) dirty.insert(uri);
  }

  void did_close_text(const json& params) {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    if (cell_owner.count(uri)) return;  // cells close with their notebook
    texts.erase(uri);
    text_documents.erase(uri);
    analyses.erase(uri);
    dirty.erase(uri);
    clear(uri);
  }

  void reload_configuration() {
    resolver = std::make_unique<config::Resolver>(config::Mode::Discover);
    reported_config_errors.clear();
    for (const auto& [uri, nb] : notebooks) dirty.insert(uri);
    for (const auto& uri : text_documents) dirty.insert(uri);
  }

  void flush() {
    std::set<std::string> now;
    now.swap(dirty);
    for (const auto& uri : now) analyse(uri);
  }

  // ---- requests ----
  json initialize(const json& params) {
    if (params.is_object()) {
      const json options = params.value("initializationOptions", json::object());
      if (options.is_object() && options.contains("docsBaseUrl") && options["docsBaseUrl"].is_string())
        docs_base = options["docsBaseUrl"].get<std::string>();
      const json caps = params.value("capabilities", json::object());
      if (caps.is_object()) {
        const json ws = caps.value("workspace", json::object());
        if (ws.is_object()) {
          const json watched = ws.value("didChangeWatchedFiles", json::object());
          watch_registration = watched.is_object() && watched.value("dynamicRegistration", false);
        }
      }
    }
    json notebook_sync = {
        {"notebookSelector", json::array({{{"notebook", {{"notebookType", "jupyter-notebook"}}},
                                            {"cells", json::array({{{"language", "python"}}})}}})},
        {"save", true}};
    json capabilities = {{"positionEncoding", "utf-16"},
                         {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
                         {"notebookDocumentSync", notebook_sync},
                         {"codeActionProvider", {{"codeActionKinds", json::array({"quickfix"})}}},
                         {"executeCommandProvider", {{"commands", json::array({kReplayCommand})}}}};
    return {{"capabilities", capabilities}, {"serverInfo", {{"name", "lstm-lint"}, {"version", LSTM_LINT_VERSION}}}};
  }

  // Asks the client to report changes of configuration files (workspace/didChangeWatchedFiles).
  void register_watchers() {
    if (!watch_registration || sent_registration) return;
    sent_registration = true;
    json watchers = json::array({{{"globPattern", "**/.lstm-lint.toml"}}, {{"globPattern", "**/pyproject.toml"}}});
    json registration = {{"id", "lstm-lint-config"},
                         {"method", "workspace/didChangeWatchedFiles"},
                         {"registerOptions", {{"watchers", watchers}}}};
    send({{"jsonrpc", "2.0"},
          {"id", "lstm-lint-" + std::to_string(next_request_id++)},
          {"method", "client/registerCapability"},
          {"params", {{"registrations", json::array({registration})}}}});
  }

  // The analysis holding a document (a notebook's cell or a text document) and the uri of the
  // analysed document.
  Analysis* analysis_for(const std::string& uri) {
    auto owner = cell_owner.find(uri);
    auto it = analyses.find(owner != cell_owner.end() ? owner->second : uri);
    return it == analyses.end() ? nullptr : &it->second;
  }

  // A text edit for an Edit of a cell's source, in the document that shows it.
  std::optional<std::pair<std::string, json>> text_edit(const Analysis& a, const engine::Edit& e) {
    if (e.cell < 1 || static_cast<size_t>(e.cell) > a.nb->cells.size()) return std::nullopt;
    const notebook::Cell& cell = a.nb->cells[static_cast<size_t>(e.cell - 1)];
    if (e.begin > e.end || e.end > cell.source.size()) return std::nullopt;
    if (!a.text_document) {
      return std::make_pair(a.cell_uris[static_cast<size_t>(e.cell - 1)],
                            json{{"range", range_json(position_of(cell.source, e.begin), position_of(cell.source, e.end))},
                                 {"newText", e.text}});
    }
    if (a.nb->format != notebook::SourceFormat::Percent || cell.raw_pieces.empty()) return std::nullopt;
    size_t base = cell.raw_pieces.front().raw_begin;
    return std::make_pair(std::string(),
                          json{{"range", range_json(position_of(a.text, base + e.begin), position_of(a.text, base + e.end))},
                               {"newText", e.text}});
  }

  std::optional<json> fix_edit(const Analysis& a, const std::string& text_uri, const engine::Finding& f) {
    json changes = json::object();
    if (a.text_document && a.nb->format == notebook::SourceFormat::Ipynb) {
      // The fix as the CLI splices it into the JSON; the client gets the whole new text.
      fix::Result r = fix::apply(a.text, *a.nb, {f}, true);
      if (!r.error.empty() || r.fixed.empty()) return std::nullopt;
      changes[text_uri] = json::array(
          {{{"range", range_json({0, 0}, position_of(a.text, a.text.size()))}, {"newText", r.bytes}}});
      return json{{"changes", changes}};
    }
    for (const auto& e : f.fix->edits) {
      auto edit = text_edit(a, e);
      if (!edit) return std::nullopt;
      std::string uri = edit->first.empty() ? text_uri : edit->first;
      if (!changes.contains(uri)) changes[uri] = json::array();
      changes[uri].push_back(edit->second);
    }
    return json{{"changes", changes}};
  }

  // `# noqa: CODE` at the end of the finding's line (added to an existing noqa list).
  std::optional<json> noqa_edit(const Analysis& a, const engine::Finding& f, const Placed& p) {
    if (!p.has_line) return std::nullopt;
    std::string_view line;
    if (a.text_document) line = line_text(a.text, p.start.line);
    else line = line_text(a.nb->cells[static_cast<size_t>(f.span.start.cell - 1)].source, p.start.line);
    std::string body(line);
    if (!body.empty() && body.back() == '\r') body.pop_back();
    Position end{p.start.line, utf16_units(body, 1 << 30)};
    std::string insert;
    size_t noqa = body.find("# noqa");
    if (noqa == std::string::npos) {
      insert = "  # noqa: " + f.code;
    } else if (body.compare(noqa, 7, "# noqa:") == 0) {
      insert = ", " + f.code;
    } else {
      return std::nullopt;  // a bare `# noqa` already silences the line
    }
    json changes = json::object();
    changes[p.uri] = json::array({{{"range", range_json(end, end)}, {"newText", insert}}});
    return json{{"changes", changes}};
  }

  json code_action(const json& params) {
    json actions = json::array();
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    Position from = position_from(params.at("range").value("start", json::object()));
    Position to = position_from(params.at("range").value("end", json::object()));
    Analysis* a = analysis_for(uri);
    if (!a || !a->nb) return actions;
    for (size_t i = 0; i < a->findings.size(); ++i) {
      const engine::Finding& f = a->findings[i];
      const Placed& p = a->placed[i];
      if (p.uri != uri || p.start.line > to.line || p.end.line < from.line) continue;
      json diag = json::array({diagnostic(*a, i)});
      if (f.fix) {
        if (auto edit = fix_edit(*a, uri, f)) {
          actions.push_back({{"title", f.fix->description + (f.fix->safe ? "" : " (unsafe fix: may change behaviour)")},
                             {"kind", "quickfix"},
                             {"isPreferred", f.fix->safe},
                             {"diagnostics", diag},
                             {"edit", *edit}});
        }
      }
      if (auto edit = noqa_edit(*a, f, p))
        actions.push_back({{"title", "Suppress `" + f.code + "` (" + f.name + ") with `# noqa`"},
                           {"kind", "quickfix"},
                           {"isPreferred", false},
                           {"diagnostics", diag},
                           {"edit", *edit}});
      const engine::RuleInfo* rule = engine::find_rule(f.code);
      if (rule && rule->replay)
        actions.push_back({{"title", "Replay `" + f.code + "` on a reference model (lstm-lint-replay)"},
                           {"kind", "quickfix"},
                           {"diagnostics", diag},
                           {"command", {{"title", "Replay " + f.code}, {"command", kReplayCommand}, {"arguments", json::array({uri, i})}}}});
    }
    return actions;
  }

  json execute_command(const json& params) {
    std::string command = params.at("command").get<std::string>();
    if (command != kReplayCommand) throw std::invalid_argument("unknown command `" + command + "`");
    const json args = params.value("arguments", json::array());
    if (!args.is_array() || args.size() < 2 || !args[0].is_string() || !args[1].is_number_unsigned())
      throw std::invalid_argument("lstm-lint.replay takes [document uri, finding id]");
    Analysis* a = analysis_for(args[0].get<std::string>());
    size_t id = args[1].get<size_t>();
    if (!a || id >= a->findings.size()) {
      show_message(2, "lstm-lint: that finding is gone (the document changed); run the code action again");
      return {{"ok", false}, {"error", "no such finding"}};
    }
    std::vector<engine::FileResult> group{{a->path, {a->findings[id]}, std::nullopt}};
    replay::Options options = a->settings ? a->settings->replay_options : replay::Options{};
    replay::Run run = replay::run(group, options);
    const engine::Finding& f = group.front().findings.front();
    if (!run.ok || !f.replay) {
      std::string why = run.error.empty() ? "no verdict" : run.error;
      show_message(1, "lstm-lint: replay did not run: " + why);
      return {{"ok", false}, {"error", why}};
    }
    show_message(3, f.code + " " + f.name + ": " + f.replay->verdict + (f.replay->summary.empty() ? "" : ": " + f.replay->summary));
    return {{"ok", true}, {"verdict", f.replay->verdict}, {"summary", f.replay->summary}};
  }

  // ---- dispatch ----
  void dispatch(const json& message) {
    if (!message.is_object()) {
      respond_error(nullptr, kInvalidRequest, "a message must be a JSON object");
      return;
    }
    auto method_it = message.find("method");
    bool has_id = message.contains("id");
    json id = has_id ? message["id"] : json(nullptr);
    if (has_id && !id.is_string() && !id.is_number_integer() && !id.is_null()) {
      respond_error(nullptr, kInvalidRequest, "`id` must be a string or an integer");
      return;
    }
    if (method_it == message.end()) {
      if (has_id && (message.contains("result") || message.contains("error"))) return;  // a response to our request
      respond_error(id, kInvalidRequest, "no `method`");
      return;
    }
    if (!method_it->is_string()) {
      respond_error(id, kInvalidRequest, "`method` must be a string");
      return;
    }
    const std::string method = method_it->get<std::string>();
    const json params = message.value("params", json::object());
    if (!has_id) {
      notification(method, params);
      return;
    }
    if (cancelled.erase(id)) {
      respond_error(id, kRequestCancelled, "cancelled");
      return;
    }
    request(id, method, params);
  }

  void request(const json& id, const std::string& method, const json& params) {
    if (method == "initialize") {
      if (initialized) {
        respond_error(id, kInvalidRequest, "initialize was already received");
        return;
      }
      initialized = true;
      respond(id, initialize(params));
      return;
    }
    if (!initialized) {
      respond_error(id, kServerNotInitialized, "the server is not initialized");
      return;
    }
    if (shutdown) {
      respond_error(id, kInvalidRequest, "the server is shutting down");
      return;
    }
    try {
      if (method == "shutdown") {
        shutdown = true;
        respond(id, nullptr);
      } else if (method == "textDocument/codeAction") {
        flush();
        respond(id, code_action(params));
      } else if (method == "workspace/executeCommand") {
        flush();
        respond(id, execute_command(params));
      } else if (method == "textDocument/diagnostic") {
        respond_error(id, kMethodNotFound, "diagnostics are published, not pulled");
      } else {
        respond_error(id, kMethodNotFound, "unknown method `" + method + "`");
      }
    } catch (const std::exception& e) {
      respond_error(id, kInvalidParams, std::string("invalid params for ") + method + ": " + e.what());
    }
  }

  void notification(const std::string& method, const json& params) {
    if (method == "exit") {
      exited = true;
      return;
    }
    if (method == "$/cancelRequest") return;  // handled while queueing (receive_all)
    if (!initialized || shutdown) return;
    try {
      if (method == "initialized") register_watchers();
      else if (method == "notebookDocument/didOpen") did_open_notebook(params);
      else if (method == "notebookDocument/didChange") did_change_notebook(params);
      else if (method == "notebookDocument/didSave") dirty.insert(params.at("notebookDocument").at("uri").get<std::string>());
      else if (method == "notebookDocument/didClose") did_close_notebook(params);
      else if (method == "textDocument/didOpen") did_open_text(params);
      else if (method == "textDocument/didChange") did_change_text(params);
      else if (method == "textDocument/didClose") did_close_text(params);
      else if (method == "textDocument/didSave") {
        std::string uri = params.at("textDocument").at("uri").get<std::string>();
        if (text_documents.count(uri)) dirty.insert(uri);
      } else if (method == "workspace/didChangeWatchedFiles") reload_configuration();
      // Other notifications ($/setTrace, workspace/didChangeConfiguration, ...) are ignored.
    } catch (const std::exception& e) {
      log("lstm-lint: ignored a malformed " + method + " notification: " + e.what());
    }
  }

};

Server::Server(Send send) : state_(std::make_unique<State>(std::move(send))) {}
Server::~Server() = default;

void Server::receive(const std::string& body) { receive_batch({body}); }

void Server::receive_batch(const std::vector<std::string>& bodies) {
  std::vector<json> messages(bodies.size());
  std::vector<bool> parsed(bodies.size(), false);
  for (size_t i = 0; i < bodies.size(); ++i) {
    try {
      messages[i] = json::parse(bodies[i]);
      parsed[i] = true;
    } catch (const json::parse_error&) {
      continue;
    }
    // A cancellation that arrives with its request (both buffered) is honoured.
    const json& m = messages[i];
    if (m.is_object() && m.value("method", json()) == "$/cancelRequest" && m.contains("params") && m["params"].is_object() &&
        m["params"].contains("id"))
      state_->cancelled.insert(m["params"]["id"]);
  }
  for (size_t i = 0; i < bodies.size() && !state_->exited; ++i) {
    if (!parsed[i]) {
      state_->respond_error(nullptr, kParseError, "parse error: the message is not valid JSON");
      continue;
    }
    try {
      state_->dispatch(messages[i]);
    } catch (const std::exception& e) {
      state_->log(std::string("lstm-lint: internal error: ") + e.what());
    }
  }
  // Ids cancelled after their request was answered are forgotten, so the set stays small.
  state_->cancelled.clear();
}

void Server::flush() { state_->flush(); }
void Server::framing_error(const std::string& problem) { state_->respond_error(nullptr, kInvalidRequest, problem); }
bool Server::exited() const { return state_->exited; }
int Server::exit_code() const { return state_->shutdown ? 0 : 1; }

int run_stdio() {
  size_t limit = 64u << 20;
  if (const char* env = std::getenv("LSTM_LINT_SERVER_MAX_MESSAGE"); env && *env) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(env, &end, 10);
    if (end && *end == '\0' && v > 0) limit = static_cast<size_t>(v);
  }
  MessageReader reader(limit);
  Server server([](const json& message) {
    std::string out = frame(message.dump(-1, ' ', false, json::error_handler_t::replace));
    for (size_t written = 0; written < out.size();) {
      ssize_t n = ::write(STDOUT_FILENO, out.data() + written, out.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client is gone
      written += static_cast<size_t>(n);
    }
  });
  char buffer[1 << 16];
  std::vector<std::string> queue;
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reader.feed(std::string_view(buffer, static_cast<size_t>(n)));
    std::string body;
    for (MessageReader::Status s; (s = reader.next(body)) != MessageReader::Status::NeedMore;) {
      if (s == MessageReader::Status::Error) server.framing_error(body);
      else queue.push_back(std::move(body));
    }
    server.receive_batch(queue);
    queue.clear();
    if (server.exited()) return server.exit_code();
    server.flush();
  }
  return server.exit_code();
}

}  // namespace lstmlint::server
