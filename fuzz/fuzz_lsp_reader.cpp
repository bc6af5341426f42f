// fuzz_lsp_reader: arbitrary bytes through the language server's message reader and on into
// the server itself. Checks that framing does not depend on how the stream is chunked, that
// no body exceeds the limit, that the buffer stays bounded, and that every message the server
// sends is valid JSON-RPC it can serialise.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "server/jsonrpc.h"
#include "server/server.h"

using lstmlint::server::MessageReader;

namespace {

constexpr size_t kLimit = 4096;

struct Event {
  bool error;
  std::string body;
};

std::vector<Event> read_all(std::string_view in, size_t chunk) {
  MessageReader reader(kLimit);
  std::vector<Event> events;
  for (size_t at = 0; at < in.size(); at += chunk) {
    reader.feed(in.substr(at, chunk));
    std::string body;
    for (MessageReader::Status s; (s = reader.next(body)) != MessageReader::Status::NeedMore;) {
      FUZZ_CHECK(s == MessageReader::Status::Error || body.size() <= kLimit, "a body over the limit was returned");
      events.push_back({s == MessageReader::Status::Error, body});
    }
    // Unread bytes: at most one header block, one body and the chunk just fed.
    FUZZ_CHECK(reader.buffered() <= 8192 + 4 + kLimit + chunk + 64, "the buffer grew to " + std::to_string(reader.buffered()));
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto whole = read_all(in, in.size() + 1);
  auto pieces = read_all(in, chunk);
  // Messages must not depend on chunking. An error's text may differ (an oversized header is
  // noticed at a different point), but the messages between errors may not.
  std::vector<std::string> a, b;
  for (const auto& e : whole)
    if (!e.error) a.push_back(e.body);
  for (const auto& e : pieces)
    if (!e.error) b.push_back(e.body);
  FUZZ_CHECK(a == b, "chunking changed the messages: " + std::to_string(a.size()) + " vs " + std::to_string(b.size()));

  lstmlint::server::Server server([](const nlohmann::json& message) {
    FUZZ_CHECK(message.is_object() && message.value("jsonrpc", "") == "2.0", "an outgoing message is not JSON-RPC 2.0");
    std::string dumped = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    FUZZ_CHECK(!dumped.empty(), "empty message");
  });
  std::vector<std::string> batch;
  for (const auto& e : whole) {
    if (e.error) server.framing_error(e.body);
    else batch.push_back(e.body);
  }
  server.receive_batch(batch);
  server.flush();
  return 0;
}
