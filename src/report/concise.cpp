// Concise reporter: one line per finding in the text format's location style, then the summary.
#include "report/report.h"

namespace lstmlint::report {

void write_concise(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options) {
  for (const auto& r : results)
    for (const auto& f : r.findings) out << finding_line(f, options.color, options.unsafe_fixes) << "\n";
  if (!options.quiet) out << summary_line(results) << "\n";
}

}  // namespace lstmlint::report
