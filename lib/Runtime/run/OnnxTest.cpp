// The ONNX backend-test runner: compile with ds-opt, feed input_*.pb, compare output_*.pb.
#include "OnnxTest.h"

#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Exec/PlanReader.h"
#include "ds/Runtime/SelfCommunicator.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace ds::rt {

namespace {

struct HostTensor {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::vector<char> bytes;
};

std::vector<std::string> listDir(const std::string &dir, const std::string &prefix) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::string(e->d_name).rfind(prefix, 0) == 0)
        names.push_back(e->d_name);
    ::closedir(d);
  }
  // input_10 after input_9: order by the number, not the text.
  std::sort(names.begin(), names.end(), [&](const std::string &a, const std::string &b) {
    long na = std::atol(a.c_str() + prefix.size()), nb = std::atol(b.c_str() + prefix.size());
    return na != nb ? na < nb : a < b;
  });
  return names;
}

template <typename T> void appendValues(std::vector<char> &bytes, const T *values, int64_t n) {
  const char *raw = reinterpret_cast<const char *>(values);
  bytes.insert(bytes.end(), raw, raw + n * static_cast<int64_t>(sizeof(T)));
}

StatusOr<HostTensor> readTensor(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  onnx::TensorProto proto;
  if (!in || !proto.ParseFromString(data.str()))
    return Status::error(path + ": not an ONNX TensorProto");
  HostTensor t;
  t.name = proto.name();
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  int64_t n = numElements(t.shape);
  bool raw = proto.has_raw_data();
  const std::string &rawData = proto.raw_data();
  switch (proto.data_type()) {
  case onnx::TensorProto::FLOAT:
    t.dtype = DType::F32;
    if (!raw)
      appendValues(t.bytes, proto.float_data().data(), proto.float_data_size());
    break;
  case onnx::TensorProto::DOUBLE:
    t.dtype = DType::F64;
    if (!raw)
      appendValues(t.bytes, proto.double_data().data(), proto.double_data_size());
    break;
  case onnx::TensorProto::INT64:
    t.dtype = DType::I64;
    if (!raw)
      appendValues(t.bytes, proto.int64_data().data(), proto.int64_data_size());
    break;
  case onnx::TensorProto::INT32:
    t.dtype = DType::I32;
    if (!raw)
      appendValues(t.bytes, proto.int32_data().data(), proto.int32_data_size());
    break;
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::UINT8:
    t.dtype = DType::U8;
    if (!raw)
      for (int32_t v : proto.int32_data())
        t.bytes.push_back(static_cast<char>(v));
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    t.dtype = proto.data_type() == onnx::TensorProto::FLOAT16 ? DType::F16 : DType::BF16;
    if (!raw)
      for (int32_t v : proto.int32_data()) {
        uint16_t bits = static_cast<uint16_t>(v);
        appendValues(t.bytes, &bits, 1);
      }
    break;
  default:
    return Status::error(path + ": tensor '" + t.name + "' has ONNX element type " +
                         std::to_string(proto.data_type()) + ", which ds-run cannot feed");
  }
  if (raw)
    t.bytes.assign(rawData.begin(), rawData.end());
  if (static_cast<int64_t>(t.bytes.size()) != n * dtypeSize(t.dtype))
    return Status::error(path + ": tensor '" + t.name + "' holds " + std::to_string(t.bytes.size()) +
                         " bytes for shape " + shapeToString(t.shape));
  return t;
}

double elementAsDouble(const void *data, DType dtype, int64_t i) {
  switch (dtype) {
  case DType::F32: return static_cast<const float *>(data)[i];
  case DType::F64: return static_cast<const double *>(data)[i];
  case DType::F16: return toFloat(static_cast<const Half *>(data)[i]);
  case DType::BF16: return toFloat(static_cast<const BFloat16 *>(data)[i]);
  case DType::I64: return static_cast<double>(static_cast<const int64_t *>(data)[i]);
  case DType::I32: return static_cast<const int32_t *>(data)[i];
  case DType::U8: return static_cast<const uint8_t *>(data)[i];
  }
  return 0;
}

// Empty when `actual` matches; else what differs. `worst` gets the largest absolute error.
std::string compareTensor(const TensorView &actual, const HostTensor &expected,
                          OnnxTestTolerance tol, double &worst) {
  if (actual.shape != expected.shape)
    return "shape " + shapeToString(actual.shape) + ", expected " + shapeToString(expected.shape);
  if (actual.dtype != expected.dtype)
    return std::string("element type ") + dtypeName(actual.dtype) + ", expected " +
           dtypeName(expected.dtype);
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = elementAsDouble(actual.data, actual.dtype, i);
    double e = elementAsDouble(expected.bytes.data(), expected.dtype, i);
    if (std::isnan(e) && std::isnan(a))
      continue;
    double err = std::fabs(a - e);
    if (std::isinf(e) && a == e)
      err = 0;
    worst = std::max(worst, std::isnan(err) ? INFINITY : err);
    if (!(err <= tol.atol + tol.rtol * std::fabs(e))) {
      char text[160];
      std::snprintf(text, sizeof text, "element %lld is %.9g, expected %.9g (error %.3g)",
                    static_cast<long long>(i), a, e, err);
      return text;
    }
  }
  return "";
}

