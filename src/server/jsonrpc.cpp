// JSON-RPC framing (server/jsonrpc.h): headers up to a blank line, Content-Length required.
#include "server/jsonrpc.h"

#include <cctype>

namespace lstmlint::server {
namespace {

constexpr size_t kMaxHeader = 8192;  // a header block longer than this is not LSP

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

// The Content-Length of a header block (without the blank line); false when it has none, or
// a malformed one.
bool content_length(std::string_view headers, unsigned long long& length, std::string& problem) {
  bool found = false;
  while (!headers.empty()) {
    size_t end = headers.find("\r\n");
    std::string_view line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      problem = "malformed header line (no `:`)";
      return false;
    }
    if (!iequals_prefix(line, "content-length") || colon != 14) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty() || value.size() > 19) {
      problem = "malformed Content-Length";
      return false;
    }
    length = 0;
    for (char c : value) {
      if (c < '0' || c > '9') {
        problem = "malformed Content-Length";
        return false;
      }
      length = length * 10 + static_cast<unsigned>(c - '0');
    }
    found = true;
  }
  if (!found) problem = "no Content-Length header";
  return found;
}

}  // namespace

void MessageReader::feed(std::string_view bytes) {
  if (skipping_ > 0) {
    size_t dropped = std::min(skipping_, bytes.size());
    skipping_ -= dropped;
    bytes.remove_prefix(dropped);
  }
  buffer_.append(bytes.data(), bytes.size());
}

void MessageReader::compact() {
  if (start_ == 0) return;
  if (start_ >= buffer_.size()) {
    buffer_.clear();
  } else if (start_ > 4096 && start_ * 2 > buffer_.size()) {
    buffer_.erase(0, start_);
  } else {
    return;
  }
  start_ = 0;
}

MessageReader::Status MessageReader::next(std::string& out) {
  out.clear();
  compact();
  if (skipping_ > 0) return Status::NeedMore;
  std::string_view unread(buffer_.data() + start_, buffer_.size() - start_);
  // Stray line breaks between messages are tolerated.
  size_t lead = 0;
  while (lead < unread.size() && (unread[lead] == '\r' || unread[lead] == '\n')) ++lead;
  unread.remove_prefix(lead);
  start_ += lead;
  size_t blank = unread.find("\r\n\r\n");
  if (blank == std::string_view::npos) {
    if (unread.size() <= kMaxHeader) return Status::NeedMore;
    out = "header block longer than 8192 bytes without a blank line; discarded";
    start_ = buffer_.size();
    return Status::Error;
  }
  std::string_view headers = unread.substr(0, blank);
  unsigned long long length = 0;
  std::string problem;
  if (blank > kMaxHeader || !content_length(headers, length, problem)) {
    out = blank > kMaxHeader ? "header block longer than 8192 bytes" : problem;
    out += "; message discarded";
    start_ += blank + 4;
    return Status::Error;
  }
  size_t body_start = blank + 4;
  if (length > max_body_) {
    out = "message of " + std::to_string(length) + " bytes exceeds the limit of " + std::to_string(max_body_) +
          " bytes; discarded";
    size_t available = unread.size() - body_start;
    if (length <= available) {
      start_ += body_start + static_cast<size_t>(length);
    } else {
      skipping_ = static_cast<size_t>(length - available);
      start_ = buffer_.size();
    }
    return Status::Error;
  }
  if (unread.size() - body_start < length) return Status::NeedMore;
  out.assign(unread.substr(body_start, static_cast<size_t>(length)));
  start_ += body_start + static_cast<size_t>(length);
  return Status::Message;
}

std::string frame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body.data(), body.size());
  return out;
}

}  // namespace lstmlint::server
