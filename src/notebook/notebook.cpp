// Loads .ipynb files (nbformat 3 and 4) into cells, dropping output payloads while parsing.
#include "notebook/notebook.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <deque>
#include <iterator>
#include <limits>
#include <optional>
#include <vector>
#include <memory>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include "notebook/percent.h"

namespace lstmlint::notebook {
namespace {

using json = nlohmann::json;

std::string clean_json_error(const char* what) {
  std::string message = what;
  // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> "parse error at ..."
  if (auto close = message.find("] "); message.rfind("[json.exception", 0) == 0 && close != std::string::npos)
    message = message.substr(close + 2);
  // "last read: '<the whole token>'" can quote megabytes: keep its end, printable.
  if (auto at = message.find("last read: '"); at != std::string::npos) {
    size_t start = at + 12;
    size_t end = message.find("'; ", start);
    if (end == std::string::npos) end = message.size();
    std::string excerpt = message.substr(start, end - start);
    if (excerpt.size() > 60) excerpt = "..." + excerpt.substr(excerpt.size() - 57);
    std::string shown;
    for (unsigned char c : excerpt) {
      if (c >= 0x20 && c < 0x7f) {
        shown += static_cast<char>(c);
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        shown += hex;
      }
    }
    message = message.substr(0, start) + shown + message.substr(end);
  }
  return message;
}

// A JSON integer that fits in a long long (nbformat, execution_count), else nullopt.
std::optional<long long> bounded_integer(const json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) return std::nullopt;
    return static_cast<long long>(u);
  }
  return value.get<long long>();
}

// Bytes for the JSON lexer, from memory or read from a file in chunks. When the SAX handler
// has decided to drop the value being read (`elide`), each string in it is skipped with a
// memchr-speed scan and handed to the lexer as "", so a 500 MB base64 image is never held.
class ByteSource {
 public:
  explicit ByteSource(std::string_view bytes) : data_(bytes.data()), size_(bytes.size()) {}
  explicit ByteSource(FILE* file) : file_(file), buffer_(1 << 16) { refill(); }

  bool elide = false;  // set by the handler while a dropped value is being read
  bool read_error() const { return error_; }
  bool saw_content() const { return saw_content_; }  // any byte other than whitespace
  // Raw lines (1-based) are counted lazily, over the bytes read since the last count, when a
  // line is asked for and before each refill, skipping the bodies of dropped strings: the
  // per-byte path pays nothing for them (measured: +0.4% instructions for the whole loader).
  // Requests must move forward through the file, as SAX callbacks do.

  // The line of the next byte to read.
  int line() {
    count_to(pos_);
    return line_;
  }
  // The line of the string the lexer has just read. The lexer reads one byte past a token, so
  // its closing quote is the byte before last, or the last of the previous buffer; JSON strings
  // hold no raw newline, so the whole string is on that line.
  int string_line() {
    count_to(pos_ >= 2 ? pos_ - 2 : 0);
    return line_;
  }
  // The byte offsets (from the start of the input) of the last string's opening and closing
  // quotes: where --fix splices a source string.
  size_t string_open() const { return string_open_; }
  size_t string_close() const { return string_close_; }

