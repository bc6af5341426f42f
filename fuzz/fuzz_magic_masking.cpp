// fuzz_magic_masking: arbitrary text through mask_ipython, checking the promise in magics.h:
// the masked text keeps every byte offset, line and column of the cell source.
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "notebook/magics.h"

using lstmlint::notebook::mask_ipython;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto out = mask_ipython(in);
  const std::string& text = out.text;

  if (!out.opaque) FUZZ_CHECK(text.size() == in.size(), "masking keeps the length");
  // Every line break stays where it was, and none is added.
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n') FUZZ_CHECK(i < text.size() && text[i] == '\n', "newline at offset " + std::to_string(i) + " moved");
    else if (i < text.size()) FUZZ_CHECK(text[i] != '\n', "newline added at offset " + std::to_string(i));
  }
  if (out.opaque) return 0;

  // Changed bytes never split a character: valid UTF-8 stays valid, so columns still count
  // the same characters.
  if (fuzzing::valid_utf8(in)) FUZZ_CHECK(fuzzing::valid_utf8(text), "masking broke UTF-8");
  // A cell magic is only recognised on the first line.
  if (!out.cell_magic.empty()) FUZZ_CHECK(in.substr(0, 2) == "%%", "cell magic without %% on line 1");

  // Bindings point at their name in the source.
  auto lines = fuzzing::split_lines(in);
  for (const auto& b : out.bindings) {
    FUZZ_CHECK(!b.name.empty(), "empty binding name");
    FUZZ_CHECK(b.line >= 1 && static_cast<size_t>(b.line) <= lines.size(), "binding line out of range");
    std::string_view line = lines[static_cast<size_t>(b.line - 1)];
    FUZZ_CHECK(b.column >= 1 && static_cast<size_t>(b.column - 1) + b.name.size() <= line.size(),
               "binding column out of range");
    FUZZ_CHECK(line.substr(static_cast<size_t>(b.column - 1), b.name.size()) == b.name,
               "binding `" + b.name + "` is not at line " + std::to_string(b.line) + " column " +
                   std::to_string(b.column));
  }
  return 0;
}
