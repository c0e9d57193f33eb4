// Argument checks that the CPU and CUDA backends share (declared in backend.h), so both refuse the
// same calls with the same words; and Backend::capture's answer where nothing can be captured.
#include "hep2/backend/backend.h"
#include "hep2/core/error.h"

namespace hep2 {

void check_copy_rows(size_t dst_pitch, size_t src_pitch, size_t row_bytes) {
  if (row_bytes > dst_pitch || row_bytes > src_pitch)
    fail("copy_rows: runs of ", row_bytes, " bytes do not fit pitches of ", dst_pitch, " and ",
         src_pitch);
}

void check_column_sums(int cols, int count) {
  if (cols < 0 || count < 0) fail("column_sums: negative size (", cols, " columns, ", count, " rows)");
}

void check_standardize_columns(int rows, int cols) {
  if (rows < 0 || cols < 0)
    fail("standardize_columns: negative size (", rows, " rows, ", cols, " columns)");
}

void check_channel_stats(int batch, int channels, int positions) {
  if (batch < 0 || channels < 0 || positions < 1)
    fail("channel_stats: ", batch, " samples of ", channels, " channels x ", positions,
         " positions (need at least one position)");
}

// The default for backends that run each op as it is called (the CPU backend): nothing is queued
// that could be recorded.
std::unique_ptr<CapturedWork> Backend::capture(const std::function<void()>&) {
  fail("CUDA graphs need the CUDA backend: ", name(),
       " runs each op as it is called and has nothing to capture; use --device cuda");
}

}  // namespace hep2