  // One character, or -1 at the end.
  int next() {
    if (pending_quote_) {
      pending_quote_ = false;
      return '"';
    }
    if (pos_ == size_ && !refill()) return -1;
    char c = data_[pos_++];
    // A single string beyond the cap (a 500 MB text/plain) is cut where a character starts
    // (ASCII or a UTF-8 lead byte), so the lexer never buffers much more than the cap and the
    // text stays valid UTF-8.
    // Never inside an escape: `\u` and its four hex digits stay whole.
    // Before a backslash is a cut too (a run of escapes is a string as well), unless the escape
    // before it was a high surrogate, which must stay with its low half.
    if (in_string_ && ++string_length_ > kMaxString && !escaped_ && hex_left_ == 0 &&
        !after_high_surrogate_ && c != '"' && (c == '\\' || starts_character(c))) {
      skip_string_body();
      in_string_ = false;
      return '"';
    }
    if (!saw_content_ && c != ' ' && c != '\t' && c != '\r' && c != '\n') saw_content_ = true;
    // The lexer reads one character ahead of the handler's callbacks, so `elide` may switch on
    // in the middle of a string: only an opening quote may start an elision.
    if (in_string_) {
      after_high_surrogate_ = false;
      if (hex_left_ > 0) {
        hex_value_ = hex_value_ * 16 + hex_digit(c);
        if (--hex_left_ == 0) after_high_surrogate_ = hex_value_ >= 0xD800 && hex_value_ <= 0xDBFF;
      } else if (escaped_) {
        escaped_ = false;
        if (c == 'u') {
          hex_left_ = 4;
          hex_value_ = 0;
        }
      } else if (c == '\\') escaped_ = true;
      else if (c == '"') {
        in_string_ = false;
        string_close_ = consumed_ + pos_ - 1;
      }
    } else if (c == '"') {
      if (elide) {
        skip_string_body();
        pending_quote_ = true;  // the closing quote, right after the opening one
      } else {
        in_string_ = true;
        string_open_ = consumed_ + pos_ - 1;
        escaped_ = false;
        hex_left_ = 0;
        after_high_surrogate_ = false;
        string_length_ = 0;
      }
    }
    return static_cast<unsigned char>(c);
  }

 private:
  static unsigned hex_digit(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return 0;  // not JSON; the lexer rejects it
  }

  static bool starts_character(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x80 || (u & 0xC0) == 0xC0;
  }

  void count_to(size_t pos) {
    if (pos <= counted_) return;
    line_ += static_cast<int>(count_newlines(data_ + counted_, data_ + pos));
    counted_ = pos;
  }

  // Sixteen byte-wide counters, one per byte of a 16-byte group, emptied every 255 groups
  // before they can overflow: the compiler turns the group loop into one compare and one
  // subtract per 16 bytes (std::count stays scalar here).
  static size_t count_newlines(const char* p, const char* end) {
    size_t total = 0;
    while (end - p >= 16) {
      unsigned char lanes[16] = {};
      size_t groups = std::min<size_t>(static_cast<size_t>(end - p) / 16, 255);
      for (size_t g = 0; g < groups; ++g, p += 16)
        for (int j = 0; j < 16; ++j) lanes[j] = static_cast<unsigned char>(lanes[j] + (p[j] == '\n'));
      for (unsigned char lane : lanes) total += lane;
    }
    for (; p < end; ++p) total += *p == '\n';
    return total;
  }

  [[gnu::noinline]] bool refill() {  // off the per-byte path, which stays lean inlined
    if (!file_) return false;
    if (!skipping_) count_to(size_);
    counted_ = 0;
    consumed_ += size_;
    size_t n = std::fread(buffer_.data(), 1, buffer_.size(), file_);
    if (n == 0 && std::ferror(file_)) error_ = true;
    data_ = buffer_.data();
    size_ = n;
    pos_ = 0;
    return n > 0;
  }

  // Consumes a string body up to and including its closing quote. Its bytes stay out of the
  // line count (a JSON string holds no raw newline), so a skipped 500 MB payload is not
  // scanned twice.
  void skip_string_body() {
    count_to(pos_);
    skipping_ = true;
    skip_to_closing_quote();
    skipping_ = false;
    counted_ = pos_;
  }

