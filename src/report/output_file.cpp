// --output-file: the report replaces the file atomically (temporary file + rename).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "report/report.h"

namespace lstmlint::report {
namespace {

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The mode a new file would get (0666 minus the umask), or the existing file's own.
mode_t target_mode(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
  mode_t mask = umask(0);  // umask can only be read by setting it; put it straight back
  umask(mask);
  return 0666 & ~mask;
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string write_file_atomically(const std::string& path, const std::string& bytes) {
  std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  std::string pattern = directory_of(path) + "/." + name + ".lstm-lint-XXXXXX";
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  int fd = mkstemp(temp.data());
  if (fd < 0) return "cannot create a temporary file next to " + path + ": " + std::strerror(errno);
  std::string error;
  if (fchmod(fd, target_mode(path)) != 0 || !write_all(fd, bytes) || fsync(fd) != 0) error = std::strerror(errno);
  if (close(fd) != 0 && error.empty()) error = std::strerror(errno);
  if (error.empty() && rename(temp.data(), path.c_str()) != 0) error = std::strerror(errno);
  if (error.empty()) return {};
  unlink(temp.data());
  return "cannot write " + path + ": " + error;
}

}  // namespace lstmlint::report
