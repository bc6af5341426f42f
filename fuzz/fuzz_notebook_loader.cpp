// fuzz_notebook_loader: arbitrary bytes into the .ipynb loader. NotebookError is the expected
// way to reject a file; any other exception, a sanitizer report, a broken invariant, or valid
// JSON rejected as "invalid JSON" is a bug.
// Inputs over 64 KiB (the streaming reader's chunk) are also read through load_notebook_file,
// which must agree with the in-memory parse.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <typeinfo>

#include "fuzz_common.h"
#include "notebook/notebook.h"

using namespace lstmlint::notebook;

namespace {

struct Outcome {
  std::optional<Notebook> notebook;
  std::string error;  // NotebookError message
};

template <class F>
Outcome run(F&& parse, const char* how) {
  Outcome o;
  try {
    o.notebook = parse();
  } catch (const NotebookError& e) {
    o.error = e.what();
    FUZZ_CHECK(!o.error.empty(), std::string(how) + ": NotebookError without a message");
  } catch (const std::exception& e) {
    fuzzing::fail(std::string(how) + ": unexpected exception " + typeid(e).name() + ": " + e.what());
  }
  return o;
}

void check_notebook(const Notebook& nb) {
  FUZZ_CHECK(nb.path == "fuzz.ipynb", "path kept");
  FUZZ_CHECK(nb.nbformat == 3 || nb.nbformat == 4, "only nbformat 3 and 4 are accepted");
  for (size_t i = 0; i < nb.cells.size(); ++i) {
    const Cell& c = nb.cells[i];
    FUZZ_CHECK(c.index == static_cast<int>(i) + 1, "cells are numbered 1..n in order");
    if (c.kind != CellKind::Code) {
      FUZZ_CHECK(!c.execution_count && c.outputs.empty(), "only code cells carry counts and outputs");
    } else if (c.execution_count) {
      FUZZ_CHECK(*c.execution_count >= 0, "negative execution counts are rejected");
    }
    for (const Output& o : c.outputs) {
      FUZZ_CHECK(o.ename.find('\x1b') == std::string::npos && o.evalue.find('\x1b') == std::string::npos,
                 "ANSI escapes are stripped from error names and values");
      for (const auto& line : o.traceback)
        FUZZ_CHECK(line.find('\x1b') == std::string::npos, "ANSI escapes are stripped from tracebacks");
    }
  }
}

bool same(const Notebook& a, const Notebook& b) {
  if (a.nbformat != b.nbformat || a.nbformat_minor != b.nbformat_minor || a.language != b.language ||
      a.cells.size() != b.cells.size())
    return false;
  for (size_t i = 0; i < a.cells.size(); ++i) {
    const Cell &x = a.cells[i], &y = b.cells[i];
    if (x.kind != y.kind || x.id != y.id || x.source != y.source || x.execution_count != y.execution_count ||
        x.outputs.size() != y.outputs.size())
      return false;
    for (size_t k = 0; k < x.outputs.size(); ++k) {
      const Output &p = x.outputs[k], &q = y.outputs[k];
      if (p.kind != q.kind || p.text != q.text || p.ename != q.ename || p.evalue != q.evalue || p.traceback != q.traceback)
        return false;
    }
  }
  return true;
}

// The same bytes as a file, without touching the disk: a memfd read through /proc/self/fd.
Outcome load_via_file(std::string_view bytes) {
  int fd = memfd_create("fuzz.ipynb", 0);
  if (fd < 0) return {};
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  Outcome o = run([&] { return load_notebook_file(path); }, "load_notebook_file");
  close(fd);
  if (o.notebook) o.notebook->path = "fuzz.ipynb";
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Outcome mem = run([&] { return parse_notebook(bytes, "fuzz.ipynb"); }, "parse_notebook");
  if (mem.notebook) check_notebook(*mem.notebook);
  // Payload elision and the string cap may make the loader more lenient than the JSON
  // grammar, never stricter: what nlohmann accepts must not be called invalid JSON.
  if (!mem.notebook && mem.error.rfind("invalid JSON", 0) == 0)
    FUZZ_CHECK(!nlohmann::json::accept(bytes), "valid JSON rejected: " + mem.error.substr(0, 300));

  if (size > (1u << 16)) {
    Outcome file = load_via_file(bytes);
    if (!file.notebook && file.error.empty()) return 0;  // memfd unavailable
    FUZZ_CHECK(mem.notebook.has_value() == file.notebook.has_value(),
               "streamed and in-memory parses disagree on acceptance: memory \"" + mem.error + "\", file \"" +
                   file.error + "\"");
    if (mem.notebook) FUZZ_CHECK(same(*mem.notebook, *file.notebook), "streamed and in-memory parses differ");
  }

  // strip_ansi on the raw bytes: never longer than its input, and no escape character survives.
  std::string stripped = strip_ansi(bytes.substr(0, 4096));
  FUZZ_CHECK(stripped.size() <= std::min<size_t>(size, 4096), "strip_ansi grew its input");
  FUZZ_CHECK(stripped.find('\x1b') == std::string::npos, "strip_ansi left an escape character");
  return 0;
}
