// The CUDA backend: hep2::Backend on one GPU. Convolutions go through cuDNN's graph API
// (cudnn_graph.h), dense layers through cuBLAS (cublas_dense.h), everything else through our own
// kernels (kernels/). All work is queued on one stream owned by the backend, so ops are
// asynchronous and ordered; only download() and sync() wait. Each op opens an NVTX range named
// after it, for Nsight Systems, and under HEP2_CUDA_SYNC=1 waits for its work and checks it.
//
// The same contract as the CPU backend, op for op: the same argument checks (empty batches are
// refused by both; negative indices in device arrays are flagged by the kernels and thrown at the
// next synchronisation, see kernels/device_error.h), download() always waits for the stream, and
// copy() of overlapping ranges behaves like memmove.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "bias_act.cuh"
#include "channel_stats.cuh"
#include "cuda/check.h"
#include "cuda/cublas_dense.h"
#include "cuda/cudnn_graph.h"
#include "cuda/device_memory.h"
#include "cuda/graph_capture.h"
#include "cuda/library_check.h"
#include "cuda/nvtx_range.h"
#include "deconv.cuh"
#include "device_error.h"
#include "dropout.cuh"
#include "elementwise.cuh"
#include "standardize.cuh"
#include "gather.cuh"
#include "hep2/backend/allocation_counter.h"
#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "loss.cuh"
#include "optim.cuh"
#include "pool.cuh"
#include "upsample.cuh"

