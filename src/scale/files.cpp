// --files-from and --shard (scale/files.h).
#include "scale/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "scale/hash.h"

namespace lstmlint::scale {

int read_fd(int fd, std::string& bytes) {
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      bytes.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? errno : 0;
  }
}

namespace {

std::string read_all_stdin() {
  std::string bytes;
  if (int error = read_fd(STDIN_FILENO, bytes))
    throw std::runtime_error(std::string("--files-from -: cannot read standard input: ") + std::strerror(error));
  return bytes;
}

bool parse_count(const std::string& text, std::uint64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

std::vector<std::string> read_file_list(const std::string& list, bool null_separated) {
  std::string bytes;
  if (list == "-") {
    bytes = read_all_stdin();
  } else {
    std::ifstream in(list, std::ios::binary);
    if (!in) throw std::runtime_error("--files-from " + list + ": " + std::strerror(errno));
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("--files-from " + list + ": read error");
  }
  std::vector<std::string> paths;
  char separator = null_separated ? '\0' : '\n';
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find(separator, start);
    if (end == std::string::npos) end = bytes.size();
    std::string path = bytes.substr(start, end - start);
    if (!null_separated && !path.empty() && path.back() == '\r') path.pop_back();
    if (!null_separated && path.find('\0') != std::string::npos)
      throw std::runtime_error("--files-from " + list + ": a line holds a NUL byte (a NUL-separated list needs --null)");
    if (!path.empty()) paths.push_back(std::move(path));
    start = end + 1;
  }
  return paths;
}

std::optional<Shard> parse_shard(const std::string& text, std::string& error) {
  size_t slash = text.find('/');
  Shard shard;
  if (slash == std::string::npos || !parse_count(text.substr(0, slash), shard.index) ||
      !parse_count(text.substr(slash + 1), shard.count)) {
    error = "--shard `" + text + "`: expected K/N with whole numbers, e.g. --shard 1/4";
    return std::nullopt;
  }
  if (shard.count == 0) {
    error = "--shard `" + text + "`: N must be at least 1";
    return std::nullopt;
  }
  if (shard.index < 1 || shard.index > shard.count) {
    error = "--shard `" + text + "`: K counts from 1 to N (" + std::to_string(shard.count) +
            "); a 0-based index such as SLURM_ARRAY_TASK_ID needs +1";
    return std::nullopt;
  }
  return shard;
}

bool in_shard(const std::string& path, const Shard& shard) {
  return fnv1a64(path) % shard.count == shard.index - 1;
}

}  // namespace lstmlint::scale
