// The op interface: everything a model asks of a compute device. The CPU backend (host/cpu) and
// the CUDA backend (host/cuda + kernels/) implement it; layers and models never know which runs.
//
// Conventions shared by every op:
//  - All pointers are device pointers of this backend (host memory for the CPU backend).
//  - Activations are NCHW float32; weights use PyTorch's layouts (see ConvGeom).
//  - Backward ops write (=) their gradients; nothing accumulates. Every parameter is used once.
//  - Element-wise ops accept in-place use (output == input) unless stated otherwise.
//  - Scalar results (losses) are written to a device float so the GPU never has to synchronise;
//    read them with download() at log intervals only.
//  - Ops are asynchronous on the CUDA backend (one stream); sync() waits for them.
//  - Results are deterministic: same inputs, same thread count/device -> same bits.
//  - Both backends refuse the same calls: empty batches (a batch of 0 samples) where an op needs
//    samples, negative indices in index arrays (the CUDA backend finds those on the device and
//    throws at its next synchronisation, or at the op under HEP2_CUDA_SYNC=1).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hep2/core/math.cuh"
#include "hep2/core/shape.h"

namespace hep2 {

enum class Act { None, Relu };

// How a batch is assembled from a resident dataset (see Backend::gather_batch).
struct AugmentSpec {
  bool rotate_flip = false;  // one of the 8 symmetries of the square, per image
  uint64_t seed = 0;         // with `step`, picks the symmetry: hash(seed, step * batch + i)
  uint64_t step = 0;
  // >= 0: every image gets this symmetry (0..7, see symmetry_source) instead of a hashed one; the
  // classifier's views of a cell (extract_features with views > 1) are made this way.
  int symmetry = -1;
};

// Work recorded once and replayed (a CUDA graph, made by Backend::capture).
class CapturedWork {
 public:
  virtual ~CapturedWork() = default;
  // Queues the recorded work on the backend's stream (asynchronous, like any op).
  virtual void replay() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu" or "cuda:0"
  virtual bool is_gpu() const = 0;

  // ---- memory ----------------------------------------------------------------------------------
  virtual void* alloc(size_t bytes) = 0;  // throws Error with the size on failure
  virtual void free(void* p) = 0;
  // Memory hep2 holds on the device: what alloc() handed out plus the libraries' workspaces, now
  // and at most since the backend was made (the workspaces only grow, so the peak is an upper
  // bound when they grew after the allocation peak).
  virtual size_t bytes_in_use() const = 0;
  virtual size_t peak_bytes() const = 0;
  // alloc() calls since the backend was made: loops that must not allocate are tested with it
  // (on the GPU every cudaFree synchronises the device).
  virtual size_t allocation_count() const = 0;
  virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
  // Waits for prior ops, also when bytes is 0.
  virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
  // Device to device; overlapping ranges behave as with memmove.
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  // `rows` runs of `row_bytes` each, device to device: run i from src + i * src_pitch to
  // dst + i * dst_pitch (pitches in bytes). One call for a column block of a matrix.
  virtual void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch,
                         size_t row_bytes, size_t rows) = 0;
  virtual void fill(float* dst, size_t count, float value) = 0;
  virtual void sync() = 0;

