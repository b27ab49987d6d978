// .npy format 1.0: magic, version, header length, a Python dict literal, then raw data.
#include "ds/Runtime/Exec/Npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ds::rt {

namespace {
const char kMagic[] = "\x93NUMPY";

const char *descrOf(DType dtype) {
  switch (dtype) {
  case DType::F32: return "<f4";
  case DType::F64: return "<f8";
  case DType::F16: return "<f2";
  case DType::I64: return "<i8";
  case DType::I32: return "<i4";
  case DType::U8: return "|u1";
  case DType::BF16: return nullptr; // numpy has no bfloat16
  }
  return nullptr;
}

bool dtypeOfDescr(const std::string &descr, DType &out) {
  static const std::pair<const char *, DType> table[] = {
      {"<f4", DType::F32}, {"<f8", DType::F64}, {"<f2", DType::F16}, {"<i8", DType::I64},
      {"<i4", DType::I32}, {"|u1", DType::U8},  {"|b1", DType::U8}};
  for (auto &[name, dtype] : table)
    if (descr == name) {
      out = dtype;
      return true;
    }
  return false;
}

// The value of 'key' in the header dict, as the raw text up to the next top-level comma.
std::string headerField(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return "";
  at = header.find(':', at);
  if (at == std::string::npos)
    return "";
  size_t end = at + 1;
  int depth = 0;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' && depth == 0) || c == '}')
      break;
  }
  std::string value = header.substr(at + 1, end - at - 1);
  size_t b = value.find_first_not_of(" '");
  size_t e = value.find_last_not_of(" '");
  return b == std::string::npos ? "" : value.substr(b, e - b + 1);
}
} // namespace

StatusOr<NpyArray> readNpy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(path + ": cannot open");
  char magic[6];
  unsigned char version[2];
  in.read(magic, 6);
  in.read(reinterpret_cast<char *>(version), 2);
  if (!in || std::memcmp(magic, kMagic, 6) != 0)
    return Status::error(path + ": not a .npy file");
  uint32_t headerLen = 0;
  if (version[0] == 1) {
    unsigned char len[2];
    in.read(reinterpret_cast<char *>(len), 2);
    headerLen = len[0] | (len[1] << 8);
  } else {
    unsigned char len[4];
    in.read(reinterpret_cast<char *>(len), 4);
    headerLen = len[0] | (len[1] << 8) | (len[2] << 16) | (uint32_t(len[3]) << 24);
  }
  std::string header(headerLen, '\0');
  in.read(header.data(), headerLen);
  if (!in)
    return Status::error(path + ": truncated header");
  NpyArray array;
  std::string descr = headerField(header, "descr");
  if (!dtypeOfDescr(descr, array.dtype))
    return Status::error(path + ": unsupported dtype '" + descr + "'");
  if (headerField(header, "fortran_order") != "False")
    return Status::error(path + ": Fortran-ordered arrays are not supported");
  std::string shapeText = headerField(header, "shape");
  std::stringstream ss(shapeText);
  char c;
  ss >> c; // '('
  int64_t dim;
  while (ss >> dim) {
    array.shape.push_back(dim);
    ss >> c; // ',' or ')'
  }
  int64_t bytes = numElements(array.shape) * dtypeSize(array.dtype);
  array.data.resize(static_cast<size_t>(bytes));
  in.read(array.data.data(), bytes);
  if (in.gcount() != bytes)
    return Status::error(path + ": expected " + std::to_string(bytes) + " bytes of data for shape " +
                         shapeToString(array.shape));
  return array;
}

Status writeNpy(const std::string &path, DType dtype, const Shape &shape, const void *data) {
  const char *descr = descrOf(dtype);
  if (!descr)
    return Status::error(path + ": cannot write " + std::string(dtypeName(dtype)) + " as .npy");
  std::string shapeText = "(";
  for (int64_t d : shape)
    shapeText += std::to_string(d) + ", ";
  if (shape.size() > 1)
    shapeText.resize(shapeText.size() - 2);
  else if (shape.size() == 1)
    shapeText.resize(shapeText.size() - 1);
  shapeText += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shapeText + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out)
    return Status::error(path + ": cannot write");
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  uint16_t len = static_cast<uint16_t>(header.size());
  const char lenBytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(lenBytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char *>(data), numElements(shape) * dtypeSize(dtype));
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::error(path + ": write failed");
  return Status::ok();
}

} // namespace ds::rt
