// fuzz_seed: turns .ipynb files into seed inputs for the masking and analysis targets.
//   fuzz_seed MASK_DIR ANALYSIS_DIR NOTEBOOK...
// writes every distinct code cell source to MASK_DIR and each notebook, encoded as
// fuzz_static_analysis reads it, to ANALYSIS_DIR; files are named by a hash of their content.
// Notebooks that do not load are skipped.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "fuzz_common.h"
#include "notebook/notebook.h"

namespace {

std::string hash_name(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
  return name;
}

void write(const std::string& dir, const std::string& bytes, size_t max_size) {
  if (bytes.empty() || bytes.size() > max_size) return;
  std::ofstream(dir + "/" + hash_name(bytes), std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: fuzz_seed MASK_DIR ANALYSIS_DIR NOTEBOOK...\n";
    return 2;
  }
  const size_t max_size = 64 * 1024;  // the -max_len of both targets
  int loaded = 0, skipped = 0;
  for (int i = 3; i < argc; ++i) {
    try {
      auto nb = lstmlint::notebook::load_notebook_file(argv[i]);
      for (const auto& cell : nb.cells)
        if (cell.kind == lstmlint::notebook::CellKind::Code) write(argv[1], cell.source, max_size);
      std::string encoded = fuzzing::encode_notebook(nb);
      write(argv[2], encoded.substr(0, max_size), max_size);
      ++loaded;
    } catch (const lstmlint::notebook::NotebookError& e) {
      ++skipped;
    }
  }
  std::cerr << "fuzz_seed: " << loaded << " notebooks seeded, " << skipped << " skipped\n";
  return 0;
}
