// Where the parameters of a network live in its flat parameter buffer.
//
// Logically the parameters are one vector in PyTorch order, layer after layer, weight then bias:
// checkpoints, fixtures, reports and ParamBlock's host transfers all use that packed vector. In
// device memory each layer's slice starts on a 256-byte boundary (zeros fill the gaps), so the
// weight tensors and their gradients that cuDNN and cuBLAS read and write are 256-byte aligned
// whatever the sizes before them: packed, the DCAE's odd-sized layers would leave most gradients
// only 4-byte aligned, which shuts cuDNN's vectorised engines out. Within a layer the weight and
// the bias stay back to back: a layer is handed one pointer, weight then bias (layer.h); the bias
// is read and written by hep2's own element-wise kernels, which need no alignment.
#pragma once
#include <cstddef>
#include <vector>

namespace hep2 {

class ParamLayout {
 public:
  static constexpr size_t kAlignBytes = 256;
  static constexpr size_t kAlignFloats = kAlignBytes / sizeof(float);
  static size_t padded(size_t count) {
    return (count + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  }

  // One layer's parameters: `count` values at `offset` of the packed vector and at `storage` of
  // each section of the buffer.
  struct Slice {
    size_t offset = 0, count = 0, storage = 0;
  };

  // A single slice holding everything (one tensor, or a caller that wants no padding).
  static ParamLayout packed(size_t count);

  // Appends a slice of `count` values; returns its storage offset (a multiple of kAlignFloats).
  size_t add(size_t count);

  size_t count() const { return count_; }    // values of the packed vector
  size_t stride() const { return stride_; }  // floats of one section: a multiple of kAlignFloats
  const std::vector<Slice>& slices() const { return slices_; }

  // Host-side conversions between one section (stride() floats) and the packed vector (count()).
  // unpack leaves the padding of `section` untouched (callers start from zeros).
  void pack(const float* section, float* packed_values) const;
  void unpack(const float* packed_values, float* section) const;

 private:
  std::vector<Slice> slices_;
  size_t count_ = 0, stride_ = 0;
};

}  // namespace hep2
