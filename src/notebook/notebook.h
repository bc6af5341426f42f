// The notebook as rules see it: cells, sources, execution counts and the outputs rules read.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lstmlint::notebook {

enum class CellKind { Code, Markdown, Raw };

enum class OutputKind { Stream, Result, Display, Error };

// Only what rules read is kept: stream text, text/plain results, errors. Payloads are dropped.
struct Output {
  OutputKind kind = OutputKind::Stream;
  std::string text;  // stream text or text/plain
  std::string ename;
  std::string evalue;
  std::vector<std::string> traceback;  // ANSI colour codes stripped
};

struct RawPiece {
  size_t offset = 0;  // in Cell::source
  int line = 0;       // in the .ipynb file
  // The string token's bytes in the .ipynb file, between its quotes (still JSON-escaped):
  // what --fix splices (src/fix/). raw_end < raw_begin when unknown.
  size_t raw_begin = 0;
  size_t raw_end = 0;
};

struct Cell {
  int index = 0;  // 1-based among all cells
  CellKind kind = CellKind::Code;
  std::string id;
  std::string source;
  std::optional<long long> execution_count;
  std::vector<Output> outputs;
  // Where the cell sits in the .ipynb file itself, for reporters that point into the raw file
  // (SARIF, GitHub annotations): for code cells, each source string's raw line (1-based) and
  // the byte offset in `source` where it starts (a list-form source has one string per element,
  // usually one per line; a plain string is one piece); for every cell, the raw line where its
  // object starts. Empty / 0 for notebooks built in memory.
  std::vector<RawPiece> raw_pieces;
  int raw_line = 0;
};

// The raw .ipynb line holding a cell's source line (1-based); lines past the end map to the
// last one, and a cell without a mapping to where it starts (0 when that is unknown too).
int raw_line_of(const Cell& cell, int line);
// raw_line_of for every line of the cell (empty without a mapping).
std::vector<int> raw_lines_of(const Cell& cell);

// Where the cells come from: an .ipynb file, or a jupytext percent script (notebook/percent.h),
// whose code cells are verbatim runs of the file (raw lines are the script's own lines).
enum class SourceFormat { Ipynb, Percent };

struct Notebook {
  std::string path;
  SourceFormat format = SourceFormat::Ipynb;
  int nbformat = 4;
  int nbformat_minor = 0;
  std::string language;  // "python" unless the metadata says otherwise
  std::vector<Cell> cells;
  // lstm-lint's own settings from the notebook metadata, {"lstm-lint": {"ignore": [...]}}.
  std::vector<std::string> ignore;  // rule codes or names suppressed in the whole notebook
  std::string settings_problem;     // why the settings are malformed; empty when they are fine
};

// A notebook that cannot be read: the message names the problem (the caller adds the file).
class NotebookError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses .ipynb bytes (nbformat 3 or 4). Throws NotebookError on anything malformed. A `path`
// ending in `.py` is read as a percent script instead (notebook/percent.h).
Notebook parse_notebook(std::string_view bytes, std::string path);

// Reads and parses a file (a `.py` one as a percent script); throws NotebookError with an
// OS-level reason when unreadable.
Notebook load_notebook_file(const std::string& path);

std::string strip_ansi(std::string_view text);

}  // namespace lstmlint::notebook
