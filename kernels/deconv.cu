// Transposed convolution kernels. Index relation (per spatial axis): the input pixel i and the
// tap k feed the output pixel o = i * stride - pad + k.
//
//  forward         one thread per output pixel and a tile of CO_T output channels; it visits only
//                  the taps k with (o + pad - k) divisible by the stride (a 4x4 stride-2 layer
//                  touches 2x2 of its 16 taps per pixel). The weights of a chunk of input channels
//                  for the block's output tile sit in shared memory. Bias + ReLU fused.
//  backward-data   the same shape of kernel, gathering dy over o = i * stride - pad + k: it is an
//                  ordinary strided convolution of dy.
//  backward-filter a GEMM, dw[ci, (co, ky, kx)] = sum over (n, iy, ix) of x[n, ci, iy, ix] times
//                  dy[n, co, oy, ox], with dy gathered on the fly; 32x64 tiles of dw, the long sum
//                  split over blocks into scratch partials that one more kernel adds in a fixed
//                  order (deterministic: no atomics).
// Each thread owns its outputs and sums them in a fixed order, so results repeat bit for bit.
#include "deconv.cuh"

#include <climits>

#include "cuda/check.h"
#include "hep2/core/error.h"
#include "hep2/core/math.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

struct Dims {
  int n, ci, h, w;  // input
  int co, kh, kw;   // output channels, kernel
  int stride, pad;
  int ho, wo;       // output
};

Dims dims_of(const ConvGeom& g) {
  Dims d;
  d.n = g.n, d.ci = g.c_in, d.h = g.h, d.w = g.w;
  d.co = g.c_out, d.kh = g.k_h, d.kw = g.k_w;
  d.stride = g.stride, d.pad = g.pad;
  d.ho = g.deconv_out_h(), d.wo = g.deconv_out_w();
  return d;
}

// Rejects what the kernels cannot compute, with the geometry in the message.
void check_geometry(const ConvGeom& g, const char* op) {
  // An empty batch is refused, as by the CPU backend.
  if (g.n <= 0 || g.c_in <= 0 || g.h <= 0 || g.w <= 0 || g.c_out <= 0 || g.k_h <= 0 || g.k_w <= 0 ||
      g.stride <= 0 || g.pad < 0 || g.deconv_out_h() <= 0 || g.deconv_out_w() <= 0)
    fail(op, ": invalid transposed-convolution geometry: input ", g.n, "x", g.c_in, "x", g.h, "x",
         g.w, ", ", g.c_out, " outputs, kernel ", g.k_h, "x", g.k_w, ", stride ", g.stride,
         ", pad ", g.pad, " (output ", g.deconv_out_h(), "x", g.deconv_out_w(), ")");
  size_t in = g.input().count(), out = g.deconv_output().count();
  if (in > size_t(INT_MAX) || out > size_t(INT_MAX))
    fail(op, ": tensors of more than 2^31 elements are not supported (input ", in, ", output ", out,
         "); use a smaller batch");
}

// Shared memory for staged weights: 32 KiB, below the 48 KiB available without opt-in.
constexpr int kStagedFloats = 8192;
constexpr int kMaxStagedFloats = 48 * 1024 / 4;

// Channels per shared-memory stage when each stages `tile * taps` weights.
int stage_channels(int channels, int tile, int taps, const char* op) {
  if (tile * taps > kMaxStagedFloats)
    fail(op, ": kernel of ", taps,
         " taps is too large for the hand-written transposed convolution");
  int fit = kStagedFloats / (tile * taps);
  if (fit < 1) fit = 1;
  return fit < channels ? fit : channels;
}

// ---- forward ---------------------------------------------------------------------------------