  // Jumps from backslash to backslash, never past the next quote, which is searched for once
  // per buffer and again only after an escaped one: each byte is scanned about once. (Two
  // memchr calls to the end of the buffer after every escape scanned 64 KiB per `\n` of a
  // training log: 53% of all instructions on a 20 MB text/plain output.)
  void skip_to_closing_quote() {
    bool escaped = false;
    const char* quote = nullptr;  // the next '"' at or after pos_; the buffer's end: none; null: not searched
    for (;;) {
      if (pos_ == size_) {
        if (!refill()) return;  // unterminated: the lexer reports the end of input
        quote = nullptr;
      }
      if (escaped) {
        ++pos_;
        escaped = false;
        continue;
      }
      const char* start = data_ + pos_;
      const char* end = data_ + size_;
      if (!quote || quote < start) {  // first look in this buffer, or that quote was escaped
        const void* found = std::memchr(start, '"', static_cast<size_t>(end - start));
        quote = found ? static_cast<const char*>(found) : end;
      }
      const void* backslash = std::memchr(start, '\\', static_cast<size_t>(quote - start));
      if (backslash) {
        pos_ = static_cast<size_t>(static_cast<const char*>(backslash) - data_) + 1;
        escaped = true;
      } else {
        pos_ = static_cast<size_t>(quote - data_);
        if (quote != end) {
          ++pos_;  // past the closing quote
          return;
        }
      }
    }
  }

  FILE* file_ = nullptr;
  std::vector<char> buffer_;
  const char* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  bool pending_quote_ = false;
  bool in_string_ = false;
  bool escaped_ = false;
  int hex_left_ = 0;  // hex digits still to come in a \uXXXX escape
  unsigned hex_value_ = 0;
  bool after_high_surrogate_ = false;
  size_t string_length_ = 0;
  static constexpr size_t kMaxString = 8u << 20;
  bool saw_content_ = false;
  bool error_ = false;
  int line_ = 1;        // the line of data_[counted_]
  size_t counted_ = 0;  // newlines before this position in data_ are in line_
  bool skipping_ = false;
  size_t consumed_ = 0;  // bytes of the input before data_
  size_t string_open_ = 0, string_close_ = 0;
};

// An input iterator over a ByteSource, as nlohmann's iterator adapter wants it.
class ByteIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  ByteIterator() = default;
  explicit ByteIterator(ByteSource* source) : source_(source) { advance(); }
  const char& operator*() const { return current_; }
  ByteIterator& operator++() {
    advance();
    return *this;
  }
  ByteIterator operator++(int) {
    ByteIterator old = *this;
    advance();
    return old;
  }
  bool operator==(const ByteIterator& other) const { return at_end() == other.at_end(); }
  bool operator!=(const ByteIterator& other) const { return !(*this == other); }

 private:
  bool at_end() const { return !source_ || ended_; }
  void advance() {
    int c = source_->next();
    ended_ = c < 0;
    current_ = static_cast<char>(c);
  }
  ByteSource* source_ = nullptr;
  char current_ = 0;
  bool ended_ = true;
};

// The raw lines of the cells' source strings, recorded while streaming. The DOM keeps no
// positions, so each cell object gets a reserved key holding its index in `cells`. All lines
// sit in one flat vector (a source list's strings arrive one after another), so recording
// costs no allocation per cell.
struct RawLineTable {
  struct Range {
    size_t begin = 0, end = 0;
  };
  struct CellLines {
    int object_line = 0;  // where the cell object starts (or the line after its brace)
    Range source;         // the raw line of each string of `source` (one for a plain string)
    Range input;          // the same for nbformat 3's `input`
  };
  struct Token {
    int line = 0;
    size_t begin = 0, end = 0;  // the string's bytes between its quotes
  };
  std::vector<CellLines> cells;
  std::vector<Token> lines;
};

// Short enough to stay in std::string's inline buffer. Input keys spelled like this are
// dropped, so the reserved key can never be forged.
const std::string kRawLinesKey = "\x1fraw";

// A SAX handler that builds the DOM but drops what no rule reads (images, HTML, widget state,
// attachments, output metadata) as it parses, so memory follows a notebook's code and text
// rather than its file size, and no payload is ever copied into the tree.
class FilteringDomBuilder {
 public:
  FilteringDomBuilder(json& root, ByteSource& source, RawLineTable& raw)
      : root_(root), source_(source), raw_(raw) {}

