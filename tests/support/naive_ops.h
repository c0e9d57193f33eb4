// Naive reference implementations of the backend ops, for tests: plain loops written straight from
// each op's definition, accumulating in double, with no blocking, lowering or parallelism, so they
// share no code or trick with the backends they check. Tensors are NCHW; weights are in PyTorch
// layouts (conv: c_out x c_in x kh x kw, transposed conv: c_in x c_out x kh x kw, dense: out x in).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hep2/core/shape.h"

namespace hep2::naive {

using Vec = std::vector<double>;

inline size_t at4(int c_, int h_, int w_, int n, int c, int y, int x) {
  return ((size_t(n) * c_ + c) * h_ + y) * w_ + x;
}

// ---- convolution: y[n][o][oy][ox] = b[o] + sum_{i,ky,kx} w[o][i][ky][kx] x[n][i][iy][ix] with
// iy = oy*stride - pad + ky (and the same for x); taps outside the image read zero.
inline Vec conv2d_forward(const ConvGeom& g, const std::vector<float>& x,
                          const std::vector<float>& w, const float* b, bool relu) {
  const int oh = g.conv_out_h(), ow = g.conv_out_w();
  Vec y(size_t(g.n) * g.c_out * oh * ow, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int o = 0; o < g.c_out; ++o)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          double s = b ? double(b[o]) : 0.0;
          for (int i = 0; i < g.c_in; ++i)
            for (int ky = 0; ky < g.k_h; ++ky)
              for (int kx = 0; kx < g.k_w; ++kx) {
                int iy = oy * g.stride - g.pad + ky, ix = ox * g.stride - g.pad + kx;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                s += double(w[at4(g.c_in, g.k_h, g.k_w, o, i, ky, kx)]) *
                     double(x[at4(g.c_in, g.h, g.w, n, i, iy, ix)]);
              }
          y[at4(g.c_out, oh, ow, n, o, oy, ox)] = relu ? std::max(s, 0.0) : s;
        }
  return y;
}

// dx = d<y, dy>/dx: every output pixel sends w * dy back to each input pixel it read.
inline Vec conv2d_backward_data(const ConvGeom& g, const std::vector<float>& dy,
                                const std::vector<float>& w) {
  const int oh = g.conv_out_h(), ow = g.conv_out_w();
  Vec dx(size_t(g.n) * g.c_in * g.h * g.w, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int o = 0; o < g.c_out; ++o)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int i = 0; i < g.c_in; ++i)
            for (int ky = 0; ky < g.k_h; ++ky)
              for (int kx = 0; kx < g.k_w; ++kx) {
                int iy = oy * g.stride - g.pad + ky, ix = ox * g.stride - g.pad + kx;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                dx[at4(g.c_in, g.h, g.w, n, i, iy, ix)] +=
                    double(w[at4(g.c_in, g.k_h, g.k_w, o, i, ky, kx)]) *
                    double(dy[at4(g.c_out, oh, ow, n, o, oy, ox)]);
              }
  return dx;
}

// dw[o][i][ky][kx] = sum over n, oy, ox of dy[n][o][oy][ox] x[n][i][iy][ix].
inline Vec conv2d_backward_filter(const ConvGeom& g, const std::vector<float>& x,
                                  const std::vector<float>& dy) {
  const int oh = g.conv_out_h(), ow = g.conv_out_w();
  Vec dw(g.weight_count(), 0.0);
  for (int o = 0; o < g.c_out; ++o)
    for (int i = 0; i < g.c_in; ++i)
      for (int ky = 0; ky < g.k_h; ++ky)
        for (int kx = 0; kx < g.k_w; ++kx) {
          double s = 0.0;
          for (int n = 0; n < g.n; ++n)
            for (int oy = 0; oy < oh; ++oy)
              for (int ox = 0; ox < ow; ++ox) {
                int iy = oy * g.stride - g.pad + ky, ix = ox * g.stride - g.pad + kx;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                s += double(dy[at4(g.c_out, oh, ow, n, o, oy, ox)]) *
                     double(x[at4(g.c_in, g.h, g.w, n, i, iy, ix)]);
              }
          dw[at4(g.c_in, g.k_h, g.k_w, o, i, ky, kx)] = s;
        }
  return dw;
}

