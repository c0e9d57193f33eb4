// The cuDNN graph-API wrapper: see cudnn_graph.h for what it does and why.
//
// A note on the handle attributes (CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_ATTR_EXECUTION_PLAN_
// HANDLE): recent cuDNN 9 releases mark them deprecated in favour of device-property
// descriptors, which exist only from 9.8 on. The handle form works on every cuDNN 9, including
// whatever version the GPU machine's Python wheels carry, so we use it; it warns only when
// CUDNN_WARN_DEPRECATED is defined, which we do not do.
#include "cuda/cudnn_graph.h"

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cuda/library_check.h"
#include "hep2/core/error.h"

namespace hep2::cuda {

namespace {

// ---- descriptors -------------------------------------------------------------------------------

// Owns one backend descriptor; every attribute call is checked and says which attribute failed.
class Descriptor {
 public:
  Descriptor(cudnnBackendDescriptorType_t type, const char* what) : what_(what) {
    check(cudnnBackendCreateDescriptor(type, &d_), "cudnnBackendCreateDescriptor", -1);
  }
  ~Descriptor() {
    if (d_) cudnnBackendDestroyDescriptor(d_);
  }
  Descriptor(Descriptor&& o) noexcept : d_(std::exchange(o.d_, nullptr)), what_(o.what_) {}
  Descriptor& operator=(Descriptor&& o) noexcept {
    std::swap(d_, o.d_);
    std::swap(what_, o.what_);
    return *this;
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;

  cudnnBackendDescriptor_t get() const { return d_; }

  Descriptor& set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
                  const void* values) {
    check(cudnnBackendSetAttribute(d_, name, type, count, values), "cudnnBackendSetAttribute",
          int(name));
    return *this;
  }
  Descriptor& set_int64(cudnnBackendAttributeName_t name, std::vector<int64_t> values) {
    return set(name, CUDNN_TYPE_INT64, int64_t(values.size()), values.data());
  }
  Descriptor& set_descriptor(cudnnBackendAttributeName_t name, const Descriptor& value) {
    cudnnBackendDescriptor_t raw = value.get();
    return set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &raw);
  }
  Descriptor& set_handle(cudnnBackendAttributeName_t name, cudnnHandle_t handle) {
    return set(name, CUDNN_TYPE_HANDLE, 1, &handle);
  }
  void finalize() { check(cudnnBackendFinalize(d_), "cudnnBackendFinalize", -1); }
  // Finalize that reports failure instead of throwing (engine configurations may be unsupported).
  cudnnStatus_t try_finalize() { return cudnnBackendFinalize(d_); }

  void check(cudnnStatus_t status, const char* call, int attribute) const {
    if (status == CUDNN_STATUS_SUCCESS) return;
    std::ostringstream text;
    text << call << " on the " << what_ << " descriptor";
    if (attribute >= 0) text << " (attribute " << attribute << ")";
    detail::throw_cudnn_error(status, text.str().c_str(), __FILE__, __LINE__);
  }

 private:
  cudnnBackendDescriptor_t d_ = nullptr;
  const char* what_;
};

// Tensor UIDs inside each one-operation graph.
constexpr int64_t kUidX = 1, kUidW = 2, kUidY = 3;

Descriptor make_tensor(int64_t uid, const std::array<int64_t, 4>& dims, int64_t alignment) {
  Descriptor t(CUDNN_BACKEND_TENSOR_DESCRIPTOR, "tensor");
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  // Packed NCHW (weights: K x C x R x S).
  std::vector<int64_t> strides = {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1};
  t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type)
      .set_int64(CUDNN_ATTR_TENSOR_DIMENSIONS, {dims[0], dims[1], dims[2], dims[3]})
      .set_int64(CUDNN_ATTR_TENSOR_STRIDES, strides)
      .set_int64(CUDNN_ATTR_TENSOR_UNIQUE_ID, {uid})
      .set_int64(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, {alignment});
  t.finalize();
  return t;
}

Descriptor make_convolution(const ConvGeom& g) {
  Descriptor c(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, "convolution");
  cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;  // PyTorch's "convolution"
  c.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &compute)
      .set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode)
      .set_int64(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, {2})
      .set_int64(CUDNN_ATTR_CONVOLUTION_DILATIONS, {1, 1})
      .set_int64(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, {g.stride, g.stride})
      .set_int64(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, {g.pad, g.pad})
      .set_int64(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, {g.pad, g.pad});
  c.finalize();
  return c;
}

// The largest of 16, 8, 4 bytes that divides the address: cuDNN picks vectorised engines only
// when told the tensors allow them, and views into the flat parameter buffer may be 4-aligned.
int alignment_of(const void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  if (a % 16 == 0) return 16;
  if (a % 8 == 0) return 8;
  return 4;
}