  bool null() { return add(json(nullptr)); }
  bool boolean(bool v) { return add(json(v)); }
  bool number_integer(json::number_integer_t v) { return add(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return add(json(v)); }
  bool number_float(json::number_float_t v, const std::string&) { return add(json(v)); }
  bool string(std::string& v) {
    if (skip_depth_ == 0 && !skip_next_ && !stack_.empty()) note_string_line();
    return add(json(std::move(v)));
  }
  bool binary(json::binary_t& v) { return add(json(std::move(v))); }

  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(std::string& k) {
    if (skip_depth_ > 0) return true;
    skip_next_ = !keep_key(k);
    if (!skip_next_) key_ = std::move(k);
    sync();
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    if (!source_.saw_content()) throw NotebookError("the file is empty");
    throw NotebookError("invalid JSON: " + clean_json_error(e.what()));
  }

 private:
  // Containers whose strings' raw lines are recorded: cell objects and their source lists.
  enum class Role : unsigned char { Other, Cell, SourceList, InputList };

  struct Frame {
    json* value;
    const std::string* name;  // the key this container sits under; nullptr for array items
    Role role = Role::Other;
    int raw = -1;  // index into raw_ for cells and their source lists
  };

  // Where a new value goes: the root, the end of an array, or under the last key.
  json* place(json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *stack_.back().value;
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }

  void sync() { source_.elide = skip_next_ || skip_depth_ > 0; }

  bool add(json&& value) {
    if (skip_depth_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      sync();
      return true;
    }
    place(std::move(value));
    return true;
  }

  bool open(json::value_t type) {
    if (skip_depth_ > 0 || skip_next_) {
      skip_next_ = false;
      ++skip_depth_;
      sync();
      return true;
    }
    const std::string* name = nullptr;
    if (!stack_.empty() && stack_.back().value->is_object()) names_.push_back(key_), name = &names_.back();
    Role role = role_of_new(type);
    json* j = place(json(type));
    int raw = -1;
    if (role == Role::Cell) {
      raw_.cells.emplace_back();
      raw_.cells.back().object_line = source_.line();
      raw = static_cast<int>(raw_.cells.size() - 1);
      (*j)[kRawLinesKey] = raw;
    } else if (role != Role::Other) {
      raw = stack_.back().raw;
      range_of(role, raw) = {raw_.lines.size(), raw_.lines.size()};  // a repeated key: the last value wins
    }
    stack_.push_back({j, name, role, raw});
    return true;
  }

  // Cells sit at `cells[]` (nbformat 4) or `worksheets[].cells[]` (nbformat 3), nowhere else:
  // a "cells" key inside metadata is not a notebook's cell list.
  Role role_of_new(json::value_t type) const {
    if (stack_.empty()) return Role::Other;
    const Frame& parent = stack_.back();
    if (type == json::value_t::array && parent.role == Role::Cell) {
      if (key_ == "source") return Role::SourceList;
      if (key_ == "input") return Role::InputList;
      return Role::Other;
    }
    if (type != json::value_t::object || (stack_.size() != 2 && stack_.size() != 4)) return Role::Other;
    if (!parent.value->is_array() || name_at(0) != "cells") return Role::Other;
    bool v4 = stack_.size() == 2;
    bool v3 = stack_.size() == 4 && name_at(1) == "[]" && name_at(2) == "worksheets";
    return v4 || v3 ? Role::Cell : Role::Other;
  }

  RawLineTable::Range& range_of(Role role, int raw) {
    RawLineTable::CellLines& cell = raw_.cells[static_cast<size_t>(raw)];
    return role == Role::InputList ? cell.input : cell.source;
  }

  void note_string_line() {
    const Frame& top = stack_.back();
    if (top.role == Role::SourceList || top.role == Role::InputList) {
      raw_.lines.push_back(token());
      range_of(top.role, top.raw).end = raw_.lines.size();
    } else if (top.role == Role::Cell && (key_ == "source" || key_ == "input")) {
      raw_.lines.push_back(token());
      range_of(key_ == "input" ? Role::InputList : Role::SourceList, top.raw) = {raw_.lines.size() - 1, raw_.lines.size()};
    }
  }

  RawLineTable::Token token() {
    return {source_.string_line(), source_.string_open() + 1, source_.string_close()};
  }

  bool close() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      sync();
      return true;
    }
    if (stack_.back().name) names_.pop_back();
    stack_.pop_back();
    return true;
  }

  // The name of the container `from_top` levels up ("[]" for array items).
  const std::string& name_at(size_t from_top) const {
    static const std::string none, item = "[]";
    if (stack_.size() <= from_top) return none;
    const Frame& f = stack_[stack_.size() - 1 - from_top];
    return f.name ? *f.name : item;
  }

  bool keep_key(const std::string& key) const {
    // v4: outputs[i].data.<mime>: keep text/plain only.
    if (name_at(0) == "data" && name_at(2) == "outputs") return key == "text/plain";
    // outputs[i].<key>: v3 stores payloads directly in the output object.
    if (name_at(0) == "[]" && name_at(1) == "outputs") {
      static const char* dropped[] = {"png", "jpeg", "svg", "html", "latex", "javascript", "json", "pdf", "metadata"};
      for (const char* d : dropped)
        if (key == d) return false;
      return true;
    }
    if (name_at(0) == "[]" && name_at(1) == "cells" && key == "attachments") return false;
    if (stack_.back().role == Role::Cell && key == kRawLinesKey) return false;
    // Notebook metadata: only what the loader reads; widget state and other tools' data can be large.
    if (stack_.size() == 2 && name_at(0) == "metadata")
      return key == "kernelspec" || key == "language_info" || key == "lstm-lint";
    return true;
  }

  json& root_;
  ByteSource& source_;
  RawLineTable& raw_;
  std::vector<Frame> stack_;
  std::deque<std::string> names_;  // stable addresses for Frame::name
  std::string key_;
  bool skip_next_ = false;
  size_t skip_depth_ = 0;
};