  // ---- convolution (bias and activation fused in the forward pass) ------------------------------
  // y = act(conv(x, w) + b). b may be null (no bias).
  virtual void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                              Act act, float* y) = 0;
  // dx = conv2d_transpose(dy, w).
  virtual void conv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                    float* dx) = 0;
  // dw = sum over the batch of correlate(x, dy); db = sum of dy over n, h, w (db may be null).
  virtual void conv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                      float* dw, float* db) = 0;

  // ---- transposed convolution ("deconvolution") ---------------------------------------------------
  // y = act(conv_transpose(x, w) + b), weights c_in x c_out x k_h x k_w. b may be null.
  virtual void deconv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                                Act act, float* y) = 0;
  // dx = conv(dy, w): the adjoint of the forward pass.
  virtual void deconv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                      float* dx) = 0;
  virtual void deconv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                        float* dw, float* db) = 0;

  // ---- pooling and up-sampling (2x2, stride 2; odd trailing rows/columns are dropped by the pool)
  // argmax holds, per output element, the flat index (within its h*w plane) of the chosen input.
  virtual void maxpool2_forward(const Shape4& in, const float* x, float* y, int32_t* argmax) = 0;
  // dx is fully written (zeros where nothing was routed).
  virtual void maxpool2_backward(const Shape4& in, const float* dy, const int32_t* argmax,
                                 float* dx) = 0;
  // Nearest-neighbour x2: y is n x c x 2h x 2w.
  virtual void upsample2_forward(const Shape4& in, const float* x, float* y) = 0;
  // dx (n x c x h x w) = sum of the 4 dy values each input fed.
  virtual void upsample2_backward(const Shape4& in, const float* dy, float* dx) = 0;

  // ---- element-wise -----------------------------------------------------------------------------
  virtual void relu_forward(size_t count, const float* x, float* y) = 0;
  virtual void relu_backward(size_t count, const float* y, const float* dy, float* dx) = 0;
  virtual void sigmoid_forward(size_t count, const float* x, float* y) = 0;
  virtual void sigmoid_backward(size_t count, const float* y, const float* dy, float* dx) = 0;

  // ---- dense: y = act(x W^T + b), x batch x in, W out x in (PyTorch Linear layout) ----------------
  virtual void dense_forward(int batch, int in, int out, const float* x, const float* w,
                             const float* b, Act act, float* y) = 0;
  // dx = dy W (skipped when dx is null), dW = dy^T x, db = column sums of dy.
  virtual void dense_backward(int batch, int in, int out, const float* x, const float* w,
                              const float* dy, float* dx, float* dw, float* db) = 0;

  // ---- losses (deterministic reductions: fixed order, no float atomics) ---------------------------
  // s = sigmoid(z) (the reconstruction), *loss = mean (s - x)^2 over `count` values,
  // dz = d loss / dz. recon and dz may be null when not wanted.
  virtual void sigmoid_mse(size_t count, const float* z, const float* target, float* recon,
                           float* dz, float* loss) = 0;
  // dz = d/dz of the mean binary cross-entropy of s = sigmoid(z) against x, from s (the
  // reconstruction sigmoid_mse wrote): (s - x) / count. dz may be s's buffer.
  virtual void sigmoid_bce_grad(size_t count, const float* s, const float* target, float* dz) = 0;
  // Per-sample mean squared error of sigmoid(z) against x (for evaluation): out[i], i < batch.
  virtual void sigmoid_mse_per_sample(int batch, size_t per_sample, const float* z,
                                      const float* target, float* out) = 0;
  // p = softmax(z) row-wise, *loss = mean cross-entropy, dz = (p - onehot) / batch.
  // probs, dz, loss may each be null.
  virtual void softmax_xent(int batch, int classes, const float* z, const int32_t* labels,
                            float* probs, float* dz, float* loss) = 0;
  // Row-wise softmax only (inference).
  virtual void softmax(int batch, int classes, const float* z, float* probs) = 0;

  // ---- dropout (inverted): mask = (u >= p) / (1 - p), u = hash_uniform(seed, i); y = x mask ------
  virtual void dropout_forward(size_t count, float p, uint64_t seed, const float* x, float* mask,
                               float* y) = 0;
  virtual void dropout_backward(size_t count, const float* mask, const float* dy, float* dx) = 0;

  // ---- optimizers over one flat parameter buffer --------------------------------------------------
  virtual void adam_step(size_t count, float* w, const float* g, float* m, float* v,
                         const math::AdamHyper& h) = 0;
  virtual void sgd_step(size_t count, float* w, const float* g, float* buf,
                        const math::SgdHyper& h) = 0;
  // Training's form of the two: `step` is a math::StepState in this backend's memory, advanced by
  // advance_step (a one-thread kernel on the GPU) and read by the update for its learning rate and
  // bias corrections (h's own lr, bc1 and bc2 are ignored), so that no per-step value comes from
  // the host and a captured step replays as it should (see capture()).
  virtual void advance_step(math::StepState* step, const math::StepSchedule& schedule) = 0;
  virtual void adam_step_at(size_t count, float* w, const float* g, float* m, float* v,
                            const math::AdamHyper& h, const math::StepState* step) = 0;
  virtual void sgd_step_at(size_t count, float* w, const float* g, float* buf,
                           const math::SgdHyper& h, const math::StepState* step) = 0;

  // ---- captured work (CUDA graphs) ------------------------------------------------------------------
  // Records the ops `work` queues, without running them, as one piece of work that replay() queues
  // again, with the same pointers, sizes and kernel arguments: whatever must differ between
  // replays has to be in device memory (the batch copied into a fixed buffer, the StepState).
  // Nothing in `work` may allocate, synchronise or download: the capture fails with an Error
  // naming the call (run the work once uncaptured first, so that plans and workspaces exist).
  // Only the CUDA backend captures (can_capture()); the CPU backend throws.
  virtual bool can_capture() const { return false; }
  // Changes whenever scratch memory the ops use (library workspaces) moves to a new block: work
  // captured before a change would read the old block and must be captured again.
  virtual uint64_t scratch_generation() const { return 0; }
  virtual std::unique_ptr<CapturedWork> capture(const std::function<void()>& work);

  // ---- data --------------------------------------------------------------------------------------
  // out[i] = data[index[i]] (each sample `per_sample` = c*h*w floats), optionally rotated/flipped
  // (requires h == w when rotate_flip is set). index is a device array of `batch` int32.
  virtual void gather_batch(const Shape4& sample, const float* data, const int32_t* index,
                            int batch, const AugmentSpec& aug, float* out) = 0;
  // Gathers int32 labels by index (the classifier's batch labels).
  virtual void gather_labels(const int32_t* labels, const int32_t* index, int batch,
                             int32_t* out) = 0;
  // y[r, c] = (x[r, c] - mean[c]) * inv_std[c]: feature standardisation (in place allowed).
  virtual void standardize_columns(int rows, int cols, const float* x, const float* mean,
                                   const float* inv_std, float* y) = 0;
  // sum[c] = sum_k x[rows[k], c] and sum_sq[c] = sum_k x[rows[k], c]^2 over the `count` rows named
  // by the device array `rows` (none negative) of the row-major matrix x (`cols` wide), in
  // double, each column added in the order of `rows`: the same bits on both backends and on every
  // run. The feature scaler's statistics, computed where the features are.
  virtual void column_sums(int cols, const float* x, const int32_t* rows, int count, double* sum,
                           double* sum_sq) = 0;
  // Texture statistics of feature maps: for each sample n and channel c of x (batch x channels x
  // positions, positions = height * width), adds weight * mean, weight * max and weight * standard
  // deviation (population) of the channel's values to out[n, c], out[n, C + c] and out[n, 2C + c]
  // (out is batch x 3C). Adding lets a caller average several views of a cell. Each (n, c) is
  // summed in position order, in double: the same bits on both backends.
  virtual void channel_stats(int batch, int channels, int positions, const float* x, float weight,
                             float* out) = 0;
  // out[i] = argmax_j z[i, j].
  virtual void argmax_rows(int batch, int classes, const float* z, int32_t* out) = 0;
};

