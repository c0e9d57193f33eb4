// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian; C order).
// The header is a Python dict literal; we parse exactly the three keys NumPy writes and refuse
// anything we cannot interpret faithfully, naming the file and what to do about it.
#include "hep2/io/npy.h"

#include <bit>
#include <cctype>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2::npy {

// The raw bytes are handed out as native values; every platform hep2 targets is little-endian.
static_assert(std::endian::native == std::endian::little,
              "hep2's .npy code assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

size_t item_size(const std::string& dtype) {
  if (dtype == "<f4" || dtype == "<i4") return 4;
  if (dtype == "<f8" || dtype == "<i8") return 8;
  if (dtype == "|u1") return 1;
  return 0;
}

// A cursor over the header dict text; errors carry the file name and the whole header.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  [[noreturn]] void bad(const std::string& why) const {
    fail("cannot read ", path_, ": malformed .npy header (", why, "): '", text_,
         "'; re-save it with numpy.save");
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) bad(std::string("expected '") + c + "'");
  }
  bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }
  std::string quoted() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      bad("expected a quoted string");
    char q = text_[pos_++];
    auto end = text_.find(q, pos_);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad("expected True or False");
  }
  size_t integer() {
    skip_space();
    if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
      bad("expected a non-negative integer");
    size_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      size_t digit = size_t(text_[pos_++] - '0');
      if (v > (std::numeric_limits<size_t>::max() - digit) / 10) bad("dimension too large");
      v = v * 10 + digit;
    }
    return v;
  }
  // "()", "(5,)", "(2, 3)", "(2, 3,)".
  std::vector<size_t> tuple() {
    std::vector<size_t> dims;
    expect('(');
    if (accept(')')) return dims;
    for (;;) {
      dims.push_back(integer());
      if (accept(')')) return dims;
      expect(',');
      if (accept(')')) return dims;
    }
  }
  // The descr value may be a list (structured dtype); report that as unsupported, not malformed.
  bool next_is_quote() {
    skip_space();
    return pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"');
  }

 private:
  const std::string& path_;
  std::string_view text_;
  size_t pos_ = 0;
};

struct Header {
  std::string dtype;
  bool fortran = false;
  std::vector<size_t> shape;
};

Header parse_header(const std::string& path, std::string_view text) {
  HeaderParser p(path, text);
  Header h;
  bool have_descr = false, have_order = false, have_shape = false;
  p.expect('{');
  while (!p.accept('}')) {
    std::string key = p.quoted();
    p.expect(':');
    if (key == "descr") {
      if (!p.next_is_quote())
        fail("cannot read ", path, ": structured .npy dtypes are not supported (header '", text,
             "'); save a plain float32 or int32 array");
      h.dtype = p.quoted();
      have_descr = true;
    } else if (key == "fortran_order") {
      h.fortran = p.boolean();
      have_order = true;
    } else if (key == "shape") {
      h.shape = p.tuple();
      have_shape = true;
    } else {
      p.bad("unknown key '" + key + "'");
    }
    if (!p.accept(',')) {
      p.expect('}');
      break;
    }
  }
  if (!p.at_end()) p.bad("text after the closing brace");
  if (!have_descr || !have_order || !have_shape) p.bad("missing descr, fortran_order or shape");
  return h;
}

std::string header_text(const std::string& dtype, const std::vector<size_t>& shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) dims += ", ";
    dims += std::to_string(shape[i]);
  }
  if (shape.size() == 1) dims += ",";  // a 1-tuple needs its comma in Python syntax
  return "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }";
}

size_t checked_count(const std::vector<size_t>& shape, const std::string& path) {
  size_t n = 1;
  for (size_t d : shape) {
    if (d != 0 && n > std::numeric_limits<size_t>::max() / d)
      fail("cannot use ", path, ": the shape's element count overflows");
    n *= d;
  }
  return n;
}

void save_raw(const std::string& path, const std::string& dtype, const void* data,
              size_t elem_size, const std::vector<size_t>& shape) {
  const size_t count = checked_count(shape, path);
  std::string dict = header_text(dtype, shape);
  // NumPy pads the header with spaces and a final newline so that the data starts on a 64-byte
  // boundary (memory-mapping friendly). Version 1.0 has a 2-byte header length, 2.0 a 4-byte one.
  auto padded_total = [&](size_t prefix) { return (prefix + dict.size() + 1 + 63) / 64 * 64; };
  size_t prefix = kMagicLen + 2 + 2;
  unsigned char major = 1;
  if (padded_total(prefix) - prefix > 65535) {
    prefix = kMagicLen + 2 + 4;
    major = 2;
  }
  const size_t total = padded_total(prefix);
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict.push_back('\n');

  std::string out;
  out.reserve(total + count * elem_size);
  out.append(kMagic, kMagicLen);
  out.push_back(char(major));
  out.push_back(char(0));
  size_t hlen = dict.size();
  out.push_back(char(hlen & 0xff));
  out.push_back(char((hlen >> 8) & 0xff));
  if (major == 2) {
    out.push_back(char((hlen >> 16) & 0xff));
    out.push_back(char((hlen >> 24) & 0xff));
  }
  out += dict;
  if (count) out.append(static_cast<const char*>(data), count * elem_size);
  write_file_atomic(path, out);
}