const char* type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unexpected value";
  }
}

[[noreturn]] void fail(const std::string& message) { throw NotebookError(message); }

// nbformat stores multi-line text as a string or as a list of strings to be concatenated.
std::string multiline_text(const json& value, const std::string& what) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) fail(what + " must be a string or a list of strings, found " + type_name(value));
  std::string text;
  for (const auto& part : value) {
    if (!part.is_string()) fail(what + " must be a list of strings, found an item that is " + std::string(type_name(part)));
    text += part.get_ref<const std::string&>();
  }
  return text;
}

std::optional<long long> execution_count(const json& cell, const char* key, const std::string& where) {
  auto it = cell.find(key);
  if (it == cell.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) fail(where + ": `" + key + "` must be an integer or null, found " + type_name(*it));
  auto bounded = bounded_integer(*it);
  if (!bounded) fail(where + ": `" + key + "` is too large");
  long long count = *bounded;
  if (count < 0) fail(where + ": `" + key + "` is negative (" + std::to_string(count) + ")");
  return count;
}

std::string string_field(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) return multiline_text(*it, where + " `" + key + "`");
  fail(where + ": `" + key + "` must be a string, found " + type_name(*it));
}

Output read_error(const json& out, const std::string& where) {
  Output o;
  o.kind = OutputKind::Error;
  o.ename = strip_ansi(string_field(out, "ename", where));
  o.evalue = strip_ansi(string_field(out, "evalue", where));
  auto tb = out.find("traceback");
  if (tb != out.end() && !tb->is_null()) {
    if (!tb->is_array()) fail(where + ": `traceback` must be a list of strings, found " + type_name(*tb));
    for (const auto& line : *tb) {
      if (!line.is_string()) fail(where + ": `traceback` must be a list of strings");
      o.traceback.push_back(strip_ansi(line.get_ref<const std::string&>()));
    }
  }
  return o;
}

