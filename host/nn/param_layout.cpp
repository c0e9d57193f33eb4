// ParamLayout: the padded storage of the flat parameter vector (see param_layout.h).
#include "hep2/nn/param_layout.h"

#include <algorithm>

namespace hep2 {

ParamLayout ParamLayout::packed(size_t count) {
  ParamLayout l;
  if (count) l.add(count);
  return l;
}

size_t ParamLayout::add(size_t count) {
  Slice s{count_, count, stride_};
  slices_.push_back(s);
  count_ += count;
  stride_ += padded(count);
  return s.storage;
}

void ParamLayout::pack(const float* section, float* packed_values) const {
  for (const Slice& s : slices_)
    std::copy(section + s.storage, section + s.storage + s.count, packed_values + s.offset);
}

void ParamLayout::unpack(const float* packed_values, float* section) const {
  for (const Slice& s : slices_)
    std::copy(packed_values + s.offset, packed_values + s.offset + s.count, section + s.storage);
}

}  // namespace hep2
