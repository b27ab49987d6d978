// Recursive-descent JSON parser (RFC 8259), strict: no comments, no trailing commas, no NaN.
#include "Json.h"

#include <cstdio>

namespace ds::rt::json {

const Value *Value::find(std::string_view key) const {
  for (const auto &[name, value] : members)
    if (name == key)
      return &value;
  return nullptr;
}

std::optional<uint64_t> Value::asUint64() const {
  if (kind != Kind::Number || text.empty() || text.size() > 20)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

namespace {
// Corrupt input must not overflow the stack through deep nesting.
constexpr int kMaxDepth = 64;

class Parser {
public:
  explicit Parser(std::string_view text) : s_(text) {}

  StatusOr<Value> parseDocument() {
    Value v;
    DS_RETURN_IF_ERROR(parseValue(v, 0));
    skipSpace();
    if (pos_ != s_.size())
      return fail("unexpected text after the JSON value");
    return v;
  }

private:
  Status fail(const std::string &what) const {
    return Status::error("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  void skipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }

  Status parseValue(Value &v, int depth) {
    if (depth > kMaxDepth)
      return fail("nested too deeply");
    skipSpace();
    if (pos_ >= s_.size())
      return fail("unexpected end of input");
    char c = s_[pos_];
    if (c == '{')
      return parseObject(v, depth);
    if (c == '[')
      return parseArray(v, depth);
    if (c == '"') {
      v.kind = Value::Kind::String;
      return parseString(v.text);
    }
    if (consume("null")) {
      v.kind = Value::Kind::Null;
      return Status::ok();
    }
    if (consume("true") || consume("false")) {
      v.kind = Value::Kind::Bool;
      v.boolean = c == 't';
      return Status::ok();
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(v);
    return fail(std::string("unexpected character '") + c + "'");
  }

  Status parseObject(Value &v, int depth) {
    v.kind = Value::Kind::Object;
    ++pos_; // '{'
    skipSpace();
    if (consume("}"))
      return Status::ok();
    while (true) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"')
        return fail("expected a string key");
      std::string key;
      DS_RETURN_IF_ERROR(parseString(key));
      if (v.find(key))
        return fail("duplicate key \"" + key + "\"");
      skipSpace();
      if (!consume(":"))
        return fail("expected ':'");
      Value member;
      DS_RETURN_IF_ERROR(parseValue(member, depth + 1));
      v.members.emplace_back(std::move(key), std::move(member));
      skipSpace();
      if (consume("}"))
        return Status::ok();
      if (!consume(","))
        return fail("expected ',' or '}'");
    }
  }

  Status parseArray(Value &v, int depth) {
    v.kind = Value::Kind::Array;
    ++pos_; // '['
    skipSpace();
    if (consume("]"))
      return Status::ok();
    while (true) {
      Value item;
      DS_RETURN_IF_ERROR(parseValue(item, depth + 1));
      v.items.push_back(std::move(item));
      skipSpace();
      if (consume("]"))
        return Status::ok();
      if (!consume(","))
        return fail("expected ',' or ']'");
    }
  }

  Status parseNumber(Value &v) {
    size_t start = pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        ++pos_;
      return pos_ > from;
    };
    consume("-");
    if (consume("0")) {
      // JSON forbids leading zeros.
    } else if (!digits()) {
      return fail("malformed number");
    }
    if (consume(".") && !digits())
      return fail("malformed number");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!consume("+"))
        consume("-");
      if (!digits())
        return fail("malformed number");
    }
    v.kind = Value::Kind::Number;
    v.text = std::string(s_.substr(start, pos_ - start));
    return Status::ok();
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(uint32_t &out) {
    if (pos_ + 4 > s_.size())
      return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9')
        out |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        out |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        out |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  Status parseString(std::string &out) {
    ++pos_; // opening quote
    while (true) {
      if (pos_ >= s_.size())
        return fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"')
        return Status::ok();
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size())
        return fail("unterminated string");
      char e = s_[pos_++];
      switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp;
        if (!hex4(cp))
          return fail("malformed \\u escape");
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t low;
          if (!consume("\\u") || !hex4(low) || low < 0xDC00 || low >= 0xE000)
            return fail("unpaired surrogate in a \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return fail("unpaired surrogate in a \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(std::string("unknown escape '\\") + e + "'");
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};
} // namespace

StatusOr<Value> parse(std::string_view text) { return Parser(text).parseDocument(); }

void appendQuoted(std::string &out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

} // namespace ds::rt::json