namespace hep2 {

namespace {

// cuDNN plans needing more scratch than this are skipped in favour of leaner engines.
constexpr size_t kCudnnWorkspaceLimit = size_t(256) << 20;
// cuBLAS's recommended workspace on Hopper; handing it our own buffer makes the GEMMs
// deterministic (no lazily allocated internal workspace that varies with the stream).
constexpr size_t kCublasWorkspace = size_t(32) << 20;

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, bool allow_tf32)
      : device_(device),
        workspace_(device, "the convolution workspace"),
        reduce_scratch_(device, "the reduction scratch"),
        copy_scratch_(device, "the overlapping-copy scratch") {
    try {
      HEP2_CUDA_CHECK(cudaSetDevice(device_));
      HEP2_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
      HEP2_CUBLAS_CHECK(cublasCreate(&cublas_));
      HEP2_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
      HEP2_CUBLAS_CHECK(cublasSetMathMode(
          cublas_, allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
      cublas_workspace_ = cuda::device_malloc(kCublasWorkspace, device_, "the cuBLAS workspace");
      HEP2_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspace));
      HEP2_CUDNN_CHECK(cudnnCreate(&cudnn_));
      HEP2_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
      conv_ = std::make_unique<cuda::CudnnConv>(cudnn_, allow_tf32, kCudnnWorkspaceLimit);
      loss_partials_ = static_cast<double*>(cuda::device_malloc(
          kernels::kLossPartials * sizeof(double), device_, "the loss reduction scratch"));
      // The kernels' error word (device_error.h): mapped host memory, read after each sync.
      HEP2_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&error_host_), sizeof(unsigned),
                                    cudaHostAllocMapped));
      *error_host_ = 0;
      HEP2_CUDA_CHECK(
          cudaHostGetDevicePointer(reinterpret_cast<void**>(&error_device_), error_host_, 0));
    } catch (...) {
      release();
      throw;
    }
  }

  ~CudaBackend() override {
    // No throwing from a destructor: a failure is reported to stderr and cleared (check.h).
    cuda::detail::report_release_error(cudaSetDevice(device_), "cudaSetDevice", name().c_str());
    if (stream_)
      cuda::detail::report_release_error(cudaStreamSynchronize(stream_), "cudaStreamSynchronize",
                                         "the backend's stream");
    release();
  }

  std::string name() const override { return "cuda:" + std::to_string(device_); }
  bool is_gpu() const override { return true; }

  // ---- memory ----------------------------------------------------------------------------------
  void* alloc(size_t bytes) override {
    Op op(*this, "alloc");
    void* p = cuda::device_malloc(bytes, device_, "a tensor");
    counter_.allocated(p, bytes);
    return p;
  }
  void free(void* p) override {
    // Called from destructors (Buffer, Arena): it must not throw. A failure is reported to stderr
    // and cleared, so the next launch does not report it as its own (check.h).
    if (!p) return;
    counter_.freed(p);
    cudaError_t status = cudaSetDevice(device_);
    if (status == cudaSuccess) {
      status = cudaFree(p);
      cuda::detail::report_release_error(status, "cudaFree", "a tensor");
    } else {
      cuda::detail::report_release_error(status, "cudaSetDevice", "a tensor");
    }
  }
  // Tensors, plus the fixed scratch (cuBLAS workspace, loss partials) and the grow-only
  // convolution workspace.
  size_t bytes_in_use() const override { return counter_.in_use() + library_bytes(); }
  size_t peak_bytes() const override { return counter_.peak() + library_bytes(); }
  size_t allocation_count() const override { return counter_.allocations(); }
  void upload(void* dst, const void* host_src, size_t bytes) override {
    Op op(*this, "upload");
    if (bytes == 0) return;
    // From pageable memory this returns once the source is staged, so host_src may be reused.
    HEP2_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, stream_));
  }
  void download(void* host_dst, const void* src, size_t bytes) override {
    Op op(*this, "download");
    // Waits for the stream even for 0 bytes: a download is where the host sees the device's
    // results and errors, whatever its size.
    if (bytes)
      HEP2_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    synchronize("download");
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    Op op(*this, "copy");
    if (bytes == 0 || dst == src) return;
    const auto d = reinterpret_cast<uintptr_t>(dst), s = reinterpret_cast<uintptr_t>(src);
    if (d < s + bytes && s < d + bytes) {
      // Overlapping ranges (undefined for cudaMemcpy): memmove's result, through a scratch copy.
      void* tmp = copy_scratch_.get(bytes, stream_);
      HEP2_CUDA_CHECK(cudaMemcpyAsync(tmp, src, bytes, cudaMemcpyDeviceToDevice, stream_));
      HEP2_CUDA_CHECK(cudaMemcpyAsync(dst, tmp, bytes, cudaMemcpyDeviceToDevice, stream_));
      return;
    }
    HEP2_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
  }
  void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
                 size_t rows) override {
    Op op(*this, "copy_rows");
    check_copy_rows(dst_pitch, src_pitch, row_bytes);
    if (row_bytes == 0 || rows == 0) return;
    HEP2_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, rows,
                                      cudaMemcpyDeviceToDevice, stream_));
  }
  void fill(float* dst, size_t count, float value) override {
    Op op(*this, "fill");
    kernels::fill(stream_, dst, count, value);
  }
  void sync() override {
    Op op(*this, "sync");
    synchronize("sync");
  }

  // ---- convolution -----------------------------------------------------------------------------
  void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b, Act act,
                      float* y) override {
    Op op(*this, "conv2d_forward");
    conv_->forward(g, x, w, y, workspace_, stream_);
    kernels::bias_act(stream_, y, b, act == Act::Relu, g.n, g.c_out,
                      size_t(g.conv_out_h()) * g.conv_out_w());
  }
  void conv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                            float* dx) override {
    Op op(*this, "conv2d_backward_data");
    conv_->backward_data(g, dy, w, dx, workspace_, stream_);
  }
  void conv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                              float* db) override {
    Op op(*this, "conv2d_backward_filter");
    conv_->backward_filter(g, x, dy, dw, workspace_, stream_);
    if (db) channel_sum(dy, g.n, g.c_out, size_t(g.conv_out_h()) * g.conv_out_w(), db);
  }

  // ---- transposed convolution ----------------------------------------------------------------
  void deconv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b, Act act,
                        float* y) override {
    Op op(*this, "deconv2d_forward");
    kernels::deconv2d_forward(stream_, g, x, w, b, act == Act::Relu, y);
  }
  void deconv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                              float* dx) override {
    Op op(*this, "deconv2d_backward_data");
    kernels::deconv2d_backward_data(stream_, g, dy, w, dx);
  }
  void deconv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                                float* db) override {
    Op op(*this, "deconv2d_backward_filter");
    void* scratch = workspace_.get(kernels::deconv2d_backward_filter_workspace(g), stream_);
    kernels::deconv2d_backward_filter(stream_, g, x, dy, dw, scratch);
    if (db) channel_sum(dy, g.n, g.c_out, size_t(g.deconv_out_h()) * g.deconv_out_w(), db);
  }

  // ---- pooling and up-sampling ---------------------------------------------------------------
  void maxpool2_forward(const Shape4& in, const float* x, float* y, int32_t* argmax) override {
    Op op(*this, "maxpool2_forward");
    check_pool_input(in, "maxpool2_forward", 2);
    kernels::maxpool2_forward(stream_, in, x, y, argmax);
  }
  void maxpool2_backward(const Shape4& in, const float* dy, const int32_t* argmax,
                         float* dx) override {
    Op op(*this, "maxpool2_backward");
    check_pool_input(in, "maxpool2_backward", 2);
    kernels::maxpool2_backward(stream_, in, dy, argmax, dx);
  }
  void upsample2_forward(const Shape4& in, const float* x, float* y) override {
    Op op(*this, "upsample2_forward");
    check_pool_input(in, "upsample2_forward", 1);
    kernels::upsample2_forward(stream_, in, x, y);
  }
  void upsample2_backward(const Shape4& in, const float* dy, float* dx) override {
    Op op(*this, "upsample2_backward");
    check_pool_input(in, "upsample2_backward", 1);
    kernels::upsample2_backward(stream_, in, dy, dx);
  }

  // ---- element-wise ----------------------------------------------------------------------------
  void relu_forward(size_t count, const float* x, float* y) override {
    Op op(*this, "relu_forward");
    kernels::relu_forward(stream_, count, x, y);
  }
  void relu_backward(size_t count, const float* y, const float* dy, float* dx) override {
    Op op(*this, "relu_backward");
    kernels::relu_backward(stream_, count, y, dy, dx);
  }
  void sigmoid_forward(size_t count, const float* x, float* y) override {
    Op op(*this, "sigmoid_forward");
    kernels::sigmoid_forward(stream_, count, x, y);
  }
  void sigmoid_backward(size_t count, const float* y, const float* dy, float* dx) override {
    Op op(*this, "sigmoid_backward");
    kernels::sigmoid_backward(stream_, count, y, dy, dx);
  }

  // ---- dense -----------------------------------------------------------------------------------
  void dense_forward(int batch, int in, int out, const float* x, const float* w, const float* b,
                     Act act, float* y) override {
    Op op(*this, "dense_forward");
    check_dense(batch, in, out, "dense_forward");
    cuda::gemm_dense_forward(cublas_, batch, in, out, x, w, y);
    kernels::bias_act(stream_, y, b, act == Act::Relu, batch, out, 1);
  }
  void dense_backward(int batch, int in, int out, const float* x, const float* w, const float* dy,
                      float* dx, float* dw, float* db) override {
    Op op(*this, "dense_backward");
    check_dense(batch, in, out, "dense_backward");
    if (dx) cuda::gemm_dense_backward_data(cublas_, batch, in, out, dy, w, dx);
    if (dw) cuda::gemm_dense_backward_weights(cublas_, batch, in, out, x, dy, dw);
    if (db) kernels::column_sum(stream_, dy, batch, out, db);
  }

  // ---- losses ----------------------------------------------------------------------------------
  void sigmoid_mse(size_t count, const float* z, const float* target, float* recon, float* dz,
                   float* loss) override {
    Op op(*this, "sigmoid_mse");
    if (count == 0) fail("sigmoid_mse: the mean of zero values is undefined (empty batch?)");
    kernels::sigmoid_mse(stream_, count, z, target, recon, dz, loss, loss_partials_);
  }
  void sigmoid_bce_grad(size_t count, const float* s, const float* target, float* dz) override {
    Op op(*this, "sigmoid_bce_grad");
    if (count == 0) fail("sigmoid_bce_grad: called with no values");
    kernels::sigmoid_bce_grad(stream_, count, s, target, dz);
  }
  void sigmoid_mse_per_sample(int batch, size_t per_sample, const float* z, const float* target,
                              float* out) override {
    Op op(*this, "sigmoid_mse_per_sample");
    if (batch <= 0 || per_sample == 0)
      fail("sigmoid_mse_per_sample: batch ", batch, " x ", per_sample, " values is empty");
    kernels::sigmoid_mse_per_sample(stream_, batch, per_sample, z, target, out);
  }
  void softmax_xent(int batch, int classes, const float* z, const int32_t* labels, float* probs,
                    float* dz, float* loss) override {
    Op op(*this, "softmax_xent");
    if (batch <= 0 || classes <= 0)
      fail("softmax_xent: need a positive batch and class count, got batch ", batch, ", ", classes,
           " classes");
    kernels::softmax_xent(stream_, batch, classes, z, labels, probs, dz, loss, loss_partials_);
  }
  void softmax(int batch, int classes, const float* z, float* probs) override {
    Op op(*this, "softmax");
    if (batch <= 0 || classes <= 0)
      fail("softmax: batch ", batch, " x classes ", classes, " must both be positive");
    kernels::softmax(stream_, batch, classes, z, probs);
  }

  // ---- dropout ---------------------------------------------------------------------------------
  void dropout_forward(size_t count, float p, uint64_t seed, const float* x, float* mask,
                       float* y) override {
    Op op(*this, "dropout_forward");
    if (!(p >= 0.f && p < 1.f)) fail("dropout: probability ", p, " is outside [0, 1)");
    kernels::dropout_forward(stream_, count, p, 1.f / (1.f - p), seed, x, mask, y);
  }
  void dropout_backward(size_t count, const float* mask, const float* dy, float* dx) override {
    Op op(*this, "dropout_backward");
    kernels::dropout_backward(stream_, count, mask, dy, dx);
  }

  // ---- optimizers ------------------------------------------------------------------------------
  void adam_step(size_t count, float* w, const float* g, float* m, float* v,
                 const math::AdamHyper& h) override {
    Op op(*this, "adam_step");
    kernels::adam_step(stream_, count, w, g, m, v, h);
  }
  void sgd_step(size_t count, float* w, const float* g, float* buf,
                const math::SgdHyper& h) override {
    Op op(*this, "sgd_step");
    kernels::sgd_step(stream_, count, w, g, buf, h);
  }
  void advance_step(math::StepState* step, const math::StepSchedule& schedule) override {
    Op op(*this, "advance_step");
    kernels::advance_step(stream_, step, schedule);
  }
  void adam_step_at(size_t count, float* w, const float* g, float* m, float* v,
                    const math::AdamHyper& h, const math::StepState* step) override {
    Op op(*this, "adam_step_at");
    kernels::adam_step_at(stream_, count, w, g, m, v, h, step);
  }
  void sgd_step_at(size_t count, float* w, const float* g, float* buf, const math::SgdHyper& h,
                   const math::StepState* step) override {
    Op op(*this, "sgd_step_at");
    kernels::sgd_step_at(stream_, count, w, g, buf, h, step);
  }

  // ---- captured work -------------------------------------------------------------------------
  bool can_capture() const override { return true; }
  uint64_t scratch_generation() const override {
    return workspace_.generation() + reduce_scratch_.generation() + copy_scratch_.generation();
  }
  std::unique_ptr<CapturedWork> capture(const std::function<void()>& work) override {
    Op op(*this, "capture");
    return cuda::capture_graph(device_, stream_, work);
  }

  // ---- data ------------------------------------------------------------------------------------
  void gather_batch(const Shape4& sample, const float* data, const int32_t* index, int batch,
                    const AugmentSpec& aug, float* out) override {
    Op op(*this, "gather_batch");
    if (batch <= 0) fail("gather_batch: batch ", batch, " must be positive");
    if (sample.c <= 0 || sample.h <= 0 || sample.w <= 0)
      fail("gather_batch: sample shape ", sample.str(), " is empty");
    if (aug.rotate_flip && sample.h != sample.w)
      fail("gather_batch: rotation/flip augmentation needs square samples, got ", sample.h, "x",
           sample.w);
    kernels::gather_batch(stream_, sample, data, index, batch, aug.rotate_flip, aug.symmetry,
                          aug.seed, aug.step, out, error_device_);
  }
  void gather_labels(const int32_t* labels, const int32_t* index, int batch,
                     int32_t* out) override {
    Op op(*this, "gather_labels");
    if (batch <= 0) fail("gather_labels: batch ", batch, " must be positive");
    kernels::gather_labels(stream_, labels, index, batch, out, error_device_);
  }
  void standardize_columns(int rows, int cols, const float* x, const float* mean,
                           const float* inv_std, float* y) override {
    Op op(*this, "standardize_columns");
    check_standardize_columns(rows, cols);
    kernels::standardize_columns(stream_, rows, cols, x, mean, inv_std, y);
  }
  void column_sums(int cols, const float* x, const int32_t* rows, int count, double* sum,
                   double* sum_sq) override {
    Op op(*this, "column_sums");
    check_column_sums(cols, count);
    kernels::column_sums(stream_, cols, x, rows, count, sum, sum_sq, error_device_);
  }
  void channel_stats(int batch, int channels, int positions, const float* x, float weight,
                     float* out) override {
    Op op(*this, "channel_stats");
    check_channel_stats(batch, channels, positions);
    kernels::channel_stats(stream_, batch, channels, positions, x, weight, out);
  }
  void argmax_rows(int batch, int classes, const float* z, int32_t* out) override {
    Op op(*this, "argmax_rows");
    if (batch <= 0 || classes <= 0)
      fail("argmax_rows: batch ", batch, " x classes ", classes, " must both be positive");
    kernels::argmax_rows(stream_, batch, classes, z, out);
  }

 private:
  // Opened by every op: an NVTX range named after it, and this backend's device made current
  // (several backends on different devices may share a host thread). Under HEP2_CUDA_SYNC=1 the
  // op's end waits for its work and throws, naming the op, if it failed (check.h): the guard's
  // destructor may throw then, but never while an exception is already on its way.
  class Op {
   public:
    Op(CudaBackend& be, const char* name)
        : be_(be), name_(name), range_(name), exceptions_(std::uncaught_exceptions()) {
      HEP2_CUDA_CHECK(cudaSetDevice(be.device_));
    }
    ~Op() noexcept(false) {
      if (!cuda::detail::sync_checks_enabled() || std::uncaught_exceptions() > exceptions_) return;
      cuda::detail::sync_check(be_.stream_, name_, __FILE__, __LINE__);
      if (!cuda::detail::capturing()) be_.throw_device_errors(name_);
    }
    Op(const Op&) = delete;
    Op& operator=(const Op&) = delete;

   private:
    CudaBackend& be_;
    const char* name_;
    cuda::NvtxRange range_;
    int exceptions_;
  };

  // Waits for the stream, then reports what the kernels flagged meanwhile.
  void synchronize(const char* what) {
    HEP2_CUDA_CHECK(cudaStreamSynchronize(stream_));
    throw_device_errors(what);
  }
  // Throws (and clears) the errors the kernels flagged in the error word since the last check;
  // call only when the stream has synchronised.
  void throw_device_errors(const char* at) {
    const unsigned flags = *static_cast<volatile unsigned*>(error_host_);
    if (flags == 0) return;
    *static_cast<volatile unsigned*>(error_host_) = 0;
    const char* what =
        flags & kernels::kGatherNegativeIndex    ? "gather_batch: a negative sample index"
        : flags & kernels::kLabelsNegativeIndex  ? "gather_labels: a negative index"
        : flags & kernels::kColumnSumsNegativeRow ? "column_sums: a negative row index"
                                                  : "a kernel flagged an unknown error";
    fail(what, " was found on the device (the CPU backend refuses it too); reported at ", at,
         ", the next synchronisation after the op (HEP2_CUDA_SYNC=1 reports it at the op)");
  }

  // The convolution bias gradient, its partial sums in the grow-only reduction scratch.
  void channel_sum(const float* dy, int n, int channels, size_t plane, float* out) {
    void* scratch =
        reduce_scratch_.get(kernels::channel_sum_scratch_bytes(n, channels, plane), stream_);
    kernels::channel_sum(stream_, dy, n, channels, plane, out, scratch);
  }

  // The CPU backend's argument checks (host/cpu), in the same words.
  static void check_dense(int batch, int in, int out, const char* op) {
    if (batch <= 0 || in <= 0 || out <= 0)
      fail(op, ": batch ", batch, ", in ", in, ", out ", out, " must all be positive");
  }
  static void check_pool_input(const Shape4& in, const char* op, int min_side) {
    if (in.n <= 0 || in.c <= 0 || in.h < min_side || in.w < min_side)
      fail(op, ": input ", in.str(), " is too small (need n, c >= 1 and h, w >= ", min_side, ")");
  }

  // Frees whatever the constructor got to; safe on a partly built backend. Never throws:
  // failures are reported to stderr and cleared (check.h).
  void release() noexcept {
    using cuda::detail::report_release_error;
    conv_.reset();
    if (cudnn_ && cudnnDestroy(cudnn_) != CUDNN_STATUS_SUCCESS)
      std::fprintf(stderr, "hep2: warning: cudnnDestroy failed while releasing %s\n",
                   name().c_str());
    if (cublas_ && cublasDestroy(cublas_) != CUBLAS_STATUS_SUCCESS)
      std::fprintf(stderr, "hep2: warning: cublasDestroy failed while releasing %s\n",
                   name().c_str());
    if (cublas_workspace_)
      report_release_error(cudaFree(cublas_workspace_), "cudaFree", "the cuBLAS workspace");
    if (loss_partials_)
      report_release_error(cudaFree(loss_partials_), "cudaFree", "the loss reduction scratch");
    if (error_host_)
      report_release_error(cudaFreeHost(error_host_), "cudaFreeHost", "the error word");
    if (stream_)
      report_release_error(cudaStreamDestroy(stream_), "cudaStreamDestroy", "the stream");
    cudnn_ = nullptr;
    cublas_ = nullptr;
    cublas_workspace_ = nullptr;
    loss_partials_ = nullptr;
    error_host_ = nullptr;
    error_device_ = nullptr;
    stream_ = nullptr;
  }

  int device_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  size_t library_bytes() const {
    return kCublasWorkspace + kernels::kLossPartials * sizeof(double) + workspace_.capacity() +
           reduce_scratch_.capacity() + copy_scratch_.capacity();
  }
  AllocationCounter counter_;
  void* cublas_workspace_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  double* loss_partials_ = nullptr;
  unsigned* error_host_ = nullptr;    // the kernels' error word (device_error.h), host side
  unsigned* error_device_ = nullptr;  // the same word as the kernels see it
  cuda::Workspace workspace_;  // cuDNN plans and the split sums of deconv2d_backward_filter
  cuda::Workspace reduce_scratch_;  // channel_sum's partial sums
  cuda::Workspace copy_scratch_;    // copy() of overlapping ranges
  std::unique_ptr<cuda::CudnnConv> conv_;
};

}  // namespace

// ---- factories ---------------------------------------------------------------------------------

bool cuda_built() { return true; }

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: not an error here, just zero devices
    return 0;
  }
  return count;
}

std::unique_ptr<Backend> make_cuda_backend(int device_index, bool allow_tf32) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    fail("--device cuda:", device_index, ": no usable CUDA device (", cudaGetErrorName(status),
         ": ", cudaGetErrorString(status),
         "); check the NVIDIA driver with nvidia-smi, or use --device cpu");
  }
  if (count == 0) fail("--device cuda:", device_index, ": no CUDA device found; use --device cpu");
  if (device_index < 0 || device_index >= count)
    fail("--device cuda:", device_index, ": only ", count, " CUDA device", count == 1 ? "" : "s",
         " found (cuda:0", count > 1 ? std::string("..cuda:") + std::to_string(count - 1) : "",
         ")");
  return std::make_unique<CudaBackend>(device_index, allow_tf32);
}

}  // namespace hep2
