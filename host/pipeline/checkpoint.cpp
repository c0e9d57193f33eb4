// Checkpoint files: serialisation, checksum and validation.
#include "hep2/pipeline/checkpoint.h"

#include <cstring>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2 {
namespace {

constexpr char kMagic[8] = {'H', 'E', 'P', '2', 'C', 'K', 'P', 'T'};

uint64_t fnv1a(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= uint8_t(p[i]);
    h *= 1099511628211ull;
  }
  return h;
}

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  std::string header = ckpt.header.dump();
  std::string s;
  s.reserve(64 + header.size() + ckpt.values.size() * sizeof(float));
  s.append(kMagic, 8);
  put<uint32_t>(s, kCheckpointVersion);
  put<uint64_t>(s, header.size());
  s += header;
  put<uint64_t>(s, ckpt.values.size());
  s.append(reinterpret_cast<const char*>(ckpt.values.data()), ckpt.values.size() * sizeof(float));
  put<uint64_t>(s, fnv1a(s.data(), s.size()));
  write_file_atomic(path, s);
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string s = read_file(path);
  auto bad = [&](const std::string& what) {
    fail(path, ": not a usable hep2 checkpoint (", what,
         "); point to a checkpoint written by hep2 (e.g. <run>/dcae.ckpt) or retrain");
  };
  if (s.size() < 8 + 4 + 8 || std::memcmp(s.data(), kMagic, 8) != 0) bad("wrong magic number");
  size_t at = 8;
  auto get = [&](auto& v) {
    if (at + sizeof(v) > s.size()) bad("truncated");
    std::memcpy(&v, s.data() + at, sizeof(v));
    at += sizeof(v);
  };
  uint32_t version = 0;
  get(version);
  if (version != kCheckpointVersion)
    fail(path, ": checkpoint format version ", version, ", this hep2 reads version ",
         kCheckpointVersion, "; retrain with this version");
  uint64_t hlen = 0;
  get(hlen);
  if (hlen > s.size() - at) bad("truncated header");
  Checkpoint c;
  std::string header = s.substr(at, hlen);
  at += hlen;
  uint64_t count = 0;
  get(count);
  if (count > (s.size() - at) / sizeof(float)) bad("truncated parameters");
  c.values.resize(count);
  // memcpy from/to the null data() of an empty vector is undefined even for 0 bytes (UBSan,
  // found by tests/fuzz/fuzz_checkpoint.cpp).
  if (count) std::memcpy(c.values.data(), s.data() + at, count * sizeof(float));
  at += count * sizeof(float);
  uint64_t sum = 0;
  size_t body = at;
  get(sum);
  if (at != s.size()) bad("trailing bytes");
  if (sum != fnv1a(s.data(), body)) bad("checksum mismatch: the file is corrupt");
  try {
    c.header = nlohmann::json::parse(header);
  } catch (const std::exception& e) {
    bad(std::string("header is not JSON: ") + e.what());
  }
  return c;
}

}  // namespace hep2
