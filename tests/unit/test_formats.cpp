// Output formats on hand-made findings: escaping (GitHub, XML, URIs), exact lines, --fail-on
// policies and the atomic report file.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/fail_on.h"
#include "engine/file_write.h"
#include "engine/registry.h"
#include "report/report.h"

using lstmlint::engine::FileResult;
using lstmlint::engine::Finding;
using lstmlint::engine::Severity;
namespace report = lstmlint::report;

namespace {

Finding make_finding(std::string filename, Severity severity, std::string message) {
  Finding f;
  f.code = "LSTM301";
  f.name = "state-not-detached";
  f.severity = severity;
  f.message = std::move(message);
  f.help = "detach it";
  f.filename = std::move(filename);
  f.span = {{3, 5, 31}, {3, 5, 37}};
  f.execution_count = 4;
  f.source_line = "    out, h = model(x, h)";
  f.raw_line = 97;
  f.raw_end_line = 97;
  return f;
}

std::vector<FileResult> results_of(std::vector<Finding> findings, std::string path = "nb.ipynb") {
  FileResult r;
  r.path = std::move(path);
  r.findings = std::move(findings);
  return {r};
}

std::string render(report::Format format, const std::vector<FileResult>& results, report::TextOptions options = {}) {
  std::ostringstream out;
  report::write(out, format, results, options);
  return out.str();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("every --format name parses back to its format", "[report][formats]") {
  for (const auto& [name, format] : report::formats()) CHECK(report::parse_format(name) == format);
  CHECK_FALSE(report::parse_format("xml").has_value());
  CHECK(report::formats().size() == 7);
}

TEST_CASE("github: the whole command, with data and property escaping", "[report][formats]") {
  auto results = results_of({make_finding("a,b:c%d.ipynb", Severity::Error, "100% wrong\r\nreally")}, "a,b:c%d.ipynb");
  CHECK(render(report::Format::Github, results) ==
        "::error file=a%2Cb%3Ac%25d.ipynb,line=97,endLine=97,title=LSTM301 state-not-detached::"
        "cell 3:5:31: 100%25 wrong%0D%0Areally%0Ahelp: detach it\n");
}

TEST_CASE("github: warning and notice; no line without a mapping; load errors", "[report][formats]") {
  auto warning = make_finding("nb.ipynb", Severity::Warning, "m");
  auto info = make_finding("nb.ipynb", Severity::Info, "m");
  info.raw_line = info.raw_end_line = 0;
  info.help.clear();
  FileResult broken;
  broken.path = "bad,1.ipynb";
  broken.error = "invalid JSON: line 1\nmore";
  auto results = results_of({warning, info});
  results.push_back(broken);
  CHECK(render(report::Format::Github, results) ==
        "::warning file=nb.ipynb,line=97,endLine=97,title=LSTM301 state-not-detached::cell 3:5:31: m%0Ahelp: detach it\n"
        "::notice file=nb.ipynb,title=LSTM301 state-not-detached::cell 3:5:31: m\n"
        "::error file=bad%2C1.ipynb,title=lstm-lint could not read this notebook::invalid JSON: line 1%0Amore\n");
}

TEST_CASE("junit: escaped attributes and text, characters XML cannot carry dropped", "[report][formats]") {
  std::string message = "a <b> & \"c\" 'd'\x01\x1b\tend\xff\xef\xbf\xbe!";
  auto xml = render(report::Format::Junit, results_of({make_finding("x&y.ipynb", Severity::Error, message)}, "x&y.ipynb"));
  CHECK(xml.find("<testsuites name=\"lstm-lint\" tests=\"1\" failures=\"1\" errors=\"0\">") != std::string::npos);
  CHECK(xml.find("<testcase name=\"x&amp;y.ipynb\" classname=\"lstm-lint\" file=\"x&amp;y.ipynb\">") != std::string::npos);
  // Attribute: quotes escaped, the tab kept as a reference; invalid UTF-8 becomes U+FFFD, U+FFFE is dropped.
  CHECK(xml.find("message=\"LSTM301 [state-not-detached] a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;&#9;end\xef\xbf\xbd!\"") !=
        std::string::npos);
  // Text: quotes as they are.
  CHECK(xml.find("x&amp;y.ipynb:cell 3:5:31: LSTM301 [state-not-detached] a &lt;b&gt; &amp; \"c\" 'd'\tend") != std::string::npos);
  CHECK(xml.find('\x01') == std::string::npos);
  CHECK(xml.find('\x1b') == std::string::npos);
  CHECK(xml.find("\xef\xbf\xbe") == std::string::npos);
  CHECK(xml.find("In [4]\n    out, h = model(x, h)\nhelp: detach it\n</failure>") != std::string::npos);
}

TEST_CASE("junit: a clean notebook is a passing test case, a load error an error", "[report][formats]") {
  FileResult clean, broken;
  clean.path = "clean.ipynb";
  broken.path = "broken.ipynb";
  broken.error = "the file is empty";
  auto xml = render(report::Format::Junit, {clean, broken});
  CHECK(xml.find("tests=\"2\" failures=\"0\" errors=\"1\"") != std::string::npos);
  CHECK(xml.find("<testcase name=\"clean.ipynb\" classname=\"lstm-lint\" file=\"clean.ipynb\"/>") != std::string::npos);
  CHECK(xml.find("<error type=\"load-error\" message=\"the file is empty\">broken.ipynb: the file is empty</error>") !=
        std::string::npos);
}

TEST_CASE("sarif: URIs escaped, regions on raw lines, cell coordinates in properties", "[report][formats]") {
  auto f = make_finding("dir a/b#c%:d.ipynb", Severity::Info, "m");
  FileResult broken;
  broken.path = "/abs/e f.ipynb";
  broken.error = "is a directory";
  auto results = results_of({f}, "dir a/b#c%:d.ipynb");
  results.push_back(broken);
  auto doc = nlohmann::json::parse(render(report::Format::Sarif, results));
  const auto& run = doc["runs"][0];
  const auto& result = run["results"][0];
  CHECK(result["level"] == "note");
  CHECK(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir%20a/b%23c%25%3Ad.ipynb");
  CHECK(result["locations"][0]["physicalLocation"]["region"] == nlohmann::json({{"startLine", 97}, {"endLine", 97}}));
  CHECK(result["properties"]["notebook"] == nlohmann::json({{"cell", 3}, {"line", 5}, {"column", 31}, {"endCell", 3},
                                                            {"endLine", 5}, {"endColumn", 37}, {"executionCount", 4}}));
  const auto& rules = run["tool"]["driver"]["rules"];
  REQUIRE(rules.size() == lstmlint::engine::all_rules().size());
  CHECK(rules[result["ruleIndex"].get<size_t>()]["id"] == "LSTM301");
  CHECK(run["invocations"][0]["executionSuccessful"] == false);
  CHECK(run["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] ==
        "file:///abs/e%20f.ipynb");
}

TEST_CASE("json-lines: one compact object per line, errors typed apart", "[report][formats]") {
  FileResult broken;
  broken.path = "broken.ipynb";
  broken.error = "the file is empty";
  auto results = results_of({make_finding("nb.ipynb", Severity::Error, "m"), make_finding("nb.ipynb", Severity::Warning, "n")});
  results.push_back(broken);
  std::istringstream lines(render(report::Format::JsonLines, results));
  std::vector<nlohmann::json> objects;
  for (std::string line; std::getline(lines, line);) objects.push_back(nlohmann::json::parse(line));
  REQUIRE(objects.size() == 3);
  CHECK(objects[0]["type"] == "finding");
  CHECK(objects[1]["message"] == "n");
  nlohmann::json without_type = objects[0];
  without_type.erase("type");
  CHECK(without_type == nlohmann::json(report::finding_json(results[0].findings[0])));
  CHECK(objects[2] == nlohmann::json({{"type", "error"}, {"filename", "broken.ipynb"}, {"message", "the file is empty"}}));
}

TEST_CASE("concise: the text format's header lines, then the summary", "[report][formats]") {
  auto results = results_of({make_finding("nb.ipynb", Severity::Error, "m")});
  CHECK(render(report::Format::Concise, results) ==
        "nb.ipynb:cell 3:5:31: LSTM301 [state-not-detached] m\nFound 1 finding (1 error) in 1 notebook.\n");
  CHECK(render(report::Format::Concise, results, {false, true}) == "nb.ipynb:cell 3:5:31: LSTM301 [state-not-detached] m\n");
}

TEST_CASE("statistics: counts per rule, most first", "[report][formats]") {
  auto a = make_finding("nb.ipynb", Severity::Warning, "m");
  a.code = "LSTM101";
  a.name = "out-of-order-execution";
  auto b = make_finding("nb.ipynb", Severity::Error, "m");
  auto results = results_of({b, a, a});
  std::ostringstream text, json;
  report::write_statistics(text, results, {});
  report::write_statistics_json(json, results);
  CHECK(text.str() ==
        "2  LSTM101  out-of-order-execution  warning\n"
        "1  LSTM301  state-not-detached      error\n"
        "Found 3 findings (1 error, 2 warnings) in 1 notebook.\n");
  CHECK(nlohmann::json::parse(json.str())[0] ==
        nlohmann::json({{"code", "LSTM101"}, {"name", "out-of-order-execution"}, {"severity", "warning"}, {"count", 2}}));
}

TEST_CASE("fail-on policies: severities at or above, and confirmed", "[report][formats]") {
  using lstmlint::engine::parse_fail_on;
  auto error = make_finding("nb.ipynb", Severity::Error, "m");
  auto warning = make_finding("nb.ipynb", Severity::Warning, "m");
  auto info = make_finding("nb.ipynb", Severity::Info, "m");
  CHECK(parse_fail_on("error")->fails(error));
  CHECK_FALSE(parse_fail_on("error")->fails(warning));
  CHECK(parse_fail_on("warning")->fails(warning));
  CHECK_FALSE(parse_fail_on("warning")->fails(info));
  CHECK(parse_fail_on("info")->fails(info));
  CHECK(lstmlint::engine::FailOn{}.fails(info));  // the default: any finding
  auto confirmed = parse_fail_on("confirmed");
  REQUIRE(confirmed);
  CHECK(confirmed->needs_replay());
  CHECK_FALSE(confirmed->fails(error));
  error.replay = lstmlint::engine::ReplayOutcome{"CONFIRMED"};
  CHECK(confirmed->fails(error));
  CHECK_FALSE(parse_fail_on("severe").has_value());
  for (const auto& name : lstmlint::engine::fail_on_names()) CHECK(parse_fail_on(name).has_value());
}

TEST_CASE("the report file is replaced atomically, keeping its mode", "[report][formats]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "lstm-lint-output-file";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = (dir / "report.txt").string();
  CHECK(lstmlint::engine::write_file_atomically(path, "first\n").empty());
  CHECK(read_file(path) == "first\n");
  chmod(path.c_str(), 0640);
  struct stat before {};
  stat(path.c_str(), &before);
  CHECK(lstmlint::engine::write_file_atomically(path, "second\n").empty());
  struct stat after {};
  stat(path.c_str(), &after);
  CHECK(read_file(path) == "second\n");
  CHECK(after.st_ino != before.st_ino);  // a new file renamed over the old one
  CHECK((after.st_mode & 07777) == 0640);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);  // no temporary left
  std::string error = lstmlint::engine::write_file_atomically((dir / "no-such-dir" / "r.txt").string(), "x");
  CHECK(error == "cannot create a temporary file in " + (dir / "no-such-dir").string() + ": No such file or directory");
  fs::remove_all(dir);
}
