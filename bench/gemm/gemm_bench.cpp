// fp32 GEMM throughput of one CPU library on the shapes of bench/gemm/shapes.txt, so that ds can
// pick its CPU GEMM library by measurement (DESIGN.md: "oneDNN or OpenBLAS; pick by measurement").
//
//   gemm_bench --lib LIB [--shapes FILE] [--threads N] [--min-time S] [--max-reps R]
//
// LIB is one of
//   openblas            cblas_sgemm; a batch is a loop of threaded sgemm calls (ds-run today)
//   openblas_ompbatch   batched shapes only: OpenMP over the batch, single-threaded sgemm each
//   dnnl_sgemm          oneDNN's BLAS-like dnnl_sgemm; a batch is a loop of calls
//   dnnl_matmul         oneDNN's matmul primitive on plain row-major operands, batch in one call
//   dnnl_matmul_packed  single GEMMs only: the matmul primitive with B (the weight) reordered once,
//                       untimed, into the layout the primitive prefers; the reorder's own time is
//                       printed in the impl column, since in training it recurs every step
//
// One library per process, so that only that library's thread pool is awake while it is timed.
// Prints one CSV line per (shape, form): lib,shape,form,batch,m,n,k,reps,median_s,gflops,max_rel_err,impl
// where max_rel_err compares against a float64 reference on a few sampled output entries.
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Shape {
  std::string name;
  long batch, m, n, k;
};

struct Options {
  std::string lib;
  std::string shapesPath = "shapes.txt";
  int threads = 0;
  double minTime = 0.3;
  int maxReps = 200;
};

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "gemm_bench: %s\n", msg.c_str());
  std::exit(1);
}

#define DNNL_CHECK(call)                                                                           \
  do {                                                                                             \
    dnnl_status_t s_ = (call);                                                                     \
    if (s_ != dnnl_success)                                                                        \
      die(std::string(#call) + " failed with status " + std::to_string(int(s_)));                  \
  } while (0)

std::vector<Shape> readShapes(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    die("cannot open shapes file " + path);
  std::vector<Shape> shapes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream ls(line);
    Shape s;
    if (!(ls >> s.name >> s.batch >> s.m >> s.n >> s.k))
      die("bad line in " + path + ": '" + line + "'");
    shapes.push_back(s);
  }
  return shapes;
}

Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--lib")
      o.lib = value();
    else if (a == "--shapes")
      o.shapesPath = value();
    else if (a == "--threads")
      o.threads = std::atoi(value().c_str());
    else if (a == "--min-time")
      o.minTime = std::atof(value().c_str());
    else if (a == "--max-reps")
      o.maxReps = std::atoi(value().c_str());
    else
      die("unknown option " + a);
  }
  if (o.lib != "openblas" && o.lib != "openblas_ompbatch" && o.lib != "dnnl_sgemm" &&
      o.lib != "dnnl_matmul" && o.lib != "dnnl_matmul_packed")
    die("--lib must be openblas, openblas_ompbatch, dnnl_sgemm, dnnl_matmul or "
        "dnnl_matmul_packed");
  return o;
}

// 64-byte aligned floats, as ds-run's allocator hands out (and as PyTorch's tensors are).
class AlignedBuffer {
public:
  explicit AlignedBuffer(long n)
      : n_(n), p_(static_cast<float *>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64))) {
    if (!p_)
      die("out of memory");
  }
  ~AlignedBuffer() { std::free(p_); }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  float *data() { return p_; }
  const float *data() const { return p_; }
  float *begin() { return p_; }
  float *end() { return p_ + n_; }

private:
  long n_;
  float *p_;
};

// Median seconds of one call, after a warm-up of at least 2 calls and 0.1 s (thread pools awake,
// caches and page tables warm); then at least 5 timed calls and minTime seconds in all.
double timeMedian(const std::function<void()> &call, const Options &o, int &repsOut) {
  auto w0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2 || (std::chrono::steady_clock::now() - w0 < std::chrono::milliseconds(100) &&
                            i < o.maxReps);
       ++i)
    call();
  std::vector<double> times;
  double total = 0;
  while ((times.size() < 5 || total < o.minTime) && int(times.size()) < o.maxReps) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    auto t1 = std::chrono::steady_clock::now();
    double dt = std::chrono::duration<double>(t1 - t0).count();
    times.push_back(dt);
    total += dt;
  }
  repsOut = int(times.size());
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  return n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