template <int CO_T>
__global__ void __launch_bounds__(kThreads)
    deconv_forward_kernel(Dims d, int ci_stage, const float* __restrict__ x,
                          const float* __restrict__ w, const float* __restrict__ bias, bool relu,
                          float* __restrict__ y) {
  HEP2_DYNAMIC_SHARED(float, staged_w);  // [ci in stage][CO_T][taps]
  const int taps = d.kh * d.kw;
  const int out_plane = d.ho * d.wo;
  const int pix_blocks = (out_plane + kThreads - 1) / kThreads;
  const int co_tiles = (d.co + CO_T - 1) / CO_T;
  int b = blockIdx.x;
  const int pix_block = b % pix_blocks;
  b /= pix_blocks;
  const int co0 = (b % co_tiles) * CO_T;
  const int image = b / co_tiles;

  const int pix = pix_block * kThreads + threadIdx.x;
  const bool active = pix < out_plane;  // inactive threads still help stage and meet barriers
  const int oy = active ? pix / d.wo : 0;
  const int ox = active ? pix % d.wo : 0;
  // First tap whose (o + pad - k) is a multiple of the stride; the next ones are stride apart.
  const int ky_first = (oy + d.pad) % d.stride;
  const int kx_first = (ox + d.pad) % d.stride;
  const size_t in_plane = size_t(d.h) * d.w;

  float acc[CO_T];
#pragma unroll
  for (int j = 0; j < CO_T; ++j) acc[j] = 0.f;

  for (int ci0 = 0; ci0 < d.ci; ci0 += ci_stage) {
    const int stage = min(ci_stage, d.ci - ci0);
    __syncthreads();  // the previous stage's readers are done
    for (int e = threadIdx.x; e < stage * CO_T * taps; e += blockDim.x) {
      int k = e % taps, rest = e / taps;
      int j = rest % CO_T, c = rest / CO_T;
      int co = co0 + j;
      staged_w[e] = co < d.co ? w[(size_t(ci0 + c) * d.co + co) * taps + k] : 0.f;
    }
    __syncthreads();
    if (!active) continue;
    for (int ky = ky_first; ky < d.kh; ky += d.stride) {
      int ty = oy + d.pad - ky;
      if (ty < 0) break;  // ty only decreases with ky
      int iy = ty / d.stride;
      if (iy >= d.h) continue;
      for (int kx = kx_first; kx < d.kw; kx += d.stride) {
        int tx = ox + d.pad - kx;
        if (tx < 0) break;
        int ix = tx / d.stride;
        if (ix >= d.w) continue;
        const float* xp = x + (size_t(image) * d.ci + ci0) * in_plane + size_t(iy) * d.w + ix;
        const float* wp = staged_w + ky * d.kw + kx;
        for (int c = 0; c < stage; ++c) {
          float xv = xp[size_t(c) * in_plane];
#pragma unroll
          for (int j = 0; j < CO_T; ++j) acc[j] += xv * wp[(c * CO_T + j) * taps];
        }
      }
    }
  }
  if (!active) return;
#pragma unroll
  for (int j = 0; j < CO_T; ++j) {
    int co = co0 + j;
    if (co < d.co) {
      float v = acc[j] + (bias ? bias[co] : 0.f);
      if (relu) v = math::relu(v);
      y[(size_t(image) * d.co + co) * out_plane + size_t(oy) * d.wo + ox] = v;
    }
  }
}

template <int CO_T>
void launch_forward(cudaStream_t stream, const Dims& d, const float* x, const float* w,
                    const float* b, bool relu, float* y) {
  const int taps = d.kh * d.kw;
  int ci_stage = stage_channels(d.ci, CO_T, taps, "deconv2d_forward");
  size_t shared = size_t(ci_stage) * CO_T * taps * sizeof(float);
  size_t pix_blocks = (size_t(d.ho) * d.wo + kThreads - 1) / kThreads;
  size_t blocks = size_t(d.n) * ((d.co + CO_T - 1) / CO_T) * pix_blocks;
  if (blocks > size_t(INT_MAX)) fail("deconv2d_forward: grid too large; use a smaller batch");
  launch("deconv2d_forward", unsigned(blocks), kThreads, shared, stream,
         deconv_forward_kernel<CO_T>, d, ci_stage, x, w, b, relu, y);
}

// ---- backward data ----------------------------------------------------------------------------

