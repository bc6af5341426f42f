// Execution history inferred from execution counts.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "semantic/history.h"

using testing::make_notebook;

TEST_CASE("order follows counts; missing counts are the gaps", "[history]") {
  auto nb = make_notebook({{"a = 1", 1}, {"b = 2", 6}, {"c = 3", 3}, {"", std::nullopt}, {"d", 4}});
  auto h = lstmlint::semantic::infer_history(nb);
  CHECK(h.order == std::vector<int>{1, 3, 5, 2});
  CHECK(h.missing == std::vector<long long>{2, 5});
  CHECK(h.max_count == 6);
  CHECK_FALSE(h.duplicate_counts);
  CHECK(h.reliable());
  CHECK(h.count(2) == 6);
  CHECK_FALSE(h.count(4).has_value());
}

TEST_CASE("repeated counts mean several kernel sessions: not reliable", "[history]") {
  auto h = lstmlint::semantic::infer_history(make_notebook({{"a", 1}, {"b", 2}, {"c", 1}}));
  CHECK(h.duplicate_counts);
  CHECK_FALSE(h.reliable());
}

TEST_CASE("a notebook that never ran has no history", "[history]") {
  auto h = lstmlint::semantic::infer_history(make_notebook({{"a", std::nullopt}, {"# md", std::nullopt, "markdown"}}));
  CHECK_FALSE(h.any_executed());
  CHECK(h.missing.empty());
}

TEST_CASE("a hostile execution count does not make inference loop", "[history]") {
  auto h = lstmlint::semantic::infer_history(make_notebook({{"a", 1000000000000LL}}));
  CHECK(h.max_count == 1000000000000LL);
  CHECK(h.missing.empty());
}