std::vector<Output> read_outputs(const json& cell, const std::string& where, bool v3) {
  std::vector<Output> outputs;
  auto it = cell.find("outputs");
  if (it == cell.end() || it->is_null()) return outputs;
  if (!it->is_array()) fail(where + ": `outputs` must be a list, found " + type_name(*it));
  int n = 0;
  for (const auto& out : *it) {
    std::string owhere = where + " output " + std::to_string(++n);
    if (!out.is_object()) fail(owhere + " must be an object, found " + type_name(out));
    auto type_it = out.find("output_type");
    if (type_it == out.end() || !type_it->is_string()) fail(owhere + " has no string `output_type`");
    const std::string& type = type_it->get_ref<const std::string&>();
    if (type == "stream") {
      Output o;
      o.kind = OutputKind::Stream;
      o.text = string_field(out, "text", owhere);
      outputs.push_back(std::move(o));
    } else if (type == "error" || type == "pyerr") {
      outputs.push_back(read_error(out, owhere));
    } else if (type == "execute_result" || type == "display_data" || type == "pyout") {
      Output o;
      o.kind = type == "display_data" ? OutputKind::Display : OutputKind::Result;
      if (v3) {
        o.text = string_field(out, "text", owhere);
      } else if (auto data = out.find("data"); data != out.end() && data->is_object()) {
        o.text = string_field(*data, "text/plain", owhere + " data");
      }
      outputs.push_back(std::move(o));
    }
    // Other output types (update_display_data, unknown ones) carry nothing rules read.
  }
  return outputs;
}

// The raw-line record the loader left in a cell object, if any.
const RawLineTable::CellLines* raw_lines_for(const json& cell, const RawLineTable& table) {
  auto it = cell.find(kRawLinesKey);
  if (it == cell.end() || !it->is_number_integer()) return nullptr;
  auto i = it->get<long long>();
  return i >= 0 && static_cast<size_t>(i) < table.cells.size() ? &table.cells[static_cast<size_t>(i)] : nullptr;
}

// Where each source string starts in the joined source, and its raw line. The per-line
// mapping is derived only when a finding asks (raw_line_of), so loading pays one small vector
// per code cell.
std::vector<RawPiece> source_raw_pieces(const json& source, const RawLineTable::Token* tokens, size_t elements) {
  std::vector<RawPiece> pieces;
  if (elements == 0) return pieces;
  if (source.is_string()) return {{0, tokens[0].line, tokens[0].begin, tokens[0].end}};
  pieces.reserve(source.size());
  size_t offset = 0, k = 0;
  // One token per element; a count that disagrees leaves the raw ranges unknown.
  bool exact = elements == source.size();
  for (const auto& part : source) {
    const auto& t = tokens[std::min(k++, elements - 1)];
    pieces.push_back({offset, t.line, exact ? t.begin : 1, exact ? t.end : 0});
    offset += part.get_ref<const std::string&>().size();
  }
  return pieces;
}

Cell read_cell(const json& raw, int index, bool v3, const RawLineTable& raw_table) {
  std::string where = "cell " + std::to_string(index);
  if (!raw.is_object()) fail(where + " must be an object, found " + type_name(raw));
  auto type_it = raw.find("cell_type");
  if (type_it == raw.end()) fail(where + " has no `cell_type`");
  if (!type_it->is_string()) fail(where + ": `cell_type` must be a string, found " + type_name(*type_it));
  const std::string& type = type_it->get_ref<const std::string&>();

  Cell cell;
  cell.index = index;
  if (type == "code") {
    cell.kind = CellKind::Code;
  } else if (type == "markdown" || type == "heading") {
    cell.kind = CellKind::Markdown;
  } else if (type == "raw") {
    cell.kind = CellKind::Raw;
  } else {
    fail(where + ": unknown `cell_type` \"" + type + "\"");
  }
  if (auto id = raw.find("id"); id != raw.end() && id->is_string()) cell.id = id->get<std::string>();

  const char* source_key = (v3 && cell.kind == CellKind::Code) ? "input" : "source";
  auto source = raw.find(source_key);
  if (source == raw.end()) {
    if (cell.kind == CellKind::Code) fail(where + " has no `" + std::string(source_key) + "`");
  } else {
    cell.source = multiline_text(*source, where + ": `" + source_key + "`");
  }
  // Findings only point into code cells, so only they pay for the per-line mapping.
  if (const RawLineTable::CellLines* lines = raw_lines_for(raw, raw_table)) {
    cell.raw_line = lines->object_line;
    RawLineTable::Range range = source_key[0] == 'i' ? lines->input : lines->source;
    if (cell.kind == CellKind::Code && source != raw.end())
      cell.raw_pieces = source_raw_pieces(*source, raw_table.lines.data() + range.begin, range.end - range.begin);
  }
  if (cell.kind == CellKind::Code) {
    cell.execution_count = execution_count(raw, v3 ? "prompt_number" : "execution_count", where);
    cell.outputs = read_outputs(raw, where, v3);
  }
  return cell;
}

