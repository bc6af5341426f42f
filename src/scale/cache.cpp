// The content cache (scale/cache.h): entries are a checked header and CBOR-encoded findings,
// written to a temporary file in the same directory and renamed into place.
#include "scale/cache.h"
#include "scale/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace lstmlint::scale {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'L', 'L', 'C', 'A', 'C', 'H', 'E', '1'};
constexpr std::uint32_t kFormat = 1;
constexpr const char* kTag = "Signature: 8a477f597d28d172789f06886806bc55\n# lstm-lint's cache (lstm-lint clean removes it)\n";

struct Header {
  char magic[8];
  std::uint32_t format;
  std::uint32_t reserved;
  std::uint64_t payload_size;
  std::uint64_t key_a, key_b;
  std::uint64_t sum_a, sum_b;
};
static_assert(sizeof(Header) == 56, "the header has no padding");

// What identifies this build of lstm-lint: its version and the bytes of its executable, so a
// rebuilt binary with changed rules never reads its predecessor's findings.
const std::string& tool_identity() {
  static std::once_flag once;
  static std::string identity;
  std::call_once(once, [] {
    Hasher h;
    h.field("lstm-lint " LSTM_LINT_VERSION);
    std::ifstream exe("/proc/self/exe", std::ios::binary);
    char buffer[1 << 16];
    while (exe && exe.read(buffer, sizeof buffer).gcount() > 0) h.update(buffer, static_cast<size_t>(exe.gcount()));
    identity = h.digest().hex();
  });
  return identity;
}

void options_into(Hasher& h, const engine::FileOptions& options) {
  h.field("select");
  for (const auto& s : options.selection.select) h.field(s);
  h.field("extend-select");
  for (const auto& s : options.selection.extend_select) h.field(s);
  h.field("ignore");
  for (const auto& s : options.selection.ignore) h.field(s);
  h.field("severity");
  for (const auto& [code, severity] : options.severity) {
    h.field(code);
    h.field(engine::severity_name(severity));
  }
}

struct FileState {
  off_t size = 0;
  long long mtime_ns = 0;
  ino_t inode = 0;
  bool operator==(const FileState& o) const { return size == o.size && mtime_ns == o.mtime_ns && inode == o.inode; }
};

std::optional<FileState> file_state(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileState{st.st_size, static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec, st.st_ino};
}

std::optional<FileState> path_state(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto state = file_state(fd);
  ::close(fd);
  return state;
}

// The digest of a regular file's bytes, read in chunks (a notebook is never held whole here).
std::optional<Digest> content_digest(const std::string& path, FileState& state) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto st = file_state(fd);
  if (!st) {
    ::close(fd);
    return std::nullopt;
  }
  state = *st;
  Hasher h;
  std::vector<char> buffer(1 << 18);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      h.update(buffer.data(), static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    ::close(fd);
    if (n < 0) return std::nullopt;
    return h.digest();
  }
}

bool read_whole(const std::string& path, std::string& bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int error = read_fd(fd, bytes);
  ::close(fd);
  return error == 0;
}

bool write_all(int fd, const char* p, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A new file with `bytes`, unless it exists (the tag and .gitignore are written once).
void write_new(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, bytes.data(), bytes.size());
  ::close(fd);
}

long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  long n = std::strtol(value, &end, 10);
  return (end && *end == '\0' && n > 0) ? n : fallback;
}

nlohmann::json span_json(const Span& s) {
  return {s.start.cell, s.start.line, s.start.column, s.end.cell, s.end.line, s.end.column};
}

Span json_span(const nlohmann::json& j) {
  Span s;
  s.start = {j.at(0).get<int>(), j.at(1).get<int>(), j.at(2).get<int>()};
  s.end = {j.at(3).get<int>(), j.at(4).get<int>(), j.at(5).get<int>()};
  return s;
}

}  // namespace

std::string cache_directory(const std::string& option) {
  if (!option.empty()) return option;
  const char* env = std::getenv("LSTM_LINT_CACHE_DIR");
  if (env && *env) return env;
  return ".lstm_lint_cache";
}