template <class Note>
bool has_note(const std::vector<Note>& notes, Note note) {
  for (auto n : notes)
    if (n == note) return true;
  return false;
}

const char* op_name(int op) {
  switch (op) {
    case 0:
      return "forward";
    case 1:
      return "backward-data";
    default:
      return "backward-filter";
  }
}

std::string geometry_text(const ConvGeom& g) {
  std::ostringstream s;
  s << "input " << g.n << "x" << g.c_in << "x" << g.h << "x" << g.w << ", " << g.c_out
    << " outputs, kernel " << g.k_h << "x" << g.k_w << ", stride " << g.stride << ", pad " << g.pad;
  return s.str();
}

void check_geometry(const ConvGeom& g, const char* op) {
  if (g.n <= 0 || g.c_in <= 0 || g.h <= 0 || g.w <= 0 || g.c_out <= 0 || g.k_h <= 0 || g.k_w <= 0 ||
      g.stride <= 0 || g.pad < 0 || g.conv_out_h() <= 0 || g.conv_out_w() <= 0)
    fail("conv2d ", op, ": invalid convolution geometry: ", geometry_text(g), " (output ",
         g.conv_out_h(), "x", g.conv_out_w(), ")");
}

}  // namespace

// ---- plans -------------------------------------------------------------------------------------

struct CudnnConv::Plan {
  // The whole descriptor chain stays alive with the plan that was built from it.
  std::vector<Descriptor> keep;
  Descriptor plan{CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, "execution plan"};
  std::array<int64_t, 3> uids{};
  size_t workspace = 0;
};

CudnnConv::CudnnConv(cudnnHandle_t handle, bool allow_tf32, size_t workspace_limit_bytes)
    : handle_(handle), allow_tf32_(allow_tf32), workspace_limit_(workspace_limit_bytes) {}

CudnnConv::~CudnnConv() = default;