std::string notebook_language(const json& doc) {
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return "python";
  if (auto ks = meta->find("kernelspec"); ks != meta->end() && ks->is_object()) {
    if (auto lang = ks->find("language"); lang != ks->end() && lang->is_string()) return lang->get<std::string>();
  }
  if (auto li = meta->find("language_info"); li != meta->end() && li->is_object()) {
    if (auto name = li->find("name"); name != li->end() && name->is_string()) return name->get<std::string>();
  }
  return "python";
}

// metadata["lstm-lint"]["ignore"]: rule codes or names suppressed in the whole notebook. A
// malformed value is kept as a problem for the unused-suppression rule, not a load error, so
// a typo in the settings never stops the notebook from being linted.
void read_settings(const json& doc, Notebook& nb) {
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return;
  auto settings = meta->find("lstm-lint");
  if (settings == meta->end()) return;
  const char* expected = "is malformed: write `\"lstm-lint\": {\"ignore\": [\"LSTM107\", \"rnn-without-grad-clipping\"]}`";
  if (!settings->is_object()) {
    nb.settings_problem = expected;
    return;
  }
  auto ignore = settings->find("ignore");
  if (ignore == settings->end()) return;
  if (!ignore->is_array()) {
    nb.settings_problem = expected;
    return;
  }
  for (const auto& item : *ignore) {
    if (!item.is_string()) {
      nb.settings_problem = expected;
      continue;
    }
    nb.ignore.push_back(item.get<std::string>());
  }
}

}  // namespace

int raw_line_of(const Cell& cell, int line) {
  if (cell.raw_pieces.empty()) return cell.raw_line;
  // The byte offset where `line` starts; a trailing newline opens no line of its own, so lines
  // past the end clamp to the last one.
  const std::string& text = cell.source;
  size_t start = 0;
  for (int n = 1; n < line;) {
    size_t newline = text.find('\n', start);
    if (newline == std::string::npos || newline + 1 >= text.size()) break;
    start = newline + 1;
    ++n;
  }
  // The last piece starting at or before it (empty pieces give way to the one after them).
  auto after = std::upper_bound(cell.raw_pieces.begin(), cell.raw_pieces.end(), start,
                                [](size_t offset, const RawPiece& piece) { return offset < piece.offset; });
  return after == cell.raw_pieces.begin() ? cell.raw_pieces.front().line : std::prev(after)->line;
}

std::vector<int> raw_lines_of(const Cell& cell) {
  std::vector<int> lines;
  if (cell.raw_pieces.empty()) return lines;
  int count = 0;
  for (size_t i = 0; i < cell.source.size(); ++i)
    if (cell.source[i] == '\n' || i + 1 == cell.source.size()) ++count;
  for (int line = 1; line <= count; ++line) lines.push_back(raw_line_of(cell, line));
  return lines;
}

std::string strip_ansi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '[') {
      // CSI: ESC [ parameters... final byte in 0x40..0x7E
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7E)) ++j;
      i = j;
    } else {
      ++i;  // two-character escape
    }
  }
  return out;
}

