// The 128-bit digest behind cache keys and cache entry checksums (scale/hash.h).
#include "scale/hash.h"

#include <cstdio>

namespace lstmlint::scale {
namespace {

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

std::uint64_t finish(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::string Digest::hex() const {
  char buffer[33];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  return buffer;
}

void Hasher::mix(std::uint64_t word) {
  a_ = rotl(a_ ^ word, 29) * 0x9fb21c651e98df25ULL;
  b_ = rotl(b_ + word, 31) * 0xff51afd7ed558ccdULL;
}

void Hasher::update(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  length_ += size;
  if (tail_size_ > 0) {
    while (size > 0 && tail_size_ < 8) {
      tail_[tail_size_++] = *p++;
      --size;
    }
    if (tail_size_ < 8) return;
    std::uint64_t w;
    std::memcpy(&w, tail_, 8);
    mix(w);
    tail_size_ = 0;
  }
  for (; size >= 8; p += 8, size -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    mix(w);
  }
  std::memcpy(tail_, p, size);
  tail_size_ = size;
}

Digest Hasher::digest() const {
  Hasher h = *this;
  std::uint64_t last = 0;
  std::memcpy(&last, h.tail_, h.tail_size_);
  h.mix(last ^ (static_cast<std::uint64_t>(h.tail_size_) << 56));
  h.mix(h.length_);
  return {finish(h.a_ ^ rotl(h.b_, 17)), finish(h.b_ + rotl(h.a_, 41))};
}

Digest digest_of(std::string_view bytes) {
  Hasher h;
  h.update(bytes);
  return h.digest();
}

}  // namespace lstmlint::scale
