// Parsing and naming photometric changes; preprocess.cpp applies them.
#include "hep2/pipeline/photometric.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "hep2/core/error.h"

namespace hep2 {

namespace {

const char* kForm =
    "write gammaG (intensity^G, G in (0, 10]) or blurS (a Gaussian blur of sigma S "
    "pixels, S in (0, 20]), or both joined by '+', e.g. gamma2+blur1";

// The number right after `name` in the term, or NaN when it is not a whole number.
float number_after(const std::string& term, size_t name_length) {
  const std::string digits = term.substr(name_length);
  if (digits.empty()) return std::nanf("");
  char* end = nullptr;
  const float v = std::strtof(digits.c_str(), &end);
  return (end && *end == '\0' && std::isfinite(v)) ? v : std::nanf("");
}

}  // namespace

Photometric parse_photometric(const std::string& token) {
  if (token.empty()) fail("photometric change '' is empty; ", kForm);
  Photometric p;
  bool has_gamma = false, has_blur = false;
  std::stringstream terms(token);
  std::string term;
  int count = 0;
  while (std::getline(terms, term, '+')) {
    ++count;
    if (term.rfind("gamma", 0) == 0 && !has_gamma) {
      p.gamma = number_after(term, 5);
      if (!(p.gamma > 0.0f && p.gamma <= 10.0f))
        fail("photometric change '", token, "': '", term, "' is not a gamma in (0, 10]; ", kForm);
      has_gamma = true;
    } else if (term.rfind("blur", 0) == 0 && !has_blur) {
      p.blur = number_after(term, 4);
      if (!(p.blur > 0.0f && p.blur <= 20.0f))
        fail("photometric change '", token, "': '", term, "' is not a blur sigma in (0, 20]; ",
             kForm);
      has_blur = true;
    } else {
      fail("photometric change '", token, "': '", term, "' is not understood; ", kForm);
    }
  }
  if (count == 0 || token.back() == '+') fail("photometric change '", token, "' is empty; ", kForm);
  return p;
}

std::vector<Photometric> parse_photometric_list(const std::vector<std::string>& tokens) {
  std::vector<Photometric> out;
  for (const std::string& t : tokens) out.push_back(parse_photometric(t));
  return out;
}

std::string to_string(const Photometric& p) {
  if (p.identity()) return "none";
  std::ostringstream s;
  if (p.gamma != 1.0f) s << "gamma" << p.gamma;
  if (p.blur != 0.0f) s << (p.gamma != 1.0f ? "+" : "") << "blur" << p.blur;
  return s.str();
}

}  // namespace hep2