json parse_json(ByteSource& source, RawLineTable& raw) {
  json doc;
  FilteringDomBuilder builder(doc, source, raw);
  try {
    json::sax_parse(ByteIterator(&source), ByteIterator(), &builder);
  } catch (const json::exception& e) {
    std::string message = clean_json_error(e.what());
    if (!source.saw_content()) fail("the file is empty");
    fail("invalid JSON: " + message);
  }
  if (source.read_error()) fail(std::string("read error: ") + std::strerror(errno));
  return doc;
}

Notebook notebook_from_json(json& doc, std::string path, const RawLineTable& raw) {
  if (!doc.is_object()) fail(std::string("not a notebook: the top level is ") + type_name(doc) + ", expected an object");

  Notebook nb;
  nb.path = std::move(path);
  auto version = doc.find("nbformat");
  if (version != doc.end()) {
    if (!version->is_number_integer()) fail(std::string("`nbformat` must be an integer, found ") + type_name(*version));
    auto v = bounded_integer(*version);
    if (!v || *v < 0 || *v > 1000) fail("unsupported nbformat " + version->dump() + " (lstm-lint reads nbformat 3 and 4)");
    nb.nbformat = static_cast<int>(*v);
  } else if (!doc.contains("cells")) {
    fail("not a notebook: no `nbformat` and no `cells`");
  }
  if (auto minor = doc.find("nbformat_minor"); minor != doc.end() && minor->is_number_integer()) {
    auto m = bounded_integer(*minor);
    nb.nbformat_minor = m && *m >= 0 && *m < 1000 ? static_cast<int>(*m) : 0;
  }
  if (nb.nbformat != 3 && nb.nbformat != 4)
    fail("unsupported nbformat " + std::to_string(nb.nbformat) + " (lstm-lint reads nbformat 3 and 4)");
  nb.language = notebook_language(doc);
  read_settings(doc, nb);

  int index = 0;
  if (nb.nbformat == 4) {
    auto cells = doc.find("cells");
    if (cells == doc.end()) fail("nbformat 4 notebook without `cells`");
    if (!cells->is_array()) fail(std::string("`cells` must be a list, found ") + type_name(*cells));
    for (const auto& cell : *cells) nb.cells.push_back(read_cell(cell, ++index, false, raw));
  } else {
    auto sheets = doc.find("worksheets");
    if (sheets == doc.end()) fail("nbformat 3 notebook without `worksheets`");
    if (!sheets->is_array()) fail(std::string("`worksheets` must be a list, found ") + type_name(*sheets));
    for (const auto& sheet : *sheets) {
      if (!sheet.is_object()) fail("a worksheet must be an object");
      auto cells = sheet.find("cells");
      if (cells == sheet.end() || cells->is_null()) continue;
      if (!cells->is_array()) fail(std::string("worksheet `cells` must be a list, found ") + type_name(*cells));
      for (const auto& cell : *cells) nb.cells.push_back(read_cell(cell, ++index, true, raw));
    }
  }
  return nb;
}

Notebook parse_notebook(std::string_view bytes, std::string path) {
  if (is_percent_path(path)) return parse_percent(bytes, std::move(path));
  ByteSource source(bytes);
  RawLineTable raw;
  json doc = parse_json(source, raw);
  return notebook_from_json(doc, std::move(path), raw);
}

Notebook load_notebook_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail("is a directory");
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail(std::strerror(errno));
  if (is_percent_path(path)) {  // a script is code and text only: read whole
    std::string bytes;
    char buffer[1 << 16];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) bytes.append(buffer, n);
    if (std::ferror(file.get())) fail(std::string("read error: ") + std::strerror(errno));
    return parse_percent(bytes, path);
  }
  // Streamed: the file's bytes are never held whole, and dropped payloads are skipped unread.
  ByteSource source(file.get());
  RawLineTable raw;
  json doc = parse_json(source, raw);
  return notebook_from_json(doc, path, raw);
}

}  // namespace lstmlint::notebook
