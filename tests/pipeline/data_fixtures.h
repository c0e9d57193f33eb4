// Helpers for the data-layer tests: a temporary folder that removes itself, and small writers
// for the fixture files the tests create (never real cell images).
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("hep2_data_test_").append(std::to_string(::getpid()));
    name.append("_").append(std::to_string(counter++));
    if (info) name += std::string("_") + info->name();
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The absolute path of `relative` inside the folder; its parent folders are created.
  std::string file(const std::string& relative) const {
    const auto p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::string& path, const std::string& text) { write_file_atomic(path, text); }

inline void write_image(const std::string& path, const cv::Mat& image) {
  if (!cv::imwrite(path, image)) throw std::runtime_error("test fixture: cannot write " + path);
}

// A small 8-bit gray image with a gradient (so it is not flat) and its full mask.
inline cv::Mat gradient8(int w, int h) {
  cv::Mat m(h, w, CV_8U);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<unsigned char>(y, x) = static_cast<unsigned char>((x * 7 + y * 13) % 256);
  return m;
}

// Runs `f`, expects an hep2::Error whose message contains every one of `parts`; returns the
// message for further checks.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const hep2::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an hep2::Error";
  return "";
}

}  // namespace hep2::test