const CudnnConv::Plan& CudnnConv::plan_for(Op op, const ConvGeom& g,
                                           const std::array<int, 3>& alignments) {
  Key key = {int(op), g.n,      g.c_in, g.h,           g.w,           g.c_out,      g.k_h,
             g.k_w,   g.stride, g.pad,  alignments[0], alignments[1], alignments[2]};
  if (auto it = plans_.find(key); it != plans_.end()) return *it->second;

  auto plan = std::make_unique<Plan>();
  const std::array<int64_t, 4> x_dims = {g.n, g.c_in, g.h, g.w};
  const std::array<int64_t, 4> w_dims = {g.c_out, g.c_in, g.k_h, g.k_w};
  const std::array<int64_t, 4> y_dims = {g.n, g.c_out, g.conv_out_h(), g.conv_out_w()};

  // The alignments come in the order of the op's pointers (see forward() & co.).
  Descriptor conv = make_convolution(g);
  std::vector<Descriptor> tensors;
  float alpha = 1.f, beta = 0.f;
  auto make_operation = [&]() -> Descriptor {
    switch (op) {
      case Op::Forward: {  // pointers: x, w, y
        tensors.push_back(make_tensor(kUidX, x_dims, alignments[0]));
        tensors.push_back(make_tensor(kUidW, w_dims, alignments[1]));
        tensors.push_back(make_tensor(kUidY, y_dims, alignments[2]));
        plan->uids = {kUidX, kUidW, kUidY};
        Descriptor o(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                     "convolution forward operation");
        o.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, tensors[0])
            .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, tensors[1])
            .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, tensors[2])
            .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, conv)
            .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha)
            .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
        return o;
      }
      case Op::BackwardData: {  // pointers: dy, w, dx
        tensors.push_back(make_tensor(kUidY, y_dims, alignments[0]));
        tensors.push_back(make_tensor(kUidW, w_dims, alignments[1]));
        tensors.push_back(make_tensor(kUidX, x_dims, alignments[2]));
        plan->uids = {kUidY, kUidW, kUidX};
        Descriptor o(CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR,
                     "convolution backward-data operation");
        o.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY, tensors[0])
            .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W, tensors[1])
            .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX, tensors[2])
            .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC, conv)
            .set(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha)
            .set(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
        return o;
      }
      case Op::BackwardFilter:  // pointers: x, dy, dw
        break;
    }
    tensors.push_back(make_tensor(kUidX, x_dims, alignments[0]));
    tensors.push_back(make_tensor(kUidY, y_dims, alignments[1]));
    tensors.push_back(make_tensor(kUidW, w_dims, alignments[2]));
    plan->uids = {kUidX, kUidY, kUidW};
    Descriptor o(CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_FILTER_DESCRIPTOR,
                 "convolution backward-filter operation");
    o.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_X, tensors[0])
        .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_DY, tensors[1])
        .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_DW, tensors[2])
        .set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_CONV_DESC, conv)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
    return o;
  };
  Descriptor operation = make_operation();
  operation.finalize();

  Descriptor graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, "operation graph");
  cudnnBackendDescriptor_t raw_operation = operation.get();
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &raw_operation)
      .set_handle(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, handle_);
  graph.finalize();

  // Candidates: the heuristic's ranking (mode A) first, then the fallback list, which holds the
  // plain engines that support nearly every shape.
  std::vector<Descriptor> configs;
  for (cudnnBackendHeurMode_t mode : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    Descriptor heuristics(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, "engine heuristics");
    heuristics.set_descriptor(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph)
        .set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode);
    if (heuristics.try_finalize() != CUDNN_STATUS_SUCCESS) continue;  // mode not offered here
    int64_t available = 0;
    heuristics.check(
        cudnnBackendGetAttribute(heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &available, nullptr),
        "cudnnBackendGetAttribute(count of results)", CUDNN_ATTR_ENGINEHEUR_RESULTS);
    if (available <= 0) continue;
    std::vector<Descriptor> batch;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (int64_t i = 0; i < available; ++i) {
      batch.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, "engine configuration");
      raw.push_back(batch.back().get());
    }
    int64_t returned = 0;
    heuristics.check(
        cudnnBackendGetAttribute(heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, available, &returned, raw.data()),
        "cudnnBackendGetAttribute(results)", CUDNN_ATTR_ENGINEHEUR_RESULTS);
    for (int64_t i = 0; i < returned && i < available; ++i) configs.push_back(std::move(batch[i]));
  }

  // What each candidate's engine promises: numerical notes (determinism, TF32) and behaviour
  // notes (run-time compiled engines build their kernels with NVRTC at finalize: seconds each).
  struct Notes {
    std::vector<cudnnBackendNumericalNote_t> numerical;
    std::vector<cudnnBackendBehaviorNote_t> behavior;
  };
  std::vector<Notes> notes_of(configs.size());
  for (size_t c = 0; c < configs.size(); ++c) {
    Descriptor engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR, "engine");
    cudnnBackendDescriptor_t raw_engine = engine.get();
    int64_t got = 0;
    engine.check(cudnnBackendGetAttribute(configs[c].get(), CUDNN_ATTR_ENGINECFG_ENGINE,
                                          CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &got, &raw_engine),
                 "cudnnBackendGetAttribute(engine of configuration)", CUDNN_ATTR_ENGINECFG_ENGINE);
    Notes& n = notes_of[c];
    n.numerical.resize(CUDNN_NUMERICAL_NOTE_TYPE_COUNT);
    engine.check(cudnnBackendGetAttribute(raw_engine, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE,
                                          CUDNN_TYPE_NUMERICAL_NOTE, int64_t(n.numerical.size()),
                                          &got, n.numerical.data()),
                 "cudnnBackendGetAttribute(numerical notes)", CUDNN_ATTR_ENGINE_NUMERICAL_NOTE);
    n.numerical.resize(size_t(got < 0 ? 0 : got));
    n.behavior.resize(CUDNN_BEHAVIOR_NOTE_TYPE_COUNT);
    engine.check(cudnnBackendGetAttribute(raw_engine, CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE,
                                          CUDNN_TYPE_BEHAVIOR_NOTE, int64_t(n.behavior.size()),
                                          &got, n.behavior.data()),
                 "cudnnBackendGetAttribute(behavior notes)", CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE);
    n.behavior.resize(size_t(got < 0 ? 0 : got));
  }

  // The order candidates are tried in: precompiled engines before run-time compiled ones (those
  // are reached only when no precompiled engine fits) and, when TF32 is allowed, tensor-core
  // engines before the others (that is what --tf32 asks for); otherwise the heuristic's order.
  // The choice depends on the shape alone, never on timings, so every run picks the same engine
  // (and the same bits).
  std::vector<size_t> order(configs.size());
  for (size_t c = 0; c < order.size(); ++c) order[c] = c;
  auto rank = [&](size_t c) {
    const Notes& n = notes_of[c];
    const bool compiled_at_run_time = has_note(n.behavior, CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION);
    const bool tensor_core = has_note(n.numerical, CUDNN_NUMERICAL_NOTE_TENSOR_CORE);
    return 2 * int(compiled_at_run_time) + int(allow_tf32_ && !tensor_core);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rank(a) < rank(b); });

  bool found = false;
  int rejected_nondeterministic = 0, rejected_tf32 = 0, rejected_reduced = 0,
      rejected_workspace = 0, rejected_unsupported = 0;
  cudnnStatus_t last_failure = CUDNN_STATUS_SUCCESS;
  for (size_t c : order) {
    const Notes& n = notes_of[c];
    // Same inputs must give the same bits, always (hep2 is deterministic by default).
    if (has_note(n.numerical, CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC)) {
      ++rejected_nondeterministic;
      continue;
    }
    // Engines that convert FP32 inputs to a narrower type (FP16, BF16) or reduce in one are
    // never taken: that is not what TF32 allows, and it loses far more than TF32's 10-bit inputs.
    if (has_note(n.numerical, CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS) ||
        has_note(n.numerical, CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION)) {
      ++rejected_reduced;
      continue;
    }
    // For float tensors the tensor-core engines compute in TF32: only when allowed.
    if (!allow_tf32_ && has_note(n.numerical, CUDNN_NUMERICAL_NOTE_TENSOR_CORE)) {
      ++rejected_tf32;
      continue;
    }
    Descriptor candidate(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, "execution plan");
    candidate.set_handle(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, handle_)
        .set_descriptor(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, configs[c]);
    cudnnStatus_t status = candidate.try_finalize();
    if (status != CUDNN_STATUS_SUCCESS) {
      ++rejected_unsupported;
      last_failure = status;
      continue;
    }
    int64_t workspace = 0, got = 0;
    candidate.check(
        cudnnBackendGetAttribute(candidate.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                 CUDNN_TYPE_INT64, 1, &got, &workspace),
        "cudnnBackendGetAttribute(workspace size)", CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE);
    if (workspace < 0 || size_t(workspace) > workspace_limit_) {
      ++rejected_workspace;
      continue;
    }
    plan->plan = std::move(candidate);
    plan->workspace = size_t(workspace);
    plan->keep.push_back(std::move(configs[c]));
    found = true;
    break;
  }
  if (!found)
    fail("cuDNN has no usable engine for conv2d ", op_name(int(op)), " (", geometry_text(g),
         "): of ", configs.size(), " candidates ", rejected_nondeterministic,
         " were non-deterministic, ", rejected_reduced,
         " down-convert inputs or reduce in reduced precision (never used), ", rejected_tf32,
         " used TF32/tensor cores (allowed only with TF32 on), ", rejected_workspace,
         " needed more than ", workspace_limit_ >> 20, " MiB of workspace, ",
         rejected_unsupported, " failed to build",
         rejected_unsupported ? std::string(" (last: ") + cudnnGetErrorString(last_failure) + ")"
                              : std::string());

  plan->keep.push_back(std::move(graph));
  plan->keep.push_back(std::move(operation));
  plan->keep.push_back(std::move(conv));
  for (Descriptor& t : tensors) plan->keep.push_back(std::move(t));
  return *plans_.emplace(key, std::move(plan)).first->second;
}

