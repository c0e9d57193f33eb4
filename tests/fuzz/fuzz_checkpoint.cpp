// libFuzzer target: the checkpoint reader (`hep2 extract/eval/classify` and --resume read
// checkpoints a user may have truncated, copied from elsewhere or edited). Each input is tried
// twice: as it is, and "sealed" with its last 8 bytes replaced by the correct FNV-1a checksum
// (checkpoint.h), so that mutations get past the checksum and reach the header and JSON parsing.
// Any input must load or be refused with hep2::Error; a checkpoint that loads must survive a
// save/load round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_file.h"
#include "hep2/core/error.h"
#include "hep2/pipeline/checkpoint.h"

namespace {

// The checksum the format defines (FNV-1a 64 over every byte before it).
uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void try_load(const hep2::fuzz::FuzzFile& file, const hep2::fuzz::FuzzFile& copy,
              size_t file_size) {
  try {
    hep2::Checkpoint c = hep2::load_checkpoint(file.path());
    if (c.values.size() * sizeof(float) > file_size) std::abort();
    hep2::save_checkpoint(copy.path(), c);
    hep2::Checkpoint d = hep2::load_checkpoint(copy.path());
    if (d.header != c.header || d.values.size() != c.values.size() ||
        (!c.values.empty() &&
         std::memcmp(d.values.data(), c.values.data(), c.values.size() * sizeof(float)) != 0))
      std::abort();
  } catch (const hep2::Error&) {
    // refused with a message: the expected outcome for most inputs
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hep2::fuzz::ScratchDir dir("hep2_fuzz_checkpoint");
  static const hep2::fuzz::FuzzFile input(dir / "input.ckpt");
  static const hep2::fuzz::FuzzFile copy(dir / "copy.ckpt");
  input.write(data, size);
  try_load(input, copy, size);
  if (size >= 8) {
    std::string sealed(reinterpret_cast<const char*>(data), size);
    const uint64_t sum = fnv1a(data, size - 8);
    std::memcpy(sealed.data() + size - 8, &sum, 8);
    input.write(reinterpret_cast<const uint8_t*>(sealed.data()), size);
    try_load(input, copy, size);
  }
  return 0;
}