// Everything a reporter reads from a finding, except replay's parts (replay bypasses the cache)
// and the fixes' file edits (SARIF locates them after linting, from the file).
std::string encode_findings(const engine::FileResult& result) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : result.findings) {
    nlohmann::json j = {{"c", f.code},        {"n", f.name},        {"s", static_cast<int>(f.severity)},
                        {"m", f.message},     {"h", f.help},        {"f", f.filename},
                        {"sp", span_json(f.span)}, {"l", f.source_line}, {"r", {f.raw_line, f.raw_end_line}},
                        {"k", f.content_hash}};
    if (f.execution_count) j["e"] = *f.execution_count;
    if (f.raw_columns) j["rc"] = true;  // a percent script's columns are the file's columns
    if (!f.related.empty()) {
      nlohmann::json related = nlohmann::json::array();
      for (const auto& r : f.related)
        related.push_back({span_json(r.span), r.message, r.source_line, r.raw_line, r.raw_end_line});
      j["rel"] = std::move(related);
    }
    if (f.fix) {
      nlohmann::json edits = nlohmann::json::array();
      for (const auto& e : f.fix->edits) edits.push_back({e.cell, e.begin, e.end, e.text, e.cell_hash});
      j["x"] = {{"d", f.fix->description}, {"safe", f.fix->safe}, {"edits", edits}};
    }
    all.push_back(std::move(j));
  }
  auto bytes = nlohmann::json::to_cbor(all);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<engine::FileResult> decode_findings(const std::string& bytes, const std::string& path) {
  try {
    auto all = nlohmann::json::from_cbor(bytes);
    engine::FileResult result;
    result.path = path;
    for (const auto& j : all) {
      engine::Finding f;
      f.code = j.at("c").get<std::string>();
      f.name = j.at("n").get<std::string>();
      int severity = j.at("s").get<int>();
      if (severity < 0 || severity > static_cast<int>(engine::Severity::Error)) return std::nullopt;
      f.severity = static_cast<engine::Severity>(severity);
      f.message = j.at("m").get<std::string>();
      f.help = j.at("h").get<std::string>();
      f.filename = j.at("f").get<std::string>();
      f.span = json_span(j.at("sp"));
      f.source_line = j.at("l").get<std::string>();
      f.raw_line = j.at("r").at(0).get<int>();
      f.raw_end_line = j.at("r").at(1).get<int>();
      f.content_hash = j.at("k").get<std::uint64_t>();
      if (j.contains("e")) f.execution_count = j.at("e").get<long long>();
      f.raw_columns = j.contains("rc") && j.at("rc").get<bool>();
      if (j.contains("rel"))
        for (const auto& r : j.at("rel"))
          f.related.push_back({json_span(r.at(0)), r.at(1).get<std::string>(), r.at(2).get<std::string>(),
                               r.at(3).get<int>(), r.at(4).get<int>()});
      if (j.contains("x")) {
        const auto& x = j.at("x");
        engine::Fix fix;
        fix.description = x.at("d").get<std::string>();
        fix.safe = x.at("safe").get<bool>();
        for (const auto& e : x.at("edits"))
          fix.edits.push_back({e.at(0).get<int>(), e.at(1).get<size_t>(), e.at(2).get<size_t>(), e.at(3).get<std::string>(),
                               e.at(4).get<std::uint64_t>()});
        f.fix = std::move(fix);
      }
      result.findings.push_back(std::move(f));
    }
    return result;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged entry is a miss, never an answer
  }
}

Cache::Cache(std::string dir) : dir_(std::move(dir)), entries_((fs::path(dir_) / "entries-v1").string()) {
  std::error_code ec;
  fs::create_directories(entries_, ec);
  if (ec || !fs::is_directory(entries_, ec)) {
    problem_ = "cannot create " + entries_ + ": " + (ec ? ec.message() : std::string("not a directory"));
    return;
  }
  write_new((fs::path(dir_) / "CACHEDIR.TAG").string(), kTag);
  write_new((fs::path(dir_) / ".gitignore").string(), "# lstm-lint's cache\n*\n");
}

