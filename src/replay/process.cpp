// A child process over three pipes, multiplexed with poll() so that neither side can block the
// other however much it writes; killed (the whole process group) at the deadline.
#include "replay/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace lstmlint::replay {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
};

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

ProcessResult run_process(const std::string& executable, const std::vector<std::string>& args,
                          const std::string& input, double timeout_seconds,
                          const std::function<void(std::string_view)>& on_stderr_line) {
  ProcessResult result;
  Pipe in, out, err;
  if (!in.open() || !out.open() || !err.open()) {
    result.start_error = std::string("cannot create pipes: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(executable.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // A pipe to report exec failures: it closes on a successful exec (O_CLOEXEC).
  Pipe exec_status;
  if (!exec_status.open()) {
    result.start_error = std::string("cannot create pipes: ") + std::strerror(errno);
    return result;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    result.start_error = std::string("fork failed: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in.fd[0], 0);
    ::dup2(out.fd[1], 1);
    ::dup2(err.fd[1], 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(executable.c_str(), argv.data());
    int e = errno;
    (void)!::write(exec_status.fd[1], &e, sizeof e);
    ::_exit(127);
  }
  exec_status.close_end(1);
  int exec_errno = 0;
  ssize_t got;
  do got = ::read(exec_status.fd[0], &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    ::waitpid(pid, nullptr, 0);
    result.start_error = executable + ": " + std::strerror(exec_errno);
    return result;
  }
  result.started = true;
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  set_nonblocking(in.fd[1]);
  set_nonblocking(out.fd[0]);
  set_nonblocking(err.fd[0]);

  // Writing to a child that died must not kill us with SIGPIPE.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  size_t written = 0;
  if (input.empty()) in.close_end(1);
  std::string err_line;
  char buffer[1 << 16];
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    int which[3];
    if (in.fd[1] >= 0) fds[n] = {in.fd[1], POLLOUT, 0}, which[n++] = 0;
    if (out.fd[0] >= 0) fds[n] = {out.fd[0], POLLIN, 0}, which[n++] = 1;
    if (err.fd[0] >= 0) fds[n] = {err.fd[0], POLLIN, 0}, which[n++] = 2;
    int ready = ::poll(fds, n, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < n; ++i) {
      if (!fds[i].revents) continue;
      if (which[i] == 0) {
        ssize_t w = ::write(in.fd[1], input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in.close_end(1);
        continue;
      }
      Pipe& p = which[i] == 1 ? out : err;
      ssize_t r = ::read(p.fd[0], buffer, sizeof buffer);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        p.close_end(0);
        continue;
      }
      if (r < 0) continue;
      if (which[i] == 1) {
        result.out.append(buffer, static_cast<size_t>(r));
        continue;
      }
      result.err.append(buffer, static_cast<size_t>(r));
      if (result.err.size() > (1u << 20)) result.err.erase(0, result.err.size() - (1u << 20));  // keep the tail
      for (ssize_t k = 0; k < r; ++k) {
        if (buffer[k] != '\n') {
          err_line += buffer[k];
          continue;
        }
        if (on_stderr_line) on_stderr_line(err_line);
        err_line.clear();
      }
    }
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  // A child that closed its outputs may still be running: it gets until the deadline too.
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (done == 0 && std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      continue;
    }
    if (done == 0) ::usleep(10000);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace lstmlint::replay
