// Literal values known statically (int, float, bool, str, None, tuples) for constant propagation.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lstmlint::semantic {

struct Value {
  enum class Kind { Unknown, None, Bool, Int, Float, Str, Tuple };
  Kind kind = Kind::Unknown;
  bool boolean = false;
  long long integer = 0;
  double real = 0.0;
  std::string str;
  std::vector<Value> items;

  bool known() const { return kind != Kind::Unknown; }
  std::optional<long long> as_int() const;
  std::optional<double> as_number() const;
  std::optional<bool> as_bool() const;
  std::string repr() const;  // Python-like: 32, 0.001, True, 'adam', (1, 2)

  static Value none();
  static Value of_bool(bool b);
  static Value of_int(long long i);
  static Value of_float(double f);
  static Value of_str(std::string s);
  static Value tuple(std::vector<Value> items);
};

// Arithmetic on known values; Unknown whenever an operand is unknown or the result overflows.
Value binary_op(const Value& a, const std::string& op, const Value& b);
Value negate(const Value& a);

}  // namespace lstmlint::semantic
