// ASCII lower case, for names users spell freely: file extensions, class and split names.
#pragma once
#include <cctype>
#include <string>

namespace hep2 {

inline std::string lower_case(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace hep2
