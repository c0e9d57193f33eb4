// CSV in the RFC 4180 dialect: the predictions file, per-epoch logs, anything a spreadsheet or
// pandas should open without surprises (paths with commas or quotes included).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hep2 {

// One field, quoted only when it must be: when it holds a comma, a double quote, CR or LF
// (inner quotes doubled). Everything else is written as is, so plain numbers stay plain.
std::string csv_field(std::string_view field);

// One record: the fields joined by commas, ending in "\n" (LF, not CRLF: the readers that matter
// accept both, and LF keeps the file diff-friendly).
std::string csv_row(const std::vector<std::string>& fields);

// The shortest text that reads back to exactly the same value (std::to_chars), so a CSV or JSON
// log never loses bits and is identical from run to run. "nan", "inf", "-inf" for non-finite.
std::string format_number(double value);
std::string format_number(float value);

// Writes header + rows atomically. Every row must have as many fields as the header; a ragged row
// is a bug in the caller and throws Error naming the file and the row.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

// Reading CSV is the manifest reader's job (parse_csv in hep2/pipeline/manifest.h): one reader
// for every CSV hep2 reads, including its own files read back in tests.

}  // namespace hep2
