// The parse floor: read each file, parse its JSON (plain DOM), parse every code cell with
// tree-sitter-python. Nothing else. lstm-lint's throughput is compared with this.
// With --json-only as the first argument, only read + DOM parse (no tree-sitter): bench.py
// compares that with lstm-lint's streaming loader (bench/load_only.cpp).
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "python/syntax.h"

namespace {

std::string joined(const nlohmann::json& source) {
  if (source.is_string()) return source.get<std::string>();
  std::string out;
  if (source.is_array())
    for (const auto& part : source)
      if (part.is_string()) out += part.get<std::string>();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  lstmlint::python::Parser parser;
  int first = 1;
  bool json_only = argc > 1 && std::string(argv[1]) == "--json-only";
  if (json_only) ++first;
  size_t files = 0, bytes = 0, cells = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = first; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes += text.size();
    ++files;
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("cells") || !doc["cells"].is_array()) continue;
    for (const auto& cell : doc["cells"]) {
      if (!cell.is_object() || cell.value("cell_type", "") != "code" || !cell.contains("source")) continue;
      if (json_only) {
        ++cells;
        continue;
      }
      auto tree = parser.parse(joined(cell["source"]));
      cells += tree.valid() ? 1 : 0;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "{\"files\": " << files << ", \"bytes\": " << bytes << ", \"cells\": " << cells << ", \"seconds\": " << seconds << "}\n";
  return 0;
}
