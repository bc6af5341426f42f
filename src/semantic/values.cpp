// Literal values and the arithmetic constant propagation needs.
#include "semantic/values.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace lstmlint::semantic {

Value Value::none() { Value v; v.kind = Kind::None; return v; }
Value Value::of_bool(bool b) { Value v; v.kind = Kind::Bool; v.boolean = b; return v; }
Value Value::of_int(long long i) { Value v; v.kind = Kind::Int; v.integer = i; return v; }
Value Value::of_float(double f) { Value v; v.kind = Kind::Float; v.real = f; return v; }
Value Value::of_str(std::string s) { Value v; v.kind = Kind::Str; v.str = std::move(s); return v; }
Value Value::tuple(std::vector<Value> items) { Value v; v.kind = Kind::Tuple; v.items = std::move(items); return v; }

std::optional<long long> Value::as_int() const {
  if (kind == Kind::Int) return integer;
  if (kind == Kind::Bool) return boolean ? 1 : 0;
  return std::nullopt;
}

std::optional<double> Value::as_number() const {
  if (kind == Kind::Float) return real;
  if (auto i = as_int()) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> Value::as_bool() const {
  if (kind == Kind::Bool) return boolean;
  if (kind == Kind::None) return false;
  if (kind == Kind::Int) return integer != 0;
  return std::nullopt;
}

std::string Value::repr() const {
  switch (kind) {
    case Kind::Unknown: return "?";
    case Kind::None: return "None";
    case Kind::Bool: return boolean ? "True" : "False";
    case Kind::Int: return std::to_string(integer);
    case Kind::Float: {
      std::ostringstream out;
      out << real;
      std::string s = out.str();
      if (s.find_first_of(".e") == std::string::npos && std::isfinite(real)) s += ".0";
      return s;
    }
    case Kind::Str: return "'" + str + "'";
    case Kind::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i].repr();
      if (items.size() == 1) s += ",";
      return s + ")";
    }
  }
  return "?";
}

namespace {

bool overflows(long double r) {
  return r > static_cast<long double>(std::numeric_limits<long long>::max()) ||
         r < static_cast<long double>(std::numeric_limits<long long>::min());
}

Value int_op(long long a, const std::string& op, long long b) {
  long double la = a, lb = b;
  if (op == "+") return overflows(la + lb) ? Value{} : Value::of_int(a + b);
  if (op == "-") return overflows(la - lb) ? Value{} : Value::of_int(a - b);
  if (op == "*") return overflows(la * lb) ? Value{} : Value::of_int(a * b);
  if (op == "/") return b == 0 ? Value{} : Value::of_float(static_cast<double>(a) / static_cast<double>(b));
  if (op == "//" || op == "%") {
    if (b == 0) return {};
    long long q = a / b, r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) { --q; r += b; }  // Python floors
    return Value::of_int(op == "//" ? q : r);
  }
  if (op == "**") {
    if (b < 0) return Value::of_float(std::pow(static_cast<double>(a), static_cast<double>(b)));
    long double r = std::pow(la, lb);
    if (overflows(r)) return {};
    long long out = 1;
    for (long long i = 0; i < b; ++i) out *= a;
    return Value::of_int(out);
  }
  return {};
}

}  // namespace

Value binary_op(const Value& a, const std::string& op, const Value& b) {
  if (a.kind == Value::Kind::Int && b.kind == Value::Kind::Int) return int_op(a.integer, op, b.integer);
  auto x = a.as_number(), y = b.as_number();
  if (x && y && (a.kind == Value::Kind::Float || b.kind == Value::Kind::Float)) {
    if (op == "+") return Value::of_float(*x + *y);
    if (op == "-") return Value::of_float(*x - *y);
    if (op == "*") return Value::of_float(*x * *y);
    if (op == "/") return *y == 0 ? Value{} : Value::of_float(*x / *y);
    if (op == "**") return Value::of_float(std::pow(*x, *y));
    return {};
  }
  if (a.kind == Value::Kind::Str && b.kind == Value::Kind::Str && op == "+") return Value::of_str(a.str + b.str);
  if (a.kind == Value::Kind::Tuple && b.kind == Value::Kind::Tuple && op == "+") {
    std::vector<Value> items = a.items;
    items.insert(items.end(), b.items.begin(), b.items.end());
    return Value::tuple(std::move(items));
  }
  return {};
}

Value negate(const Value& a) {
  if (a.kind == Value::Kind::Int && a.integer != std::numeric_limits<long long>::min()) return Value::of_int(-a.integer);
  if (a.kind == Value::Kind::Float) return Value::of_float(-a.real);
  return {};
}

}  // namespace lstmlint::semantic
