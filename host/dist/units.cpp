// Dealing units to ranks and gathering their results.
#include "hep2/dist/units.h"

#include <cstdint>
#include <cstring>
#include <exception>

#include "hep2/core/error.h"

namespace hep2::dist {

std::vector<std::string> run_units(Communicator& c, size_t count,
                                   const std::function<std::string(size_t)>& name,
                                   const std::function<std::string(size_t)>& run) {
  // Each rank's results, concatenated as (length, bytes) in its units' order.
  std::string mine;
  for (size_t i = 0; i < count; ++i) {
    if (!is_mine(c, i)) continue;
    std::string result;
    if (c.size() == 1) {
      result = run(i);
    } else {
      try {
        result = run(i);
      } catch (const std::exception& e) {
        fail("rank ", c.rank(), " of ", c.size(), ", unit ", name(i), ": ", e.what());
      }
    }
    const uint64_t n = result.size();
    mine.append(reinterpret_cast<const char*>(&n), sizeof n);
    mine += result;
  }
  const std::vector<std::string> per_rank = c.gather(mine);
  std::vector<std::string> results;
  if (c.rank() != 0) return results;
  results.resize(count);
  std::vector<size_t> at(per_rank.size(), 0);
  for (size_t i = 0; i < count; ++i) {
    const size_t r = i % size_t(c.size());
    const std::string& from = per_rank.at(r);
    uint64_t n = 0;
    HEP2_CHECK(at[r] + sizeof n <= from.size(), "rank ", r, " sent fewer results than units");
    std::memcpy(&n, from.data() + at[r], sizeof n);
    at[r] += sizeof n;
    HEP2_CHECK(at[r] + n <= from.size(), "rank ", r, " sent a truncated result");
    results[i] = from.substr(at[r], size_t(n));
    at[r] += size_t(n);
  }
  return results;
}

std::string pack_tables(const std::vector<std::vector<float>>& tables) {
  std::string out;
  auto put = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(tables.size());
  for (const std::vector<float>& t : tables) {
    put(t.size());
    if (!t.empty()) out.append(reinterpret_cast<const char*>(t.data()), t.size() * sizeof(float));
  }
  return out;
}

std::vector<std::vector<float>> unpack_tables(const std::string& bytes) {
  size_t at = 0;
  auto get = [&] {
    uint64_t v = 0;
    HEP2_CHECK(at + sizeof v <= bytes.size(), "packed tables end early");
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  const uint64_t count = get();
  std::vector<std::vector<float>> tables(static_cast<size_t>(count));
  for (std::vector<float>& t : tables) {
    const uint64_t n = get();
    t.resize(static_cast<size_t>(n));
    HEP2_CHECK(at + t.size() * sizeof(float) <= bytes.size(), "packed tables end early");
    if (!t.empty()) std::memcpy(t.data(), bytes.data() + at, t.size() * sizeof(float));
    at += t.size() * sizeof(float);
  }
  HEP2_CHECK(at == bytes.size(), "packed tables have ", bytes.size() - at, " bytes left over");
  return tables;
}

}  // namespace hep2::dist
