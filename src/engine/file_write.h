// Replacing a file safely: the one writer behind --output-file, --write-baseline and --fix.
#pragma once

#include <functional>
#include <string>

namespace lstmlint::engine {

// Replaces `path` with `bytes` atomically: a temporary file in the same directory (named
// `.<name>.lstm-lint-XXXXXX`), fsync, then a rename, so a reader never sees half a file. An
// existing file keeps its mode (and, when run as root, its owner); a new one gets 0666 minus
// the umask. A symlink stays a symlink: the file it points to is replaced.
// `before_replace`, when given, runs once the temporary file is complete, right before the
// rename; a non-empty answer cancels the write and is returned.
// Returns why the file was not written (without the path, which callers name), empty on success.
std::string write_file_atomically(const std::string& path, const std::string& bytes,
                                  const std::function<std::string()>& before_replace = {});

}  // namespace lstmlint::engine
