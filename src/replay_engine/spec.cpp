// Spec access: every value is validated, defaulted, capped and recorded for the report.
#include <algorithm>
#include <cmath>
#include <map>

#include "replay_engine/replay.h"

namespace lstmlint::replay {
namespace {

struct Common {
  int64_t fallback;
  int64_t cap;
};
// Defaults and caps of the keys every client sends (README: replay protocol).
const std::map<std::string, Common>& common_sizes() {
  static const std::map<std::string, Common> table = {
      {"input_size", {1, 512}},         {"hidden_size", {32, 256}}, {"num_layers", {1, 4}},
      {"seq_len", {20, 256}},           {"batch_size", {32, 256}},  {"dataset_length", {1000, 100000}},
      {"epochs", {2, 5}},               {"output_size", {1, 512}},
  };
  return table;
}

// Larger values are only ever compared or capped; this keeps arithmetic on them in range.
constexpr int64_t kHuge = int64_t(1) << 53;

std::string describe(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

}  // namespace

const Json* Spec::find(const char* key) const {
  if (!raw_.is_object()) return nullptr;
  auto it = raw_.find(key);
  if (it == raw_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Spec::has(const char* key) const { return find(key) != nullptr; }

int64_t Spec::positive_integer(const char* key, const Json& v) const {
  if (v.is_number_unsigned()) {  // nlohmann reads 0 and every non-negative literal as unsigned
    if (v.get<uint64_t>() > 0) return int64_t(std::min<uint64_t>(v.get<uint64_t>(), uint64_t(kHuge)));
  } else if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i > 0) return std::min(i, kHuge);
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d >= 1 && std::floor(d) == d) return d >= double(kHuge) ? kHuge : int64_t(d);
  }
  throw SpecError(std::string("spec key `") + key + "` must be a positive integer, got " + describe(v));
}

int64_t Spec::size(const char* key, int64_t fallback, int64_t cap) {
  const Json* v = find(key);
  int64_t value = v ? positive_integer(key, *v) : fallback;
  if (value > cap) {
    record_scaled(key, value, cap);
    value = cap;
  }
  used_[key] = value;
  return value;
}

int64_t Spec::size(const char* key) {
  auto it = common_sizes().find(key);
  if (it == common_sizes().end()) throw std::logic_error(std::string("no common default for ") + key);
  return size(key, it->second.fallback, it->second.cap);
}

int64_t Spec::original(const char* key, int64_t fallback) {
  const Json* v = find(key);
  int64_t value = v ? positive_integer(key, *v) : fallback;
  used_[key] = value;
  return value;
}

double Spec::number(const char* key, double fallback) {
  const Json* v = find(key);
  double value = fallback;
  if (v) {
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() <= 0)
      throw SpecError(std::string("spec key `") + key + "` must be a finite positive number, got " + describe(*v));
    value = v->get<double>();
  }
  used_[key] = value;
  return value;
}

std::optional<double> Spec::optional_number(const char* key) {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < 0)
    throw SpecError(std::string("spec key `") + key + "` must be a finite number >= 0, got " + describe(*v));
  used_[key] = v->get<double>();
  return v->get<double>();
}

bool Spec::boolean(const char* key, bool fallback) {
  const Json* v = find(key);
  bool value = fallback;
  if (v) {
    if (!v->is_boolean()) throw SpecError(std::string("spec key `") + key + "` must be true or false, got " + describe(*v));
    value = v->get<bool>();
  }
  used_[key] = value;
  return value;
}

std::string Spec::choice(const char* key, const char* fallback_default, std::vector<const char*> allowed,
                         const char* fallback_other) {
  const Json* v = find(key);
  std::string value = fallback_default;
  if (v) {
    if (!v->is_string()) throw SpecError(std::string("spec key `") + key + "` must be a string, got " + describe(*v));
    value = v->get<std::string>();
    bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return value == a; });
    if (!known) {
      if (!fallback_other) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
        throw SpecError(std::string("spec key `") + key + "` must be one of " + list + ", got " + describe(*v));
      }
      used_[std::string(key) + "_stated"] = value;
      value = fallback_other;
    }
  }
  used_[key] = value;
  return value;
}

std::vector<int64_t> Spec::shape(const char* key, std::vector<int64_t> fallback, bool allow_minus_one) {
  const Json* v = find(key);
  if (!v) {
    used_[key] = fallback;
    return fallback;
  }
  auto bad = [&] {
    return SpecError(std::string("spec key `") + key + "` must be a list of 1 to 8 positive integers" +
                     (allow_minus_one ? " (one may be -1)" : "") + ", got " + describe(*v));
  };
  if (!v->is_array() || v->empty() || v->size() > 8) throw bad();
  std::vector<int64_t> dims;
  int minus_ones = 0;
  for (const auto& d : *v) {
    if (allow_minus_one && d.is_number_integer() && d.get<int64_t>() == -1) {
      ++minus_ones;
      dims.push_back(-1);
      continue;
    }
    if (!d.is_number()) throw bad();
    try {
      dims.push_back(positive_integer(key, d));
    } catch (const SpecError&) {
      throw bad();
    }
  }
  if (minus_ones > 1) throw bad();
  used_[key] = dims;
  return dims;
}

std::vector<int64_t> Spec::permutation(const char* key, std::vector<int64_t> fallback) {
  const Json* v = find(key);
  if (!v) {
    used_[key] = fallback;
    return fallback;
  }
  const size_t rank = fallback.size();
  auto bad = [&] {
    return SpecError(std::string("spec key `") + key + "` must list the axes 0.." + std::to_string(rank - 1) +
                     " once each, got " + describe(*v));
  };
  if (!v->is_array() || v->size() != rank) throw bad();
  std::vector<int64_t> axes;
  std::vector<bool> seen(rank, false);
  for (const auto& a : *v) {
    if (!a.is_number_integer()) throw bad();
    int64_t i = a.get<int64_t>();
    if (i < 0 || i >= int64_t(rank) || seen[size_t(i)]) throw bad();
    seen[size_t(i)] = true;
    axes.push_back(i);
  }
  used_[key] = axes;
  return axes;
}

void Spec::record_scaled(const std::string& key, int64_t from, int64_t to) {
  for (auto& s : scaled_)
    if (s["key"] == key) {
      s["to"] = to;
      return;
    }
  scaled_.push_back({{"key", key}, {"from", from}, {"to", to}});
}

}  // namespace lstmlint::replay