template <int CI_T>
__global__ void __launch_bounds__(kThreads)
    deconv_backward_data_kernel(Dims d, int co_stage, const float* __restrict__ dy,
                                const float* __restrict__ w, float* __restrict__ dx) {
  HEP2_DYNAMIC_SHARED(float, staged_w);  // [CI_T][co in stage][taps]
  const int taps = d.kh * d.kw;
  const int in_plane = d.h * d.w;
  const size_t out_plane = size_t(d.ho) * d.wo;
  const int pix_blocks = (in_plane + kThreads - 1) / kThreads;
  const int ci_tiles = (d.ci + CI_T - 1) / CI_T;
  int b = blockIdx.x;
  const int pix_block = b % pix_blocks;
  b /= pix_blocks;
  const int ci0 = (b % ci_tiles) * CI_T;
  const int image = b / ci_tiles;

  const int pix = pix_block * kThreads + threadIdx.x;
  const bool active = pix < in_plane;
  const int iy = active ? pix / d.w : 0;
  const int ix = active ? pix % d.w : 0;

  float acc[CI_T];
#pragma unroll
  for (int j = 0; j < CI_T; ++j) acc[j] = 0.f;

  for (int co0 = 0; co0 < d.co; co0 += co_stage) {
    const int stage = min(co_stage, d.co - co0);
    __syncthreads();
    for (int e = threadIdx.x; e < CI_T * stage * taps; e += blockDim.x) {
      int k = e % taps, rest = e / taps;
      int c = rest % stage, j = rest / stage;
      int ci = ci0 + j;
      staged_w[e] = ci < d.ci ? w[(size_t(ci) * d.co + co0 + c) * taps + k] : 0.f;
    }
    __syncthreads();
    if (!active) continue;
    for (int ky = 0; ky < d.kh; ++ky) {
      int oy = iy * d.stride - d.pad + ky;
      if (oy < 0) continue;
      if (oy >= d.ho) break;
      for (int kx = 0; kx < d.kw; ++kx) {
        int ox = ix * d.stride - d.pad + kx;
        if (ox < 0) continue;
        if (ox >= d.wo) break;
        const float* dyp = dy + (size_t(image) * d.co + co0) * out_plane + size_t(oy) * d.wo + ox;
        const float* wp = staged_w + ky * d.kw + kx;
        for (int c = 0; c < stage; ++c) {
          float g = dyp[size_t(c) * out_plane];
#pragma unroll
          for (int j = 0; j < CI_T; ++j) acc[j] += g * wp[(j * stage + c) * taps];
        }
      }
    }
  }
  if (!active) return;
#pragma unroll
  for (int j = 0; j < CI_T; ++j) {
    int ci = ci0 + j;
    if (ci < d.ci) dx[(size_t(image) * d.ci + ci) * in_plane + pix] = acc[j];
  }
}

template <int CI_T>
void launch_backward_data(cudaStream_t stream, const Dims& d, const float* dy, const float* w,
                          float* dx) {
  const int taps = d.kh * d.kw;
  int co_stage = stage_channels(d.co, CI_T, taps, "deconv2d_backward_data");
  size_t shared = size_t(CI_T) * co_stage * taps * sizeof(float);
  size_t pix_blocks = (size_t(d.h) * d.w + kThreads - 1) / kThreads;
  size_t blocks = size_t(d.n) * ((d.ci + CI_T - 1) / CI_T) * pix_blocks;
  if (blocks > size_t(INT_MAX)) fail("deconv2d_backward_data: grid too large; use a smaller batch");
  launch("deconv2d_backward_data", unsigned(blocks), kThreads, shared, stream,
         deconv_backward_data_kernel<CI_T>, d, co_stage, dy, w, dx);
}

// ---- backward filter ----------------------------------------------------------------------------

constexpr int kTileM = 32;  // input channels per tile
constexpr int kTileN = 64;  // (output channel, tap) columns per tile
constexpr int kTileK = 16;  // (image, iy, ix) positions per shared-memory step
constexpr int kMinKPerSplit = 512;
constexpr int kTargetBlocks = 512;

struct FilterSplit {
  int m_tiles, n_tiles, k_per_split, splits;
};

