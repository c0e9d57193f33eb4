// Writing files so that a crash never leaves a partial one: write to "<path>.tmp.<pid>", flush,
// fsync, then rename over the destination (rename is atomic within one file system).
#pragma once
#include <string>
#include <string_view>

namespace hep2 {

// Writes `bytes` to `path` atomically. Throws Error naming the path and the OS reason
// (e.g. "cannot write runs/x/metrics.json: No space left on device") and removes the temporary.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads a whole file; throws Error naming the path when it cannot be opened or read.
std::string read_file(const std::string& path);

}  // namespace hep2