// Argument checks both backends make before copy_rows, column_sums, standardize_columns and
// channel_stats (they throw an Error that names the op and the sizes).
void check_copy_rows(size_t dst_pitch, size_t src_pitch, size_t row_bytes);
void check_column_sums(int cols, int count);
void check_standardize_columns(int rows, int cols);
void check_channel_stats(int batch, int channels, int positions);

// Which of the 8 square symmetries (0..7) maps output pixel (y, x) to its source pixel in an
// s x s image: bit 0 transposes, bit 1 flips rows, bit 2 flips columns. Shared by both backends.
HEP2_HD void symmetry_source(int sym, int s, int y, int x, int& sy, int& sx) {
  int a = y, b = x;
  if (sym & 1) { int t = a; a = b; b = t; }
  if (sym & 2) a = s - 1 - a;
  if (sym & 4) b = s - 1 - b;
  sy = a;
  sx = b;
}

// Factories. The CUDA one throws an Error when hep2 was built without CUDA or no device exists.
std::unique_ptr<Backend> make_cpu_backend(int threads = 0);  // 0: all cores (OpenMP default)
std::unique_ptr<Backend> make_cuda_backend(int device_index = 0, bool allow_tf32 = false);
bool cuda_built();          // compiled with the CUDA backend
int cuda_device_count();    // 0 without CUDA, driver or device
// Versions (CUDA runtime/driver, cuDNN, cuBLAS) and the devices found, one "key: value" per line.
std::string cuda_info();

}  // namespace hep2
