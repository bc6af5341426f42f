// Jupytext percent scripts: a `.py` file whose `# %%` lines start cells, read into the same
// Notebook the .ipynb loader builds (no execution counts, no outputs).
#pragma once

#include <string>
#include <string_view>

#include "notebook/notebook.h"

namespace lstmlint::notebook {

// Whether `line` (without its newline) starts a cell: `# %%` or `#%%`, then the end of the
// line or a space (`# %% [markdown] title key="value"`).
bool is_cell_marker(std::string_view line);

// Whether any line of `text` is a cell marker.
bool has_cell_marker(std::string_view text);

// Whether `path` names a file lstm-lint reads as a percent script (by its `.py` extension).
bool is_percent_path(std::string_view path);

// Whether the file at `path` holds a cell marker (directory walks lint only those scripts);
// false when it cannot be read.
bool file_has_cell_marker(const std::string& path);

// Parses a percent script. Lines before the first marker form a code cell of their own unless
// they are blank or only jupytext's `# ---` YAML header; a script without markers is one code
// cell. Code cells hold the file's text verbatim (trailing blank lines dropped), so each cell's
// source is one contiguous run of the file: Cell::raw_pieces has one piece per line with its
// file line and byte range, which --fix splices and reporters cite. `# %% [markdown]` (or
// `[md]`) cells hold their lines without the `# ` prefix, `[raw]` cells their lines as they
// are. Throws NotebookError on invalid UTF-8 (with the line).
Notebook parse_percent(std::string_view bytes, std::string path);

}  // namespace lstmlint::notebook
