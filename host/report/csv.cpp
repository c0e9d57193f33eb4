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

std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  size_t line = 1;
  size_t i = 0;
  const size_t n = text.size();
  bool field_start = true;  // a quote only opens a quoted field at the start of the field
  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    records.push_back(std::move(record));
    record.clear();
    ++line;
  };
  while (i < n) {
    if (field_start && text[i] == '"') {
      // A quoted field runs to the next lone quote; "" inside is one literal quote.
      const size_t start_line = line;
      ++i;
      for (;;) {
        if (i >= n)
          fail("CSV: unterminated quoted field starting on line ", start_line,
               " (a field that opens with \" must close with \")");
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        fail("CSV: text after the closing quote on line ", line,
             " (quote the whole field and double the quotes inside it)");
    }
    field_start = false;
    if (i >= n) break;
    const char c = text[i];
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_start = true;
      ++i;
    } else if (c == '\n' || c == '\r') {
      i += (c == '\r' && i + 1 < n && text[i + 1] == '\n') ? 2 : 1;
      end_record();
      field_start = true;
    } else {
      field += c;
      ++i;
    }
  }
  // The last record has no line end when the text does not finish with one.
  if (!field.empty() || !record.empty() || (n > 0 && text[n - 1] == '"')) end_record();
  return records;
}

}  // namespace hep2
