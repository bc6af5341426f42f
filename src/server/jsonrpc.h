// JSON-RPC 2.0 framing for the language server: `Content-Length` headers, bodies capped in
// size. A push parser, so stdin, tests and the fuzz target feed it bytes the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lstmlint::server {

class MessageReader {
 public:
  explicit MessageReader(size_t max_body = 64u << 20) : max_body_(max_body) {}

  enum class Status { Message, Error, NeedMore };

  // Appends bytes read from the stream.
  void feed(std::string_view bytes);
  // The next complete body (Message), a framing problem (Error: `out` says what; the reader
  // has skipped past it and can go on), or NeedMore when the buffer holds no whole message.
  Status next(std::string& out);
  // Bytes buffered and not yet returned (for tests and the memory bound).
  size_t buffered() const { return buffer_.size() - start_; }

 private:
  void compact();

  size_t max_body_;
  std::string buffer_;
  size_t start_ = 0;      // where unread bytes begin in buffer_
  size_t skipping_ = 0;   // body bytes of an oversized message still to discard
};

// One framed message: the header and the body.
std::string frame(std::string_view body);

}  // namespace lstmlint::server
