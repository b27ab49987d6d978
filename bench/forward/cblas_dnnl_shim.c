/* cblas_sgemm implemented with oneDNN's dnnl_sgemm, for LD_PRELOAD into ds-run: the whole forward
 * pass with oneDNN as the GEMM library and no change to the runtime. oneDNN (Debian's build) runs on
 * OpenMP, the same thread pool as ds-run's own kernels, while OpenBLAS (Debian's pthread build)
 * keeps a second pool; this shows what the swap is worth on the real workload.
 *
 *   cc -O2 -shared -fPIC cblas_dnnl_shim.c -o libcblas_dnnl_shim.so -ldnnl
 *   LD_PRELOAD=$PWD/libcblas_dnnl_shim.so ds-run model.dsplan ...
 *
 * Only cblas_sgemm is replaced (the one BLAS call ds-run makes). Declared here rather than through
 * cblas.h so that the shim does not depend on which CBLAS header is installed. */
#include <oneapi/dnnl/dnnl.h>

#include <stdio.h>
#include <stdlib.h>

enum { RowMajor = 101, ColMajor = 102, NoTrans = 111, Trans = 112, ConjTrans = 113 };

void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  char ta = transA == NoTrans ? 'N' : 'T', tb = transB == NoTrans ? 'N' : 'T';
  dnnl_status_t status;
  if (order == RowMajor)
    status = dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else /* column-major C = op(A) op(B) is row-major C^T = op(B)^T op(A)^T */
    status = dnnl_sgemm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
  if (status != dnnl_success) {
    fprintf(stderr, "cblas_dnnl_shim: dnnl_sgemm failed with status %d\n", (int)status);
    abort();
  }
}
