// Errors: one exception type for everything hep2 refuses, with the place it was raised.
// Library code throws; only main() turns an Error into a message and an exit code.
// A message that tells the user which setting to change names it by its key in braces, e.g.
// "lower the learning rate ({lr})": the layers below the command line know settings, not flags;
// the command line renders "{lr}" as its flag, --lr.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace hep2 {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <class T, class... R>
void append(std::ostringstream& os, const T& v, const R&... rest) {
  os << v;
  append(os, rest...);
}
}  // namespace detail

// Builds a message from any streamable pieces: fail("batch ", n, " is too large").
template <class... A>
[[noreturn]] void fail(const A&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  throw Error(os.str());
}

}  // namespace hep2

// Internal invariants (not user input): the message says which condition broke and where.
#define HEP2_CHECK(cond, ...)                                                          \
  do {                                                                                 \
    if (!(cond)) ::hep2::fail(__FILE__, ":", __LINE__, ": check '", #cond, "' failed: ", \
                              __VA_ARGS__);                                            \
  } while (0)
