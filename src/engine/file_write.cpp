// write_file_atomically: temporary file, fsync, rename (engine/file_write.h).
#include "engine/file_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace lstmlint::engine {
namespace {

std::string os_error(const std::string& what) { return what + ": " + std::strerror(errno); }

bool write_all(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string write_file_atomically(const std::string& given, const std::string& bytes,
                                  const std::function<std::string()>& before_replace) {
  std::string path = given;
  struct stat st {};
  if (lstat(given.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::unique_ptr<char, void (*)(void*)> real(realpath(given.c_str(), nullptr), &std::free);
    if (!real) return os_error("cannot resolve the symlink");
    path = real.get();
  }
  bool exists = stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  mode_t mode = st.st_mode & 07777;
  if (!exists) {
    mode_t mask = umask(0);  // umask can only be read by setting it; put it straight back
    umask(mask);
    mode = 0666 & ~mask;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string pattern = dir + "/." + name + ".lstm-lint-XXXXXX";
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  int fd = mkstemp(temp.data());
  if (fd < 0) return os_error("cannot create a temporary file in " + dir);
  auto fail = [&](const std::string& message) {
    if (fd >= 0) close(fd);
    unlink(temp.data());
    return message;
  };
  if (fchmod(fd, mode) != 0) return fail(os_error("cannot set the temporary file's mode"));
  if (exists && geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) != 0) return fail(os_error("cannot keep the file's owner"));
  if (!write_all(fd, bytes) || fsync(fd) != 0) return fail(os_error("cannot write the temporary file"));
  int closed = close(fd);
  fd = -1;
  if (closed != 0) return fail(os_error("cannot write the temporary file"));
  if (before_replace)
    if (std::string refused = before_replace(); !refused.empty()) return fail(refused);
  if (rename(temp.data(), path.c_str()) != 0) return fail(os_error("cannot replace the file"));
  // The rename itself reaches the disk with the directory.
  if (int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return {};
}

}  // namespace lstmlint::engine
