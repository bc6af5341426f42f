// Non-cryptographic hashes for corpus work: FNV-1a 64 for shard assignment (a fixed,
// documented function, so any tool can compute the same split) and a faster 128-bit
// digest for cache keys and entry checksums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lstmlint::scale {

inline std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct Digest {
  std::uint64_t a = 0, b = 0;
  bool operator==(const Digest& o) const { return a == o.a && b == o.b; }
  bool operator!=(const Digest& o) const { return !(*this == o); }
  std::string hex() const;
};

// Two independent multiply-rotate lanes over 8-byte words, finished with splitmix64's mixer.
// About 8 bytes per few cycles: hashing a notebook costs far less than parsing it.
class Hasher {
 public:
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Separates fields, so ("ab","c") and ("a","bc") differ.
  void field(std::string_view s) {
    std::uint64_t n = s.size();
    update(&n, sizeof n);
    update(s);
  }
  Digest digest() const;

 private:
  void mix(std::uint64_t word);
  std::uint64_t a_ = 0x9e3779b97f4a7c15ULL, b_ = 0xc2b2ae3d27d4eb4fULL;
  std::uint64_t length_ = 0;
  unsigned char tail_[8] = {};
  size_t tail_size_ = 0;
};

Digest digest_of(std::string_view bytes);

}  // namespace lstmlint::scale