// How the sum over K = n*h*w is cut: enough blocks to fill a large GPU, each still summing at
// least kMinKPerSplit positions. Depends on the geometry only, so the bits do not change between
// runs or devices.
FilterSplit filter_split(const ConvGeom& g) {
  FilterSplit s{};
  const int n_cols = g.c_out * g.k_h * g.k_w;
  const long long k_total = (long long)g.n * g.h * g.w;
  s.m_tiles = (g.c_in + kTileM - 1) / kTileM;
  s.n_tiles = (n_cols + kTileN - 1) / kTileN;
  long long tiles = (long long)s.m_tiles * s.n_tiles;
  long long by_work = (k_total + kMinKPerSplit - 1) / kMinKPerSplit;
  long long by_blocks = (kTargetBlocks + tiles - 1) / tiles;
  long long want = by_work < by_blocks ? by_work : by_blocks;
  if (want < 1) want = 1;
  long long per = (k_total + want - 1) / want;
  per = (per + kTileK - 1) / kTileK * kTileK;
  if (per < kTileK) per = kTileK;
  s.k_per_split = int(per);
  s.splits = int((k_total + per - 1) / per);
  if (s.splits < 1) s.splits = 1;
  return s;
}

__global__ void __launch_bounds__(kThreads)
    deconv_backward_filter_kernel(Dims d, int k_per_split, const float* __restrict__ x,
                                  const float* __restrict__ dy, float* __restrict__ out) {
  // +1 column: the staging writes walk down a column of As, which would hit one bank 16 times.
  __shared__ float As[kTileK][kTileM + 1];
  __shared__ float Bs[kTileK][kTileN];
  const int taps = d.kh * d.kw;
  const int n_cols = d.co * taps;
  const int in_plane = d.h * d.w;
  const int k_total = d.n * in_plane;
  const int m_tiles = (d.ci + kTileM - 1) / kTileM;
  const int m0 = (blockIdx.x % m_tiles) * kTileM;
  const int n0 = (blockIdx.x / m_tiles) * kTileN;
  const int split = blockIdx.y;
  const int k_begin = split * k_per_split;
  const int k_end = min(k_total, k_begin + k_per_split);

  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  // This thread's outputs: rows ty + 16 r, columns tx + 16 c (conflict-free shared reads).
  float acc[2][4];
#pragma unroll
  for (int r = 0; r < 2; ++r)
#pragma unroll
    for (int c = 0; c < 4; ++c) acc[r][c] = 0.f;

  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    // x tile: 16 consecutive threads read 16 consecutive positions of one channel.
#pragma unroll
    for (int q = 0; q < (kTileK * kTileM) / kThreads; ++q) {
      int e = threadIdx.x + q * kThreads;
      int kl = e % kTileK, ml = e / kTileK;
      int k = k0 + kl, ci = m0 + ml;
      float v = 0.f;
      if (k < k_end && ci < d.ci) {
        int image = k / in_plane, r = k % in_plane;
        v = x[(size_t(image) * d.ci + ci) * in_plane + r];
      }
      As[kl][ml] = v;
    }
    // dy tile, gathered: column (co, ky, kx) of position (image, iy, ix) is dy at
    // (oy, ox) = (iy * stride - pad + ky, ix * stride - pad + kx), zero outside the output.
#pragma unroll
    for (int q = 0; q < (kTileK * kTileN) / kThreads; ++q) {
      int e = threadIdx.x + q * kThreads;
      int nl = e % kTileN, kl = e / kTileN;
      int k = k0 + kl, col = n0 + nl;
      float v = 0.f;
      if (k < k_end && col < n_cols) {
        int co = col / taps, tap = col % taps;
        int ky = tap / d.kw, kx = tap % d.kw;
        int image = k / in_plane, r = k % in_plane;
        int oy = (r / d.w) * d.stride - d.pad + ky;
        int ox = (r % d.w) * d.stride - d.pad + kx;
        if (oy >= 0 && oy < d.ho && ox >= 0 && ox < d.wo)
          v = dy[((size_t(image) * d.co + co) * d.ho + oy) * d.wo + ox];
      }
      Bs[kl][nl] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kl = 0; kl < kTileK; ++kl) {
      float a[2], bv[4];
#pragma unroll
      for (int r = 0; r < 2; ++r) a[r] = As[kl][ty + 16 * r];
#pragma unroll
      for (int c = 0; c < 4; ++c) bv[c] = Bs[kl][tx + 16 * c];
#pragma unroll
      for (int r = 0; r < 2; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] += a[r] * bv[c];
    }
    __syncthreads();
  }

  float* part = out + size_t(split) * d.ci * n_cols;