// db[c] = sum of t over n, h, w for an n x c x h x w tensor t.
inline Vec channel_sums(const Shape4& s, const std::vector<float>& t) {
  Vec db(size_t(s.c), 0.0);
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c)
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) db[size_t(c)] += double(t[at4(s.c, s.h, s.w, n, c, y, x)]);
  return db;
}

// ---- transposed convolution: each input pixel x[n][i][iy][ix] scatters x * w[i][o][ky][kx] to
// output pixel (iy*stride - pad + ky, ix*stride - pad + kx) of channel o, when that lies inside.
inline Vec deconv2d_forward(const ConvGeom& g, const std::vector<float>& x,
                            const std::vector<float>& w, const float* b, bool relu) {
  const int oh = g.deconv_out_h(), ow = g.deconv_out_w();
  Vec y(size_t(g.n) * g.c_out * oh * ow, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int i = 0; i < g.c_in; ++i)
      for (int iy = 0; iy < g.h; ++iy)
        for (int ix = 0; ix < g.w; ++ix)
          for (int o = 0; o < g.c_out; ++o)
            for (int ky = 0; ky < g.k_h; ++ky)
              for (int kx = 0; kx < g.k_w; ++kx) {
                int oy = iy * g.stride - g.pad + ky, ox = ix * g.stride - g.pad + kx;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                y[at4(g.c_out, oh, ow, n, o, oy, ox)] +=
                    double(x[at4(g.c_in, g.h, g.w, n, i, iy, ix)]) *
                    double(w[at4(g.c_out, g.k_h, g.k_w, i, o, ky, kx)]);
              }
  if (b || relu)
    for (int n = 0; n < g.n; ++n)
      for (int o = 0; o < g.c_out; ++o)
        for (int p = 0; p < oh * ow; ++p) {
          double& v = y[(size_t(n) * g.c_out + o) * oh * ow + p];
          if (b) v += double(b[o]);
          if (relu) v = std::max(v, 0.0);
        }
  return y;
}

// dx[n][i][iy][ix] = sum of w[i][o][ky][kx] dy[n][o][oy][ox] over the outputs it was scattered to.
inline Vec deconv2d_backward_data(const ConvGeom& g, const std::vector<float>& dy,
                                  const std::vector<float>& w) {
  const int oh = g.deconv_out_h(), ow = g.deconv_out_w();
  Vec dx(size_t(g.n) * g.c_in * g.h * g.w, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int i = 0; i < g.c_in; ++i)
      for (int iy = 0; iy < g.h; ++iy)
        for (int ix = 0; ix < g.w; ++ix) {
          double s = 0.0;
          for (int o = 0; o < g.c_out; ++o)
            for (int ky = 0; ky < g.k_h; ++ky)
              for (int kx = 0; kx < g.k_w; ++kx) {
                int oy = iy * g.stride - g.pad + ky, ox = ix * g.stride - g.pad + kx;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                s += double(w[at4(g.c_out, g.k_h, g.k_w, i, o, ky, kx)]) *
                     double(dy[at4(g.c_out, oh, ow, n, o, oy, ox)]);
              }
          dx[at4(g.c_in, g.h, g.w, n, i, iy, ix)] = s;
        }
  return dx;
}

// dw[i][o][ky][kx] = sum over n, iy, ix of x[n][i][iy][ix] dy[n][o][oy][ox].
inline Vec deconv2d_backward_filter(const ConvGeom& g, const std::vector<float>& x,
                                    const std::vector<float>& dy) {
  const int oh = g.deconv_out_h(), ow = g.deconv_out_w();
  Vec dw(g.weight_count(), 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int i = 0; i < g.c_in; ++i)
      for (int iy = 0; iy < g.h; ++iy)
        for (int ix = 0; ix < g.w; ++ix)
          for (int o = 0; o < g.c_out; ++o)
            for (int ky = 0; ky < g.k_h; ++ky)
              for (int kx = 0; kx < g.k_w; ++kx) {
                int oy = iy * g.stride - g.pad + ky, ox = ix * g.stride - g.pad + kx;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                dw[at4(g.c_out, g.k_h, g.k_w, i, o, ky, kx)] +=
                    double(x[at4(g.c_in, g.h, g.w, n, i, iy, ix)]) *
                    double(dy[at4(g.c_out, oh, ow, n, o, oy, ox)]);
              }
  return dw;
}

