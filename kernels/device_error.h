// Errors that only a kernel can see: an index read from device memory that the CPU backend would
// refuse. The kernel skips the bad element and stores the error's bit into a flag word in mapped
// host memory (plain stores, no atomics: any nonzero value means "failed"); the CUDA backend reads
// and clears the word each time its stream has synchronised (download, sync, HEP2_CUDA_SYNC) and
// throws the error there. Plain C++: the backend includes it too.
#pragma once

namespace hep2::kernels {

enum DeviceError : unsigned {
  kGatherNegativeIndex = 1u << 0,   // gather_batch: index[i] < 0
  kLabelsNegativeIndex = 1u << 1,   // gather_labels: index[i] < 0
  kColumnSumsNegativeRow = 1u << 2,  // column_sums: rows[k] < 0
};

}  // namespace hep2::kernels
