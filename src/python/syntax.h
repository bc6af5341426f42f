// tree-sitter-python wrappers: a parser per thread, owned trees, and small node helpers.
#pragma once

#include <memory>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

namespace lstmlint::python {

// A parsed cell. Owns the tree and the (masked) text the tree's byte offsets refer to.
class SyntaxTree {
 public:
  SyntaxTree() = default;
  SyntaxTree(TSTree* tree, std::string text);
  TSNode root() const;
  const std::string& text() const { return text_; }
  bool valid() const { return tree_ != nullptr; }
  bool has_error() const;

 private:
  struct Deleter {
    void operator()(TSTree* t) const { ts_tree_delete(t); }
  };
  std::unique_ptr<TSTree, Deleter> tree_;
  std::string text_;
};

class Parser {
 public:
  Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  ~Parser();
  SyntaxTree parse(std::string text);
  // Remembers the trees of up to `max_entries` distinct texts and hands out copies (tree-sitter
  // trees are immutable and shared by reference count): the language server re-analyses a
  // whole notebook after each edit, and all cells but the edited one parse as before. 0: off.
  void cache_trees(size_t max_entries);

 private:
  struct Cached {
    TSTree* tree;
    unsigned long long last_use;
  };
  void evict();
  size_t cache_limit_ = 0;
  unsigned long long clock_ = 0;
  std::unordered_map<std::string, Cached> cache_;
  struct Deleter {
    void operator()(TSParser* p) const { ts_parser_delete(p); }
  };
  std::unique_ptr<TSParser, Deleter> parser_;
};

const TSLanguage* python_language();

// --- node helpers -----------------------------------------------------------------------
// The grammar's symbol names, indexed by symbol, read once: ts_node_type() is a strlen() away
// from a string_view at each of the many type tests a walk makes.
std::vector<std::string_view> read_symbol_names();
inline const std::vector<std::string_view>& symbol_names() {
  static const std::vector<std::string_view> names = read_symbol_names();
  return names;
}
inline std::string_view type(TSNode n) {
  if (ts_node_is_null(n)) return {};
  TSSymbol s = ts_node_symbol(n);
  const auto& names = symbol_names();
  return s < names.size() ? names[s] : std::string_view(ts_node_type(n));  // ERROR and such
}
inline bool is(TSNode n, std::string_view t) { return !ts_node_is_null(n) && type(n) == t; }
inline bool null(TSNode n) { return ts_node_is_null(n); }
TSFieldId field_id(const char* name);  // 0: not a field of the grammar; `name` a string literal
TSNode field(TSNode n, const char* name);
std::string_view text(TSNode n, std::string_view source);
std::vector<TSNode> children(TSNode n);        // all children, in order
std::vector<TSNode> named_children(TSNode n);  // named children, in order
// Calls f on each child in order, without building a list. f may walk further (its own calls
// use other cursors).
template <class F>
void each_child(TSNode n, F&& f);
std::string sexp(TSNode n);                     // S-expression, for --debug-tree

// A cursor per nesting level of each_child, per thread: a new cursor allocates its stack.
class CursorPool {
 public:
  static TSTreeCursor* acquire(TSNode n);
  static void release();
};

template <class F>
void each_child(TSNode n, F&& f) {
  if (ts_node_is_null(n) || ts_node_child_count(n) == 0) return;
  TSTreeCursor* c = CursorPool::acquire(n);
  struct Release {
    ~Release() { CursorPool::release(); }
  } release;
  if (!ts_tree_cursor_goto_first_child(c)) return;
  do f(ts_tree_cursor_current_node(c));
  while (ts_tree_cursor_goto_next_sibling(c));
}

}  // namespace lstmlint::python