// Max relative error of a few sampled entries of C against a float64 dot product.
double sampledError(const Shape &s, bool transB, const float *a, const float *b, const float *c) {
  std::mt19937 gen(7);
  double worst = 0;
  for (int t = 0; t < 64; ++t) {
    long bi = gen() % s.batch, i = gen() % s.m, j = gen() % s.n;
    const float *A = a + bi * s.m * s.k, *B = b + bi * s.k * s.n;
    double ref = 0, mag = 0;
    for (long p = 0; p < s.k; ++p) {
      double bv = transB ? B[j * s.k + p] : B[p * s.n + j];
      ref += double(A[i * s.k + p]) * bv;
      mag += std::fabs(double(A[i * s.k + p]) * bv);
    }
    double got = c[bi * s.m * s.n + i * s.n + j];
    worst = std::max(worst, std::fabs(got - ref) / std::max(mag, 1e-30));
  }
  return worst;
}

// A oneDNN matmul primitive for one (shape, form), created once and executed many times (as a
// runtime that caches primitives per plan instruction would).
struct DnnlMatmul {
  dnnl_primitive_t prim = nullptr;
  dnnl_memory_t src = nullptr, wei = nullptr, dst = nullptr;
  std::string impl;

  DnnlMatmul(dnnl_engine_t engine, dnnl_stream_t stream, const Shape &s, bool transB, bool packB,
             float *a, float *b, float *c) {
    const bool batched = s.batch > 1;
    const int nd = batched ? 3 : 2;
    dnnl_dims_t aDims, aStr, bDims, bStr, cDims, cStr;
    if (batched) {
      long ad[3] = {s.batch, s.m, s.k}, as[3] = {s.m * s.k, s.k, 1};
      long bd[3] = {s.batch, s.k, s.n};
      long bs[3] = {s.k * s.n, transB ? 1 : s.n, transB ? s.k : 1};
      long cd[3] = {s.batch, s.m, s.n}, cs[3] = {s.m * s.n, s.n, 1};
      for (int i = 0; i < 3; ++i) {
        aDims[i] = ad[i], aStr[i] = as[i], bDims[i] = bd[i], bStr[i] = bs[i];
        cDims[i] = cd[i], cStr[i] = cs[i];
      }
    } else {
      long ad[2] = {s.m, s.k}, as[2] = {s.k, 1};
      long bd[2] = {s.k, s.n}, bs[2] = {transB ? 1 : s.n, transB ? s.k : 1};
      long cd[2] = {s.m, s.n}, cs[2] = {s.n, 1};
      for (int i = 0; i < 2; ++i) {
        aDims[i] = ad[i], aStr[i] = as[i], bDims[i] = bd[i], bStr[i] = bs[i];
        cDims[i] = cd[i], cStr[i] = cs[i];
      }
    }
    dnnl_memory_desc_t aMd, bMd, cMd;
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(&aMd, nd, aDims, dnnl_f32, aStr));
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(&bMd, nd, bDims, dnnl_f32, bStr));
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(&cMd, nd, cDims, dnnl_f32, cStr));
    dnnl_memory_desc_t bAnyMd;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&bAnyMd, nd, bDims, dnnl_f32, dnnl_format_tag_any));
    dnnl_matmul_desc_t desc;
    DNNL_CHECK(dnnl_matmul_desc_init(&desc, &aMd, packB ? &bAnyMd : &bMd, nullptr, &cMd));
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &desc, nullptr, engine, nullptr));
    const char *info = nullptr;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info) == dnnl_success && info)
      impl = info;
    DNNL_CHECK(dnnl_primitive_create(&prim, pd));
    DNNL_CHECK(dnnl_memory_create(&src, &aMd, engine, a));
    DNNL_CHECK(dnnl_memory_create(&dst, &cMd, engine, c));
    if (!packB) {
      DNNL_CHECK(dnnl_memory_create(&wei, &bMd, engine, b));
    } else {
      const dnnl_memory_desc_t *packedMd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
      dnnl_memory_t user;
      DNNL_CHECK(dnnl_memory_create(&user, &bMd, engine, b));
      DNNL_CHECK(dnnl_memory_create(&wei, packedMd, engine, DNNL_MEMORY_ALLOCATE));
      dnnl_primitive_desc_t rpd;
      dnnl_primitive_t reorder;
      DNNL_CHECK(dnnl_reorder_primitive_desc_create(&rpd, &bMd, engine, packedMd, engine, nullptr));
      DNNL_CHECK(dnnl_primitive_create(&reorder, rpd));
      dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, wei}};
      std::vector<double> times;
      for (int i = 0; i < 7; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        DNNL_CHECK(dnnl_primitive_execute(reorder, stream, 2, args));
        DNNL_CHECK(dnnl_stream_wait(stream));
        times.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(times.begin(), times.end());
      char buf[64];
      std::snprintf(buf, sizeof buf, " +reorder %.3f ms", times[times.size() / 2] * 1e3);
      impl += buf;
      dnnl_primitive_destroy(reorder);
      dnnl_primitive_desc_destroy(rpd);
      dnnl_memory_destroy(user);
    }
    DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
  }
  ~DnnlMatmul() {
    dnnl_memory_destroy(src);
    dnnl_memory_destroy(wei);
    dnnl_memory_destroy(dst);
    dnnl_primitive_destroy(prim);
  }
  void run(dnnl_stream_t stream) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    DNNL_CHECK(dnnl_primitive_execute(prim, stream, 3, args));
    DNNL_CHECK(dnnl_stream_wait(stream));
  }
};

