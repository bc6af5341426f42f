// `lstm-lint server`: a Language Server Protocol 3.17 server over stdio, with notebook
// documents (docs/editors.md). Diagnostics per cell, quick fixes, noqa, replay on demand.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lstmlint::server {

// The protocol state and the open documents; transport-free, so tests and the bench drive it
// in process. `send` gets every outgoing message (responses, notifications, requests).
class Server {
 public:
  using Send = std::function<void(const nlohmann::json&)>;
  explicit Server(Send send);
  ~Server();

  // One message body as received (not yet parsed: a parse error is answered with -32700).
  void receive(const std::string& body);
  // Several bodies read together: a `$/cancelRequest` among them cancels an earlier request
  // of the same batch that is not answered yet (-32800).
  void receive_batch(const std::vector<std::string>& bodies);
  // Re-analyses the documents changed since the last call and publishes their diagnostics.
  // run_stdio calls it whenever no further whole message is buffered, so a burst of edits
  // costs one analysis.
  void flush();
  // Answers a framing problem met by the reader (an invalid request with a null id).
  void framing_error(const std::string& problem);

  bool exited() const;
  int exit_code() const;  // 0 after shutdown then exit, 1 for exit without shutdown

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Serves on stdin/stdout until `exit` or end of input; returns the process' exit status.
// LSTM_LINT_SERVER_MAX_MESSAGE (bytes) lowers the message size limit (64 MiB) for tests.
int run_stdio();

}  // namespace lstmlint::server