void CudnnConv::execute(const Plan& plan, const std::array<const void*, 3>& pointers, Workspace& ws,
                        cudaStream_t stream) {
  void* workspace = ws.get(plan.workspace, stream);
  std::array<void*, 3> data = {const_cast<void*>(pointers[0]), const_cast<void*>(pointers[1]),
                               const_cast<void*>(pointers[2])};
  Descriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, "variant pack");
  pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, 3, plan.uids.data())
      .set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, 3, data.data())
      .set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
  pack.finalize();
  HEP2_CUDNN_CHECK(cudnnBackendExecute(handle_, plan.plan.get(), pack.get()));
}

void CudnnConv::forward(const ConvGeom& g, const float* x, const float* w, float* y, Workspace& ws,
                        cudaStream_t stream) {
  check_geometry(g, "forward");
  const Plan& plan = plan_for(Op::Forward, g, {alignment_of(x), alignment_of(w), alignment_of(y)});
  execute(plan, {x, w, y}, ws, stream);
}

void CudnnConv::backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx,
                              Workspace& ws, cudaStream_t stream) {
  check_geometry(g, "backward-data");
  const Plan& plan =
      plan_for(Op::BackwardData, g, {alignment_of(dy), alignment_of(w), alignment_of(dx)});
  execute(plan, {dy, w, dx}, ws, stream);
}

void CudnnConv::backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw,
                                Workspace& ws, cudaStream_t stream) {
  check_geometry(g, "backward-filter");
  const Plan& plan =
      plan_for(Op::BackwardFilter, g, {alignment_of(x), alignment_of(dy), alignment_of(dw)});
  execute(plan, {x, dy, dw}, ws, stream);
}

}  // namespace hep2::cuda