const char *isaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
  case dnnl_cpu_isa_avx2: return "avx2";
  case dnnl_cpu_isa_avx512_core: return "avx512_core";
  case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
  case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
  default: return "other";
  }
}

} // namespace

int main(int argc, char **argv) {
  Options o = parseOptions(argc, argv);
  if (o.threads <= 0)
    o.threads = omp_get_max_threads();
  // OpenBLAS (pthread build) keeps its own pool; oneDNN (OpenMP runtime) follows OpenMP's.
  openblas_set_num_threads(o.lib == "openblas_ompbatch" ? 1 : o.threads);
  omp_set_num_threads(o.threads);
  std::vector<Shape> shapes = readShapes(o.shapesPath);

  dnnl_engine_t engine = nullptr;
  dnnl_stream_t stream = nullptr;
  std::string libInfo;
  if (o.lib.rfind("openblas", 0) == 0) {
    libInfo = std::string(openblas_get_config()) + " core=" + openblas_get_corename();
  } else {
    DNNL_CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    libInfo = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
              std::to_string(v->patch) + " isa=" + isaName(dnnl_get_effective_cpu_isa());
  }
  std::printf("# %s threads=%d\n", libInfo.c_str(), o.threads);
  std::printf("lib,shape,form,batch,m,n,k,reps,median_s,gflops,max_rel_err,impl\n");
  std::fflush(stdout);

  std::mt19937 gen(1234);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const Shape &s : shapes) {
    if ((o.lib == "openblas_ompbatch" && s.batch == 1) ||
        (o.lib == "dnnl_matmul_packed" && s.batch > 1))
      continue;
    AlignedBuffer a(s.batch * s.m * s.k), b(s.batch * s.k * s.n), c(s.batch * s.m * s.n);
    for (float &x : a)
      x = dist(gen);
    for (float &x : b)
      x = dist(gen);
    for (bool transB : {false, true}) {
      std::fill(c.begin(), c.end(), 0.0f);
      const int m = int(s.m), n = int(s.n), k = int(s.k);
      const int ldb = transB ? k : n;
      std::function<void()> call;
      std::string impl;
      std::unique_ptr<DnnlMatmul> prim;
      if (o.lib == "openblas") {
        impl = "cblas_sgemm";
        call = [&] {
          for (long bi = 0; bi < s.batch; ++bi)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                        1.0f, a.data() + bi * s.m * s.k, k, b.data() + bi * s.k * s.n, ldb, 0.0f,
                        c.data() + bi * s.m * s.n, n);
        };
      } else if (o.lib == "openblas_ompbatch") {
        impl = "cblas_sgemm in omp for";
        call = [&] {
#pragma omp parallel for schedule(static)
          for (long bi = 0; bi < s.batch; ++bi)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                        1.0f, a.data() + bi * s.m * s.k, k, b.data() + bi * s.k * s.n, ldb, 0.0f,
                        c.data() + bi * s.m * s.n, n);
        };
      } else if (o.lib == "dnnl_sgemm") {
        impl = "dnnl_sgemm";
        call = [&] {
          for (long bi = 0; bi < s.batch; ++bi)
            DNNL_CHECK(dnnl_sgemm('N', transB ? 'T' : 'N', m, n, k, 1.0f,
                                  a.data() + bi * s.m * s.k, k, b.data() + bi * s.k * s.n, ldb,
                                  0.0f, c.data() + bi * s.m * s.n, n));
        };
      } else {
        prim = std::make_unique<DnnlMatmul>(engine, stream, s, transB, o.lib == "dnnl_matmul_packed",
                                            a.data(), b.data(), c.data());
        impl = prim->impl;
        call = [&] { prim->run(stream); };
      }
      int reps = 0;
      double t = timeMedian(call, o, reps);
      double flops = 2.0 * double(s.batch) * double(s.m) * double(s.n) * double(s.k);
      double err = sampledError(s, transB, a.data(), b.data(), c.data());
      std::printf("%s,%s,%s,%ld,%ld,%ld,%ld,%d,%.6e,%.2f,%.2e,%s\n", o.lib.c_str(),
                  s.name.c_str(), transB ? "NT" : "NN", s.batch, s.m, s.n, s.k, reps, t,
                  flops / t * 1e-9, err, impl.c_str());
      std::fflush(stdout);
    }
  }
  if (stream)
    dnnl_stream_destroy(stream);
  if (engine)
    dnnl_engine_destroy(engine);
  return 0;
}
