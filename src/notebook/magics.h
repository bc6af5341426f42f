// IPython syntax masking: turns a cell's source into valid Python with every byte in place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lstmlint::notebook {

// A name bound by a magic rather than by Python syntax (`%%capture out`).
struct MagicBinding {
  std::string name;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, bytes
};

struct PythonSource {
  std::string text;         // same length and line structure as the cell source
  bool opaque = false;      // a cell magic whose body is not Python (%%bash, %%writefile, ...)
  std::string cell_magic;   // name of the cell magic on the first line, if any
  std::vector<MagicBinding> bindings;
  bool defines_unknown_names = false;  // %run, %store -r, %load: any name may appear
};

// Masks `%`/`!`/`?` lines (and `x = !cmd` right-hand sides) at the start of logical lines,
// keeping every line, column and byte offset; `%%time`-style cell bodies stay Python.
PythonSource mask_ipython(std::string_view source);

}  // namespace lstmlint::notebook