std::string selfDirectory() {
  char self[4096];
  ssize_t len = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0)
    return ".";
  self[len] = '\0';
  std::string path(self);
  return path.substr(0, path.rfind('/'));
}

std::string quoted(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

// Runs the test with MPI up; returns the verdict line's text after "PASS "/"FAIL ".
Status runCase(const std::string &dir, const plan::Plan &plan, OnnxTestTolerance tol,
               double &worst, int &sets) {
  std::unique_ptr<Communicator> world = createSelfCommunicator();
  ExecutorOptions options;
  DS_ASSIGN_OR_RETURN(executor, Executor::create(plan, *world, options));
  for (const std::string &set : listDir(dir, "test_data_set_")) {
    std::string setDir = dir + "/" + set;
    std::vector<std::string> inputs = listDir(setDir, "input_");
    if (static_cast<int>(inputs.size()) != plan.inputs_size())
      return Status::error(set + " has " + std::to_string(inputs.size()) + " inputs, the model " +
                           std::to_string(plan.inputs_size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      DS_ASSIGN_OR_RETURN(t, readTensor(setDir + "/" + inputs[i]));
      // Backend tests name their tensors after the graph inputs; old ones leave names empty.
      std::string name = t.name.empty() ? plan.inputs(i).name() : t.name;
      DS_RETURN_IF_ERROR(executor->setInput(name, t.dtype, t.shape, t.bytes.data()).withContext(set));
    }
    DS_RETURN_IF_ERROR(executor->runStep(0));
    std::vector<std::string> outputs = listDir(setDir, "output_");
    if (static_cast<int>(outputs.size()) != plan.outputs_size())
      return Status::error(set + " expects " + std::to_string(outputs.size()) +
                           " outputs, the model has " + std::to_string(plan.outputs_size()));
    for (size_t i = 0; i < outputs.size(); ++i) {
      DS_ASSIGN_OR_RETURN(expected, readTensor(setDir + "/" + outputs[i]));
      std::string name = expected.name.empty() ? plan.outputs(i).name() : expected.name;
      DS_ASSIGN_OR_RETURN(actual, executor->output(name));
      std::string mismatch = compareTensor(actual, expected, tol, worst);
      if (!mismatch.empty())
        return Status::error(set + ": output '" + name + "': " + mismatch);
    }
    ++sets;
  }
  if (sets == 0)
    return Status::error("no test_data_set_* directory");
  return Status::ok();
}

} // namespace

int runOnnxTest(const std::string &dirArg, OnnxTestTolerance tol) {
  std::string dir = dirArg;
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  char scratch[] = "/tmp/ds-onnx-test-XXXXXX";
  if (!::mkdtemp(scratch)) {
    std::printf("FAIL %s: cannot make a scratch directory\n", dir.c_str());
    return 1;
  }
  std::string planPath = std::string(scratch) + "/model.dsplan";
  std::string errPath = std::string(scratch) + "/ds-opt.err";
  const char *dsOptEnv = std::getenv("DS_OPT");
  std::string dsOpt = dsOptEnv ? dsOptEnv : selfDirectory() + "/ds-opt";
  std::string command = quoted(dsOpt) + " " + quoted(dir + "/model.onnx") + " -o " +
                        quoted(planPath) + " 2> " + quoted(errPath);
  int compiled = std::system(command.c_str());
  auto cleanup = [&] {
    std::remove(planPath.c_str());
    std::remove(errPath.c_str());
    ::rmdir(scratch);
  };
  if (compiled != 0) {
    std::string why = slurp(errPath);
    std::printf("FAIL %s: ds-opt could not compile it: %s\n", dir.c_str(),
                why.empty() ? "(no message)" : why.c_str());
    cleanup();
    return 1;
  }
  auto plan = readPlan(planPath);
  cleanup();
  if (!plan) {
    std::printf("FAIL %s: %s\n", dir.c_str(), plan.status().message().c_str());
    return 1;
  }
  double worst = 0;
  int sets = 0;
  Status status = runCase(dir, *plan, tol, worst, sets);
  if (!status.isOk()) {
    std::printf("FAIL %s: %s\n", dir.c_str(), status.message().c_str());
    return 1;
  }
  std::printf("PASS %s: %d data set(s), worst abs error %.3g\n", dir.c_str(), sets, worst);
  return 0;
}

} // namespace ds::rt
