// RFC 4180 CSV writing and reading (see include/hep2/report/csv.h).
#include "hep2/report/csv.h"

#include <charconv>
#include <cmath>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2 {

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  out += '\n';
  return out;
}

namespace {
template <class T>
std::string shortest(T value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  HEP2_CHECK(ec == std::errc(), "to_chars could not format a number");
  return std::string(buf, end);
}
}  // namespace

std::string format_number(double value) { return shortest(value); }
std::string format_number(float value) { return shortest(value); }

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::string text = csv_row(header);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != header.size())
      fail("cannot write ", path, ": row ", r, " has ", rows[r].size(),
           " fields but the header has ", header.size(), " (every row needs one value per column)");
    text += csv_row(rows[r]);
  }
  write_file_atomic(path, text);
}

}  // namespace hep2
