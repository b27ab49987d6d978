// Embedding lookup (gather of table rows by i64 index) and its gradient (scatter-add into rows).
#ifndef DS_RUNTIME_KERNELS_CUDA_EMBEDDING_H
#define DS_RUNTIME_KERNELS_CUDA_EMBEDDING_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cstdint>

namespace ds::rt::cuda {

// out[q, :] = table[indices[q], :] for a table [vocab, dim] of `dtype` (f32 or bf16), as
// cpu::gather on axis 0. Negative indices count from the back; an index outside [-vocab, vocab)
// fills its output row with NaN.
Status embedding(DType dtype, const void *table, const int64_t *indices, int64_t numIndices,
                 int64_t vocab, int64_t dim, void *out, void *stream);

// dtable [vocab, dim] f32 = 0, then dtable[indices[q], :] += dy[q, :] (dy of `dtype`), as
// cpu::gatherGrad on axis 0; out-of-range indices are skipped.
// Accumulation uses f32 atomicAdd, so when an index repeats the order of its additions varies
// from run to run: rows hit more than once may differ in their last bits between runs (rows hit
// once are exact). The CPU kernel sums in index order in double and is deterministic.
Status embeddingGrad(DType dtype, const int64_t *indices, const void *dy, int64_t numIndices,
                     int64_t vocab, int64_t dim, float *dtable, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_EMBEDDING_H
