// Encoding and checking safetensors headers; the bytes themselves are moved by the caller.
#include "ds/Runtime/Train/Safetensors.h"

#include "Json.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace ds::rt {

namespace {
struct DTypeInfo {
  const char *name;
  int64_t size;
  // Position in the reference implementation's Dtype enum: its writer sorts by it, descending.
  int rank;
};

// Every dtype the format defines that has a whole number of bytes per element.
constexpr DTypeInfo kDTypes[] = {
    {"BOOL", 1, 0},    {"U8", 1, 4},       {"I8", 1, 5},   {"F8_E5M2", 1, 6},
    {"F8_E4M3", 1, 7}, {"F8_E8M0", 1, 8},  {"I16", 2, 9},  {"U16", 2, 10},
    {"F16", 2, 11},    {"BF16", 2, 12},    {"I32", 4, 13}, {"U32", 4, 14},
    {"F32", 4, 15},    {"F64", 8, 16},     {"I64", 8, 17}, {"U64", 8, 18}};

const DTypeInfo *findDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return &info;
  return nullptr;
}

// The reference reader refuses larger headers; so do we, before allocating anything for one.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Bytes of a tensor, or nullopt on overflow.
std::optional<uint64_t> tensorBytes(const Shape &shape, int64_t elementSize) {
  uint64_t bytes = static_cast<uint64_t>(elementSize);
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes))
      return std::nullopt;
  return bytes;
}

void appendUint(std::string &out, uint64_t v) { out += std::to_string(v); }

std::string quoted(std::string_view s) {
  std::string out;
  json::appendQuoted(out, s);
  return out;
}
} // namespace

const char *safetensorsDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32: return "F32";
  case DType::BF16: return "BF16";
  case DType::F16: return "F16";
  case DType::I64: return "I64";
  case DType::I32: return "I32";
  case DType::U8: return "U8";
  }
  return "?";
}

std::optional<DType> dtypeFromSafetensors(std::string_view name) {
  for (DType d : {DType::F32, DType::BF16, DType::F16, DType::I64, DType::I32, DType::U8})
    if (name == safetensorsDTypeName(d))
      return d;
  return std::nullopt;
}

int64_t safetensorsElementSize(std::string_view name) {
  const DTypeInfo *info = findDType(name);
  return info ? info->size : 0;
}

StatusOr<SafetensorsLayout> layoutSafetensors(std::vector<SafetensorsEntry> &entries,
                                              const std::map<std::string, std::string> &metadata) {
  SafetensorsLayout layout;
  layout.order.resize(entries.size());
  std::iota(layout.order.begin(), layout.order.end(), size_t{0});
  for (const SafetensorsEntry &e : entries) {
    if (e.name.empty() || e.name == "__metadata__")
      return Status::error("tensor name " + quoted(e.name) + " is reserved or empty");
    if (!findDType(e.dtype))
      return Status::error("tensor " + quoted(e.name) + ": unknown dtype " + quoted(e.dtype));
  }
  std::set<std::string_view> names;
  for (const SafetensorsEntry &e : entries)
    if (!names.insert(e.name).second)
      return Status::error("tensor " + quoted(e.name) + " is listed twice");
  std::sort(layout.order.begin(), layout.order.end(), [&](size_t a, size_t b) {
    int ra = findDType(entries[a].dtype)->rank, rb = findDType(entries[b].dtype)->rank;
    if (ra != rb)
      return ra > rb;
    return entries[a].name < entries[b].name;
  });

  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    for (const auto &[key, value] : metadata) {
      if (json.back() != '{')
        json += ',';
      json::appendQuoted(json, key);
      json += ':';
      json::appendQuoted(json, value);
    }
    json += '}';
  }
  uint64_t offset = 0;
  for (size_t k = 0; k < layout.order.size(); ++k) {
    SafetensorsEntry &e = entries[layout.order[k]];
    std::optional<uint64_t> bytes = tensorBytes(e.shape, findDType(e.dtype)->size);
    if (!bytes)
      return Status::error("tensor " + quoted(e.name) + ": invalid shape " +
                           shapeToString(e.shape));
    e.begin = offset;
    e.end = offset + *bytes;
    offset = e.end;
    if (json.size() > 1)
      json += ',';
    json::appendQuoted(json, e.name);
    json += ":{\"dtype\":";
    json::appendQuoted(json, e.dtype);
    json += ",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i) {
      if (i)
        json += ',';
      appendUint(json, static_cast<uint64_t>(e.shape[i]));
    }
    json += "],\"data_offsets\":[";
    appendUint(json, e.begin);
    json += ',';
    appendUint(json, e.end);
    json += "]}";
  }
  json += '}';
  // Pad so the data starts 8-aligned, as the reference writer does.
  json.append((8 - json.size() % 8) % 8, ' ');

  uint64_t n = json.size();
  layout.header.resize(8);
  for (int i = 0; i < 8; ++i)
    layout.header[i] = static_cast<char>((n >> (8 * i)) & 0xffu);
  layout.header += json;
  layout.fileBytes = layout.header.size() + offset;
  return layout;
}

