// Loader-only throughput: streams each notebook through load_notebook_file, nothing else, so
// changes to the loader show up undiluted by parsing and rules.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <sys/stat.h>

#include "notebook/notebook.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: load_only ROUNDS FILE...\n";
    return 2;
  }
  int rounds = std::atoi(argv[1]);
  size_t bytes = 0, cells = 0, failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) {
    for (int i = 2; i < argc; ++i) {
      struct stat st {};
      if (stat(argv[i], &st) == 0) bytes += static_cast<size_t>(st.st_size);
      try {
        cells += lstmlint::notebook::load_notebook_file(argv[i]).cells.size();
      } catch (const lstmlint::notebook::NotebookError&) {
        ++failed;
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "{\"bytes\": " << bytes << ", \"cells\": " << cells << ", \"failed\": " << failed
            << ", \"seconds\": " << seconds << ", \"mb_per_s\": " << bytes / 1e6 / seconds << "}\n";
  return 0;
}
