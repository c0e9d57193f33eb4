// The CPU backend: hep2::Backend on the host, its own thread pool (thread_pool.h) over images (or
// rows, or element ranges) with single-threaded kernels inside each worker. Each worker owns
// grow-only scratch (padded sources, column bands, partial weight gradients, double partial sums)
// so steady-state calls allocate nothing.
// Not thread-safe: one backend serves one caller thread (as a CUDA stream would).
#pragma once
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu/aligned_memory.h"
#include "cpu/conv_engine.h"
#include "cpu/shifted_gemm.h"
#include "cpu/thread_pool.h"
#include "hep2/backend/allocation_counter.h"
#include "hep2/backend/backend.h"

namespace hep2::cpu {

struct PhaseSplit;  // padded_source.h
struct TileBlock;   // winograd.h

// Chunks of a batch whose weight gradients are summed into separate partials (then added in chunk
// order): enough for two or four threads to share out evenly when one of them is preempted, few
// enough that adding the partials stays cheap.
inline constexpr int kGradChunks = 8;

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads);  // threads 0: omp_get_max_threads()
  int threads() const { return threads_; }

  std::string name() const override { return "cpu"; }
  bool is_gpu() const override { return false; }

  void* alloc(size_t bytes) override;
  void free(void* p) override;
  size_t bytes_in_use() const override { return counter_.in_use() + scratch_bytes(); }
  size_t peak_bytes() const override { return counter_.peak() + scratch_bytes(); }
  size_t allocation_count() const override { return counter_.allocations(); }
  void upload(void* dst, const void* host_src, size_t bytes) override;
  void download(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
                 size_t rows) override;
  void fill(float* dst, size_t count, float value) override;
  void sync() override {}

  void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b, Act act,
                      float* y) override;
  void conv2d_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx) override;
  void conv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                              float* db) override;
  void deconv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b, Act act,
                        float* y) override;
  void deconv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                              float* dx) override;
  void deconv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                                float* db) override;

  void maxpool2_forward(const Shape4& in, const float* x, float* y, int32_t* argmax) override;
  void maxpool2_backward(const Shape4& in, const float* dy, const int32_t* argmax,
                         float* dx) override;
  void upsample2_forward(const Shape4& in, const float* x, float* y) override;
  void upsample2_backward(const Shape4& in, const float* dy, float* dx) override;

  void relu_forward(size_t count, const float* x, float* y) override;
  void relu_backward(size_t count, const float* y, const float* dy, float* dx) override;
  void sigmoid_forward(size_t count, const float* x, float* y) override;
  void sigmoid_backward(size_t count, const float* y, const float* dy, float* dx) override;

  void dense_forward(int batch, int in, int out, const float* x, const float* w, const float* b,
                     Act act, float* y) override;
  void dense_backward(int batch, int in, int out, const float* x, const float* w, const float* dy,
                      float* dx, float* dw, float* db) override;

  void sigmoid_mse(size_t count, const float* z, const float* target, float* recon, float* dz,
                   float* loss) override;
  void sigmoid_bce_grad(size_t count, const float* s, const float* target, float* dz) override;
  void sigmoid_mse_per_sample(int batch, size_t per_sample, const float* z, const float* target,
                              float* out) override;
  void softmax_xent(int batch, int classes, const float* z, const int32_t* labels, float* probs,
                    float* dz, float* loss) override;
  void softmax(int batch, int classes, const float* z, float* probs) override;

  void dropout_forward(size_t count, float p, uint64_t seed, const float* x, float* mask,
                       float* y) override;
  void dropout_backward(size_t count, const float* mask, const float* dy, float* dx) override;

  void adam_step(size_t count, float* w, const float* g, float* m, float* v,
                 const math::AdamHyper& h) override;
  void sgd_step(size_t count, float* w, const float* g, float* buf,
                const math::SgdHyper& h) override;
  // The step state is a plain host value here.
  void advance_step(math::StepState* step, const math::StepSchedule& schedule) override;
  void adam_step_at(size_t count, float* w, const float* g, float* m, float* v,
                    const math::AdamHyper& h, const math::StepState* step) override;
  void sgd_step_at(size_t count, float* w, const float* g, float* buf, const math::SgdHyper& h,
                   const math::StepState* step) override;

  void gather_batch(const Shape4& sample, const float* data, const int32_t* index, int batch,
                    const AugmentSpec& aug, float* out) override;
  void gather_labels(const int32_t* labels, const int32_t* index, int batch, int32_t* out) override;
  void standardize_columns(int rows, int cols, const float* x, const float* mean,
                           const float* inv_std, float* y) override;
  void channel_stats(int batch, int channels, int positions, const float* x, float weight,
                     float* out) override;
  void column_sums(int cols, const float* x, const int32_t* rows, int count, double* sum,
                   double* sum_sq) override;
  void argmax_rows(int batch, int classes, const float* z, int32_t* out) override;

 private:
  struct WorkerScratch {
    GrowBuffer col;     // column bands (floats)
    GrowBuffer grad;    // partial weight gradients (floats, or doubles on the run_dot path)
    GrowBuffer sums;    // partial sums: bias gradients, losses (doubles)
    GrowBuffer source;  // one image's zero-padded planes or phase split (shifted GEMM)
    GrowBuffer lanes;   // one image's lane-blocked transpose (pack_lanes)
    GrowBuffer wino_in, wino_out;  // a tile block's Winograd transforms (conv_winograd.cpp)
  };

  // Sizes the scratch of workers [0, workers) before a parallel region: growing may throw,
  // and nothing may throw inside one.
  void reserve_scratch(int workers, size_t col_floats, size_t grad_floats, size_t sum_doubles);
  float* col_scratch(int t) const { return scratch_[size_t(t)].col.as<float>(); }
  float* grad_scratch(int t) const { return scratch_[size_t(t)].grad.as<float>(); }
  double* sum_scratch(int t) const { return scratch_[size_t(t)].sums.as<double>(); }

  // Workers for a job over `items` independent pieces each worth at least one worker.
  int batch_workers(int items) const { return std::max(1, std::min(threads_, items)); }
  // Workers for an element-wise pass over `count` values.
  int elementwise_workers(size_t count) const;
  // Workers for a pass over `planes` whole channel planes holding `values` values in all.
  int plane_workers(size_t planes, size_t values) const;

  // The batch drivers shared by conv and deconv (see conv_engine.h for the mapping).
  void batch_view_forward(const ConvView& v, int n, const float* w, const float* x, const float* b,
                          Act act, float* y);
  // x = act(view_adjoint(y) + b) per image; b may be null (bias and activation are applied to each
  // whole image right after its col2im, while it is in cache).
  void batch_view_adjoint(const ConvView& v, int n, const float* w, const float* y, const float* b,
                          Act act, float* x);
  // dw = sum over images of view_weight_grad; db[c] = sum of bias_src over images and the
  // bias_plane values of channel c (skipped when db is null).
  void batch_view_weight_grad(const ConvView& v, int n, const float* x, const float* dy, float* dw,
                              const float* bias_src, int bias_channels, size_t bias_plane,
                              float* db);

  // ---- the shifted-GEMM paths (conv_shifted.cpp, deconv_phases.cpp) -----------------------------
  // Stride-1 convolutions of any kernel and padding (backward-data needs pad < kernel), and the
  // 4x4 stride-2 pad-1 transposed convolution of the DCAE's decoder; other geometries take the
  // im2col path above.
  static bool shifted_conv_fits(const ConvGeom& g);
  static bool shifted_conv_data_fits(const ConvGeom& g);
  static bool phase_deconv_fits(const ConvGeom& g);
  void shifted_conv_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                            Act act, float* y);
  void shifted_conv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
  void shifted_conv_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                                    float* db);
  void phase_deconv_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                            Act act, float* y);
  void phase_deconv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
  void phase_deconv_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                                    float* db);

  // ---- Winograd F(2x2, 3x3) (conv_winograd.cpp): 3x3 stride-1 pad-1 convolutions of even size
  // with at least 16 channels in and out ----------------------------------------------------------
  static bool winograd_fits(const ConvGeom& g);
  void winograd_forward(const ConvGeom& g, const float* x, const float* w, const float* b, Act act,
                        float* y);
  void winograd_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
  void winograd_backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                                float* db);
  // y (c_out planes of g.h x g.w) = act(conv3x3(x (c_in planes)) + b) with transformed, packed
  // kernels u (16 positions x c_out x c_in): the forward pass and, with roles swapped,
  // backward-data.
  void winograd_product(const ConvGeom& g, int c_in, int c_out, const float* u, const float* x,
                        const float* b, Act act, float* y);

  // ---- Winograd F(2x2, 2x2) on the phases of the 4x4 stride-2 transposed convolution
  // (deconv_winograd.cpp): even input sizes, at least 16 channels in and out ----------------------
  static bool winograd_deconv_fits(const ConvGeom& g);
  void winograd_deconv_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                               Act act, float* y);
  void winograd_deconv_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                     float* dx);
  void winograd_deconv_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                       float* dw, float* db);
  // The transformed block of a phase split of dy (channel (phase, o)), shared by both backward
  // passes.
  void winograd_deconv_split_input(const ConvGeom& g, const PhaseSplit& sp, const float* split,
                                   const TileBlock& blk, float* v, size_t ch);

  // A weight gradient summed over the batch by run_gather, or run_dot when `channels` is too few
  // to fill its lanes (see shifted_gemm.h). The images are cut into a fixed number of chunks
  // (depending on n only), each summed into its own partial, and the partials are added in chunk
  // order: the bits do not depend on the thread count or on which thread took which chunk.
  // prepare(t, i, sums) writes image i's broadcast source into source_scratch(t) (adding its
  // channel sums into `sums` when the bias sums come from it; sums may be null) and returns image
  // i's lane planes (channels x gp.oh x gp.ow). dw[j][k] = sum of G[k][j]; db (bias_channels
  // values, may be null) = the channel sums of the lane planes when sums_from_lanes, else those
  // prepare() added.
  void batch_gather_grad(int n, const GatherProduct& gp, int channels, size_t source_floats,
                         bool sums_from_lanes, int bias_channels,
                         const std::function<const float*(int, size_t, double*)>& prepare,
                         float* dw, float* db);
  // parts[0, part) = the sum of the `chunks` partials parts[c part, (c + 1) part), added in chunk
  // order (so the bits do not depend on which thread summed which chunk).
  void sum_chunk_partials(float* parts, size_t part, int chunks);
  // Sizes the per-thread source scratch of the first min(threads, items) threads.
  void reserve_sources(size_t items, size_t floats);

  float* source_scratch(int t) const { return scratch_[size_t(t)].source.as<float>(); }
  float* lanes_scratch(int t) const { return scratch_[size_t(t)].lanes.as<float>(); }
  // Room for the weights packed into panels and their tap offsets, shared by all workers (filled
  // on the calling thread before the workers start).
  float* packed_weights(size_t floats) { return packed_.reserve<float>(floats); }
  int32_t* tap_offsets(size_t count) { return offsets_.reserve<int32_t>(count); }

  // The grow-only scratch below, in bytes (it only grows, so it counts in full towards the peak).
  size_t scratch_bytes() const;

  AllocationCounter counter_;
  int threads_ = 1;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<WorkerScratch> scratch_;
  GrowBuffer packed_, offsets_;
  GrowBuffer chunk_grads_, chunk_sums_;  // batch_gather_grad's per-chunk partials
};

// Throws an Error naming `op` unless g describes a non-empty (transposed) convolution.
void check_conv_geom(const ConvGeom& g, const char* op, bool transposed);

}  // namespace hep2::cpu