#pragma unroll
  for (int r = 0; r < 2; ++r)
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      int row = m0 + ty + 16 * r, col = n0 + tx + 16 * c;
      if (row < d.ci && col < n_cols) part[size_t(row) * n_cols + col] = acc[r][c];
    }
}

// dw[i] = sum over splits of partial[split][i], splits in increasing order.
__global__ void sum_splits_kernel(size_t count, int splits, const float* __restrict__ partial,
                                  float* __restrict__ dw) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float s = 0.f;
    for (int k = 0; k < splits; ++k) s += partial[size_t(k) * count + i];
    dw[i] = s;
  }
}

static_assert((kTileK * kTileM) % kThreads == 0 && (kTileK * kTileN) % kThreads == 0,
              "tile staging assumes whole rounds of kThreads loads");
static_assert(kTileM == 2 * 16 && kTileN == 4 * 16 && kThreads == 256,
              "the 16x16 thread grid computes 2x4 outputs each");

}  // namespace

void deconv2d_forward(cudaStream_t stream, const ConvGeom& g, const float* x, const float* w,
                      const float* b, bool relu, float* y) {
  check_geometry(g, "deconv2d_forward");
  if (g.n == 0) return;
  Dims d = dims_of(g);
  if (d.co >= 16)
    launch_forward<16>(stream, d, x, w, b, relu, y);
  else if (d.co >= 4)
    launch_forward<4>(stream, d, x, w, b, relu, y);
  else
    launch_forward<1>(stream, d, x, w, b, relu, y);
}

void deconv2d_backward_data(cudaStream_t stream, const ConvGeom& g, const float* dy, const float* w,
                            float* dx) {
  check_geometry(g, "deconv2d_backward_data");
  if (g.n == 0) return;
  Dims d = dims_of(g);
  if (d.ci >= 16)
    launch_backward_data<16>(stream, d, dy, w, dx);
  else if (d.ci >= 4)
    launch_backward_data<4>(stream, d, dy, w, dx);
  else
    launch_backward_data<1>(stream, d, dy, w, dx);
}

size_t deconv2d_backward_filter_workspace(const ConvGeom& g) {
  check_geometry(g, "deconv2d_backward_filter");
  FilterSplit s = filter_split(g);
  return s.splits > 1 ? size_t(s.splits) * g.weight_count() * sizeof(float) : 0;
}

void deconv2d_backward_filter(cudaStream_t stream, const ConvGeom& g, const float* x,
                              const float* dy, float* dw, void* workspace) {
  check_geometry(g, "deconv2d_backward_filter");
  const size_t count = g.weight_count();
  if (g.n == 0) {  // an empty batch contributes nothing: the gradient is zero
    HEP2_CUDA_CHECK(cudaMemsetAsync(dw, 0, count * sizeof(float), stream));
    return;
  }
  Dims d = dims_of(g);
  FilterSplit s = filter_split(g);
  if (s.splits > 1 && !workspace)
    fail("deconv2d_backward_filter: no workspace given for ", s.splits, " split partial sums");
  float* out = s.splits > 1 ? static_cast<float*>(workspace) : dw;
  dim3 grid(unsigned(s.m_tiles * s.n_tiles), unsigned(s.splits));
  launch("deconv2d_backward_filter", grid, kThreads, 0, stream, deconv_backward_filter_kernel, d,
         s.k_per_split, x, dy, out);
  if (s.splits > 1) {
    launch("deconv2d_backward_filter (sum of splits)", grid_for(count), kThreads, 0, stream,
           sum_splits_kernel, count, s.splits, out, dw);
  }
}

}  // namespace hep2::kernels