StatusOr<SafetensorsHeader> parseSafetensors(std::string_view file) {
  if (file.size() < 8)
    return Status::error("only " + std::to_string(file.size()) +
                         " bytes, too short for a safetensors header");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<uint64_t>(static_cast<unsigned char>(file[i])) << (8 * i);
  if (n > kMaxHeaderBytes)
    return Status::error("header length " + std::to_string(n) + " is implausible (corrupt file)");
  if (n > file.size() - 8)
    return Status::error("header length " + std::to_string(n) + " runs past the end of the " +
                         std::to_string(file.size()) + "-byte file (truncated)");
  auto parsed = json::parse(file.substr(8, n));
  if (!parsed)
    return parsed.status().withContext("header");
  if (!parsed->isObject())
    return Status::error("header is not a JSON object");

  SafetensorsHeader header;
  header.dataStart = 8 + n;
  for (const auto &[name, value] : parsed->members) {
    if (name == "__metadata__") {
      if (!value.isObject())
        return Status::error("__metadata__ is not an object");
      for (const auto &[key, v] : value.members) {
        if (!v.isString())
          return Status::error("__metadata__ value " + quoted(key) + " is not a string");
        header.metadata[key] = v.text;
      }
      continue;
    }
    auto bad = [&](const std::string &what) {
      return Status::error("tensor " + quoted(name) + ": " + what);
    };
    const json::Value *dtype = value.find("dtype"), *shape = value.find("shape"),
                      *offsets = value.find("data_offsets");
    if (!value.isObject() || !dtype || !shape || !offsets)
      return bad("entry needs dtype, shape and data_offsets");
    SafetensorsEntry e;
    e.name = name;
    if (!dtype->isString() || !findDType(dtype->text))
      return bad("unknown dtype " + (dtype->isString() ? quoted(dtype->text) : "(not a string)"));
    e.dtype = dtype->text;
    if (!shape->isArray())
      return bad("shape is not an array");
    for (const json::Value &d : shape->items) {
      std::optional<uint64_t> dim = d.asUint64();
      if (!dim || *dim > static_cast<uint64_t>(INT64_MAX))
        return bad("shape has a dimension that is not a non-negative integer");
      e.shape.push_back(static_cast<int64_t>(*dim));
    }
    if (!offsets->isArray() || offsets->items.size() != 2 || !offsets->items[0].asUint64() ||
        !offsets->items[1].asUint64())
      return bad("data_offsets is not a pair of non-negative integers");
    e.begin = *offsets->items[0].asUint64();
    e.end = *offsets->items[1].asUint64();
    std::optional<uint64_t> bytes = tensorBytes(e.shape, findDType(e.dtype)->size);
    if (e.end < e.begin || !bytes || *bytes != e.end - e.begin)
      return bad("data_offsets [" + std::to_string(e.begin) + "," + std::to_string(e.end) +
                 "] do not hold " + e.dtype + " " + shapeToString(e.shape));
    header.entries.push_back(std::move(e));
  }

  // The byte ranges must tile the data section with no gap, overlap or extra bytes.
  std::sort(header.entries.begin(), header.entries.end(),
            [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t expected = 0;
  for (const SafetensorsEntry &e : header.entries) {
    if (e.begin != expected)
      return Status::error("tensor " + quoted(e.name) + ": data starts at " +
                           std::to_string(e.begin) + ", expected " + std::to_string(expected) +
                           " (gap or overlap)");
    expected = e.end;
  }
  uint64_t dataBytes = file.size() - header.dataStart;
  if (dataBytes != expected)
    return Status::error("data section has " + std::to_string(dataBytes) +
                         " bytes but the header describes " + std::to_string(expected) +
                         (dataBytes < expected ? " (truncated)" : " (trailing bytes)"));
  return header;
}

} // namespace ds::rt
