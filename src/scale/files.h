// Corpus inputs: --files-from lists and --shard K/N, the stable split of a file list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lstmlint::scale {

// Appends everything `fd` holds to `bytes` (retrying EINTR); 0, or the errno of a failed read.
int read_fd(int fd, std::string& bytes);

// Reads one path per line ('\n', a trailing '\r' dropped; empty lines skipped), or
// NUL-separated with `null_separated`. "-" reads standard input. Throws std::runtime_error
// naming the list when it cannot be read.
std::vector<std::string> read_file_list(const std::string& list, bool null_separated);

struct Shard {
  std::uint64_t index = 1;  // K, 1-based
  std::uint64_t count = 1;  // N
};

// "K/N" with 1 <= K <= N; `error` says what is wrong otherwise.
std::optional<Shard> parse_shard(const std::string& text, std::string& error);

// Whether `path` (the string as given or found by the directory walk) belongs to `shard`:
// FNV-1a 64 of its bytes, modulo N, equals K-1.
bool in_shard(const std::string& path, const Shard& shard);

}  // namespace lstmlint::scale