// ---- 2x2 stride-2 max pooling: the first maximum of each window in row-major order.
struct Pooled {
  std::vector<float> y;
  std::vector<int32_t> argmax;  // flat index in the input plane
};
inline Pooled maxpool2(const Shape4& s, const std::vector<float>& x) {
  const int oh = s.h / 2, ow = s.w / 2;
  Pooled p;
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          int best_y = 2 * oy, best_x = 2 * ox;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
              int y = 2 * oy + dy, xx = 2 * ox + dx;
              if (x[at4(s.c, s.h, s.w, n, c, y, xx)] >
                  x[at4(s.c, s.h, s.w, n, c, best_y, best_x)]) {
                best_y = y;
                best_x = xx;
              }
            }
          p.y.push_back(x[at4(s.c, s.h, s.w, n, c, best_y, best_x)]);
          p.argmax.push_back(best_y * s.w + best_x);
        }
  return p;
}

// ---- nearest up-sampling x2 and its adjoint.
inline Vec upsample2(const Shape4& s, const std::vector<float>& x) {
  Vec y(4 * s.count());
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c)
      for (int y2 = 0; y2 < 2 * s.h; ++y2)
        for (int x2 = 0; x2 < 2 * s.w; ++x2)
          y[at4(s.c, 2 * s.h, 2 * s.w, n, c, y2, x2)] = x[at4(s.c, s.h, s.w, n, c, y2 / 2, x2 / 2)];
  return y;
}
inline Vec upsample2_backward(const Shape4& s, const std::vector<float>& dy) {
  Vec dx(s.count(), 0.0);
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c)
      for (int y2 = 0; y2 < 2 * s.h; ++y2)
        for (int x2 = 0; x2 < 2 * s.w; ++x2)
          dx[at4(s.c, s.h, s.w, n, c, y2 / 2, x2 / 2)] +=
              dy[at4(s.c, 2 * s.h, 2 * s.w, n, c, y2, x2)];
  return dx;
}

// ---- dense: y[r][o] = b[o] + sum_i x[r][i] w[o][i].
inline Vec dense_forward(int batch, int in, int out, const std::vector<float>& x,
                         const std::vector<float>& w, const float* b, bool relu) {
  Vec y(size_t(batch) * out);
  for (int r = 0; r < batch; ++r)
    for (int o = 0; o < out; ++o) {
      double s = b ? double(b[o]) : 0.0;
      for (int i = 0; i < in; ++i)
        s += double(x[size_t(r) * in + i]) * double(w[size_t(o) * in + i]);
      y[size_t(r) * out + o] = relu ? std::max(s, 0.0) : s;
    }
  return y;
}
struct DenseGrads {
  Vec dx, dw, db;
};
inline DenseGrads dense_backward(int batch, int in, int out, const std::vector<float>& x,
                                 const std::vector<float>& w, const std::vector<float>& dy) {
  DenseGrads g{Vec(size_t(batch) * in, 0.0), Vec(size_t(out) * in, 0.0), Vec(size_t(out), 0.0)};
  for (int r = 0; r < batch; ++r)
    for (int o = 0; o < out; ++o) {
      double d = dy[size_t(r) * out + o];
      g.db[size_t(o)] += d;
      for (int i = 0; i < in; ++i) {
        g.dx[size_t(r) * in + i] += d * double(w[size_t(o) * in + i]);
        g.dw[size_t(o) * in + i] += d * double(x[size_t(r) * in + i]);
      }
    }
  return g;
}

