// Names joined for messages and reports: "a, b, c".
#pragma once
#include <string>
#include <vector>

namespace hep2 {

inline std::string joined(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? separator : "") + names[i];
  return out;
}

}  // namespace hep2