engine::FileResult Cache::lint(engine::Linter& linter, const engine::FileOptions& options, const std::string& path) {
  FileState before;
  auto content = content_digest(path, before);
  if (!content) return linter.lint_file(path);  // unreadable, a directory...: the loader names the problem
  Hasher h;
  h.field(tool_identity());
  h.field(path);  // findings carry the path, and per-file-ignores depend on it
  options_into(h, options);
  h.update(&content->a, sizeof content->a);
  h.update(&content->b, sizeof content->b);
  h.update(&before.size, sizeof before.size);
  Digest key = h.digest();
  std::string entry = (fs::path(entries_) / key.hex()).string();
  if (auto cached = load(entry, key, path)) {
    ++counters_.hits;
    ::utimensat(AT_FDCWD, entry.c_str(), nullptr, 0);  // recently used: pruned last
    return std::move(*cached);
  }
  ++counters_.misses;
  engine::FileResult result = linter.lint_file(path);
  // Errors are not stored (an unreadable file may become readable without changing), nor
  // findings of a file that changed while it was linted: they may belong to other bytes.
  if (!result.error && path_state(path) == std::optional<FileState>(before)) store(entry, key, result);
  return result;
}

std::optional<engine::FileResult> Cache::load(const std::string& entry, const Digest& key, const std::string& path) {
  std::string bytes;
  if (!read_whole(entry, bytes)) return std::nullopt;  // absent: a plain miss
  Header header{};
  auto damaged = [&]() -> std::optional<engine::FileResult> {
    ++counters_.corrupt;
    return std::nullopt;
  };
  if (bytes.size() < sizeof header) return damaged();
  std::memcpy(&header, bytes.data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.format != kFormat) return damaged();
  if (header.payload_size != bytes.size() - sizeof header) return damaged();
  if (header.key_a != key.a || header.key_b != key.b) return damaged();
  std::string payload = bytes.substr(sizeof header);
  Digest sum = digest_of(payload);
  if (header.sum_a != sum.a || header.sum_b != sum.b) return damaged();
  auto result = decode_findings(payload, path);
  if (!result) return damaged();
  return result;
}

void Cache::store(const std::string& entry, const Digest& key, const engine::FileResult& result) {
  std::string payload = encode_findings(result);
  Digest sum = digest_of(payload);
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.format = kFormat;
  header.payload_size = payload.size();
  header.key_a = key.a;
  header.key_b = key.b;
  header.sum_a = sum.a;
  header.sum_b = sum.b;
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  bytes += payload;
  static std::atomic<unsigned long> serial{0};
  std::string temporary = entry + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "-" +
                          std::to_string(serial++);
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return;  // a full or read-only disk costs speed, not correctness
  bool written = write_all(fd, bytes.data(), bytes.size());
  written = ::close(fd) == 0 && written;
  // rename is atomic: a reader sees the old entry, the new one, or none, never half of one.
  if (!written || ::rename(temporary.c_str(), entry.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return;
  }
  ++counters_.written;
}

void Cache::prune() {
  long max_entries = env_number("LSTM_LINT_CACHE_MAX_ENTRIES", 100000);
  long long max_bytes = env_number("LSTM_LINT_CACHE_MAX_MB", 512) * 1024LL * 1024LL;
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    std::uintmax_t size;
  };
  std::vector<Entry> entries;
  long long total = 0;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(entries_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e;
    auto used = it->last_write_time(e);
    auto size = it->file_size(e);
    if (e) continue;
    // Temporary files of runs that died mid-write.
    if (it->path().filename().string().find(".tmp-") != std::string::npos) {
      if (now - used > std::chrono::hours(1) && fs::remove(it->path(), e)) ++counters_.pruned;
      continue;
    }
    entries.push_back({it->path(), used, size});
    total += static_cast<long long>(size);
  }
  if (static_cast<long>(entries.size()) <= max_entries && total <= max_bytes) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  // Down to 90% of the bounds, so the next runs do not prune again at once.
  long keep_entries = max_entries - max_entries / 10;
  long long keep_bytes = max_bytes - max_bytes / 10;
  long count = static_cast<long>(entries.size());
  for (const auto& e : entries) {
    if (count <= keep_entries && total <= keep_bytes) break;
    std::error_code re;
    if (fs::remove(e.path, re)) ++counters_.pruned;
    --count;
    total -= static_cast<long long>(e.size);
  }
}

std::string remove_cache(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return "";  // nothing to clean
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return dir + " is not a directory";
  std::string tag;
  std::ifstream in(fs::path(dir) / "CACHEDIR.TAG");
  tag.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (tag.find("lstm-lint") == std::string::npos)
    return dir + " does not look like lstm-lint's cache (no CACHEDIR.TAG of lstm-lint's); not removed";
  fs::remove_all(dir, ec);
  if (ec) return "cannot remove " + dir + ": " + ec.message();
  return "";
}

}  // namespace lstmlint::scale
