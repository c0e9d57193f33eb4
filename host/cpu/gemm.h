// The one matrix multiply of the CPU backend: single-precision, row-major, with transposes,
// alpha and beta (C = alpha op(A) op(B) + beta C). Every op that multiplies matrices goes through
// sgemm(); it calls OpenBLAS when hep2 was built with it, otherwise hep2's own blocked kernel.
// sgemm_fallback() is that own kernel, exposed so tests cover it even where OpenBLAS is present.
#pragma once

namespace hep2::cpu {

enum class Op { N, T };  // use the matrix as stored, or its transpose

// op(A) is m x k, op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides of the matrices as
// stored. beta == 0 overwrites C without reading it (NaNs in C do not survive), as BLAS does.
void sgemm(Op trans_a, Op trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);
void sgemm_fallback(Op trans_a, Op trans_b, int m, int n, int k, float alpha, const float* a,
                    int lda, const float* b, int ldb, float beta, float* c, int ldc);

// True when sgemm() runs OpenBLAS.
bool sgemm_uses_openblas();
// The backend parallelises over images itself; BLAS must stay on one thread per call or the two
// kinds of threads fight for the same cores.
void blas_use_one_thread();

}  // namespace hep2::cpu
