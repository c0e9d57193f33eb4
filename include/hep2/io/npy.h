// NumPy .npy files (format 1.0/2.0, little-endian, C order): the feature dumps, labels and test
// fixtures. Readers refuse anything else with a message that names the file and the problem.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hep2::npy {

struct Array {
  std::string dtype;            // as in the header: "<f4", "<f8", "<i4", "<i8", "|u1"
  std::vector<size_t> shape;
  std::vector<unsigned char> bytes;  // raw little-endian data, C order
  size_t count() const;              // product of shape (1 for a 0-d array)
  // Converted copies; throw Error when the dtype cannot be converted without loss of meaning
  // (e.g. to_i32 of a float array).
  std::vector<float> to_f32() const;
  std::vector<int32_t> to_i32() const;
};

Array load(const std::string& path);
// Saves atomically (see atomic_file.h).
void save(const std::string& path, const float* data, const std::vector<size_t>& shape);
void save(const std::string& path, const int32_t* data, const std::vector<size_t>& shape);

}  // namespace hep2::npy