// ---- GEMM: C = alpha op(A) op(B) + beta C, row-major with leading dimensions (C in double).
inline Vec gemm(bool ta, bool tb, int m, int n, int k, double alpha, const std::vector<float>& a,
                int lda, const std::vector<float>& b, int ldb, double beta,
                const std::vector<float>& c, int ldc) {
  Vec out(c.begin(), c.end());
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int p = 0; p < k; ++p) {
        double av = ta ? a[size_t(p) * lda + i] : a[size_t(i) * lda + p];
        double bv = tb ? b[size_t(j) * ldb + p] : b[size_t(p) * ldb + j];
        s += av * bv;
      }
      double& cv = out[size_t(i) * ldc + j];
      cv = alpha * s + (beta == 0.0 ? 0.0 : beta * cv);
    }
  return out;
}

// ---- losses.
inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

struct SigmoidMse {
  Vec recon, dz;
  double loss = 0.0;
};
// loss = mean (sigmoid(z) - x)^2; dz = 2 (s - x) s (1 - s) / count.
inline SigmoidMse sigmoid_mse(const std::vector<float>& z, const std::vector<float>& x) {
  SigmoidMse r;
  const double count = double(z.size());
  for (size_t i = 0; i < z.size(); ++i) {
    double s = sigmoid(z[i]), d = s - double(x[i]);
    r.recon.push_back(s);
    r.dz.push_back(2.0 * d * s * (1.0 - s) / count);
    r.loss += d * d;
  }
  r.loss /= count;
  return r;
}

struct SoftmaxXent {
  Vec probs, dz;
  double loss = 0.0;
};
// probs = softmax rows; loss = mean over rows of -log p[label]; dz = (p - onehot) / batch.
inline SoftmaxXent softmax_xent(int batch, int classes, const std::vector<float>& z,
                                const std::vector<int32_t>& labels) {
  SoftmaxXent r;
  for (int i = 0; i < batch; ++i) {
    double sum = 0.0;
    for (int j = 0; j < classes; ++j) sum += std::exp(double(z[size_t(i) * classes + j]));
    for (int j = 0; j < classes; ++j) {
      double p = std::exp(double(z[size_t(i) * classes + j])) / sum;
      r.probs.push_back(p);
      r.dz.push_back((p - (j == labels[size_t(i)] ? 1.0 : 0.0)) / batch);
      if (j == labels[size_t(i)]) r.loss -= std::log(p);
    }
  }
  r.loss /= batch;
  return r;
}

// ---- optimizers, transcribed from torch.optim (single tensor, "for-loop" implementation).
struct AdamState {
  Vec w, m, v;
  int step = 0;
};
// torch.optim.Adam (weight_decay = 0) / torch.optim.AdamW (decoupled weight decay):
//   param *= 1 - lr*wd (AdamW only); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//   bc1 = 1 - b1^t; bc2 = 1 - b2^t; step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps;
//   param -= step_size * m / denom.
inline void adamw_step(AdamState& s, const std::vector<float>& g, double lr, double b1, double b2,
                       double eps, double wd) {
  ++s.step;
  const double bc1 = 1.0 - std::pow(b1, s.step), bc2 = 1.0 - std::pow(b2, s.step);
  for (size_t i = 0; i < s.w.size(); ++i) {
    s.w[i] *= 1.0 - lr * wd;
    s.m[i] = b1 * s.m[i] + (1.0 - b1) * double(g[i]);
    s.v[i] = b2 * s.v[i] + (1.0 - b2) * double(g[i]) * double(g[i]);
    const double denom = std::sqrt(s.v[i]) / std::sqrt(bc2) + eps;
    s.w[i] -= (lr / bc1) * s.m[i] / denom;
  }
}

struct SgdState {
  Vec w, buf;
  int step = 0;
};
// torch.optim.SGD with momentum, dampening 0, no Nesterov:
//   d_p = g + wd * param; buf = d_p on the first step, else momentum * buf + d_p; param -= lr buf.
inline void sgd_step(SgdState& s, const std::vector<float>& g, double lr, double momentum,
                     double wd) {
  ++s.step;
  for (size_t i = 0; i < s.w.size(); ++i) {
    const double d_p = double(g[i]) + wd * s.w[i];
    s.buf[i] = s.step == 1 ? d_p : momentum * s.buf[i] + d_p;
    s.w[i] -= lr * s.buf[i];
  }
}

}  // namespace hep2::naive