// An Array can be assembled by hand; never read past its bytes whatever its shape claims.
void check_byte_count(const Array& a) {
  const size_t elem = item_size(a.dtype);
  if (elem != 0 && a.bytes.size() != a.count() * elem)
    fail("inconsistent .npy array: its shape's ", a.count(), " elements of ", a.dtype, " need ",
         a.count() * elem, " bytes, it holds ", a.bytes.size());
}

}  // namespace

size_t Array::count() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

std::vector<float> Array::to_f32() const {
  check_byte_count(*this);
  const size_t n = count();
  std::vector<float> out(n);
  const unsigned char* src = bytes.data();
  if (dtype == "<f4") {
    if (n) std::memcpy(out.data(), src, n * 4);
  } else if (dtype == "<f8") {
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      out[i] = float(v);
    }
  } else if (dtype == "<i4") {
    for (size_t i = 0; i < n; ++i) {
      int32_t v;
      std::memcpy(&v, src + 4 * i, 4);
      out[i] = float(v);
    }
  } else if (dtype == "<i8") {
    for (size_t i = 0; i < n; ++i) {
      int64_t v;
      std::memcpy(&v, src + 8 * i, 8);
      out[i] = float(v);
    }
  } else if (dtype == "|u1") {
    for (size_t i = 0; i < n; ++i) out[i] = float(src[i]);
  } else {
    fail("cannot convert a .npy array of dtype '", dtype, "' to float32");
  }
  return out;
}

std::vector<int32_t> Array::to_i32() const {
  check_byte_count(*this);
  const size_t n = count();
  std::vector<int32_t> out(n);
  const unsigned char* src = bytes.data();
  if (dtype == "<i4") {
    if (n) std::memcpy(out.data(), src, n * 4);
  } else if (dtype == "<i8") {
    for (size_t i = 0; i < n; ++i) {
      int64_t v;
      std::memcpy(&v, src + 8 * i, 8);
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        fail("cannot convert a .npy int64 array to int32: element ", i, " = ", v,
             " is out of range");
      out[i] = int32_t(v);
    }
  } else if (dtype == "|u1") {
    for (size_t i = 0; i < n; ++i) out[i] = int32_t(src[i]);
  } else {
    fail("cannot convert a .npy array of dtype '", dtype,
         "' to int32 (only integer arrays are labels or indices)");
  }
  return out;
}

Array load(const std::string& path) {
  const std::string file = read_file(path);
  auto need = [&](size_t n, const char* what) {
    if (file.size() < n)
      fail("cannot read ", path, ": truncated .npy file (", file.size(), " bytes, ", what,
           " needs ", n, "); re-create it");
  };
  need(kMagicLen + 2, "the magic string and version");
  if (file.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    fail("cannot read ", path, ": not a .npy file (wrong magic string); save it with numpy.save");
  const auto major = static_cast<unsigned char>(file[kMagicLen]);
  const auto minor = static_cast<unsigned char>(file[kMagicLen + 1]);
  if (major < 1 || major > 3 || minor != 0)
    fail("cannot read ", path, ": .npy format version ", int(major), ".", int(minor),
         " is not supported (1.0, 2.0 and 3.0 are)");
  const size_t len_bytes = major == 1 ? 2 : 4;
  need(kMagicLen + 2 + len_bytes, "the header length");
  size_t hlen = 0;
  for (size_t i = 0; i < len_bytes; ++i)
    hlen |= size_t(static_cast<unsigned char>(file[kMagicLen + 2 + i])) << (8 * i);
  const size_t data_at = kMagicLen + 2 + len_bytes + hlen;
  need(data_at, "the header");
  std::string_view text(file.data() + kMagicLen + 2 + len_bytes, hlen);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0'))
    text.remove_suffix(1);
  Header h = parse_header(path, text);

  if (h.fortran)
    fail("cannot read ", path, ": Fortran-order .npy arrays are not supported; save a C-order "
         "array (numpy.ascontiguousarray)");
  const size_t elem = item_size(h.dtype);
  if (elem == 0) {
    if (!h.dtype.empty() && h.dtype[0] == '>')
      fail("cannot read ", path, ": big-endian dtype '", h.dtype,
           "' is not supported; convert with arr.astype(arr.dtype.newbyteorder('<'))");
    fail("cannot read ", path, ": unsupported dtype '", h.dtype,
         "' (supported: <f4, <f8, <i4, <i8, |u1)");
  }
  const size_t count = checked_count(h.shape, path);
  if (count > std::numeric_limits<size_t>::max() / elem)
    fail("cannot read ", path, ": the shape's byte count overflows");
  const size_t data_bytes = count * elem;
  const size_t have = file.size() - data_at;
  if (have < data_bytes)
    fail("cannot read ", path, ": truncated .npy file (the header promises ", data_bytes,
         " data bytes, the file holds ", have, "); re-create it");
  if (have > data_bytes)
    fail("cannot read ", path, ": ", have - data_bytes,
         " unexpected bytes after the array data; the file is corrupt or not a plain .npy");

  Array a;
  a.dtype = h.dtype;
  a.shape = std::move(h.shape);
  a.bytes.assign(reinterpret_cast<const unsigned char*>(file.data()) + data_at,
                 reinterpret_cast<const unsigned char*>(file.data()) + file.size());
  return a;
}

void save(const std::string& path, const float* data, const std::vector<size_t>& shape) {
  save_raw(path, "<f4", data, sizeof(float), shape);
}

void save(const std::string& path, const int32_t* data, const std::vector<size_t>& shape) {
  save_raw(path, "<i4", data, sizeof(int32_t), shape);
}

}  // namespace hep2::npy
