// The CSV dialect of manifests (read_manifest, declared in cell_list.h) and of the ICPR2012
// files: header row required, columns found by name (case-insensitive, blanks trimmed), UTF-8
// BOM, CRLF, ',' ';' or tab separators detected from the header, RFC 4180 quoting.
#pragma once
#include <string>
#include <vector>

#include "hep2/pipeline/cell_list.h"

namespace hep2 {

// A parsed CSV file: the header row and the data rows, each with the 1-based line number it
// starts on (quoted fields may span lines). Blank lines are skipped; short rows are padded with
// empty fields so that row[i] exists for every column.
struct CsvTable {
  std::string source;
  char separator = ',';
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  // Index of the column named `name` (case-insensitive), or -1.
  int column(const std::string& name) const;
  // Like column() but throws Error naming the file and listing its columns when absent.
  int require_column(const std::string& name) const;
};

// Parses CSV text (the contents of `source`). Throws Error naming `source` when the text has no
// header row or a quoted field is not closed.
CsvTable parse_csv(const std::string& text, const std::string& source);
// read_file + parse_csv.
CsvTable read_csv(const std::string& path);

}  // namespace hep2
