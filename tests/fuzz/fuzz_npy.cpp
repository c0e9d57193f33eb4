// libFuzzer target: the .npy reader (features, labels and fixtures come from files anyone can
// edit). Any input must either load or be refused with hep2::Error; another exception, a crash or
// a sanitizer report is a finding. An array that loads must convert without reading past its
// bytes and must survive a save/load round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz_file.h"
#include "hep2/core/error.h"
#include "hep2/io/npy.h"

namespace {

void round_trip(const hep2::npy::Array& a, const std::string& path) {
  if (a.dtype == "<f4") {
    std::vector<float> v = a.to_f32();
    hep2::npy::save(path, v.data(), a.shape);
  } else if (a.dtype == "<i4") {
    std::vector<int32_t> v = a.to_i32();
    hep2::npy::save(path, v.data(), a.shape);
  } else {
    return;  // hep2 writes only float32 and int32
  }
  hep2::npy::Array b = hep2::npy::load(path);
  if (b.dtype != a.dtype || b.shape != a.shape || b.bytes != a.bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hep2::fuzz::ScratchDir dir("hep2_fuzz_npy");
  static const hep2::fuzz::FuzzFile input(dir / "input.npy");
  static const hep2::fuzz::FuzzFile copy(dir / "copy.npy");
  input.write(data, size);
  try {
    hep2::npy::Array a = hep2::npy::load(input.path());
    if (a.bytes.size() > size) std::abort();  // cannot hold more data than the file had
    try {
      std::vector<float> f = a.to_f32();
      if (f.size() != a.count()) std::abort();
    } catch (const hep2::Error&) {
    }
    try {
      std::vector<int32_t> i = a.to_i32();
      if (i.size() != a.count()) std::abort();
    } catch (const hep2::Error&) {
    }
    round_trip(a, copy.path());
  } catch (const hep2::Error&) {
    // refused with a message: the expected outcome for most inputs
  }
  return 0;
}
