// Drawing helpers for the PNG reports (see include/hep2/report/draw.h).
#include "hep2/report/draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string_view>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2::draw {

cv::Scalar series_colour(size_t i) {
  // tab10, BGR.
  static const cv::Scalar palette[] = {
      {180, 119, 31}, {14, 127, 255},  {44, 160, 44},   {40, 39, 214},  {189, 103, 148},
      {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23}};
  return palette[i % 10];
}

cv::Size text_size(const std::string& text, double scale, int thickness) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, kFont, scale, thickness, &baseline);
  return {s.width, s.height + baseline};
}

namespace {

int offset(Align a, int extent) {
  switch (a) {
    case Align::Start:
      return 0;
    case Align::Centre:
      return extent / 2;
    case Align::End:
      return extent;
  }
  return 0;
}

double nice_number(double x, bool round) {
  const double e = std::floor(std::log10(x));
  const double f = x / std::pow(10.0, e);
  double nf;
  if (round)
    nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else
    nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * std::pow(10.0, e);
}

}  // namespace

void put_text(cv::Mat& image, const std::string& text, cv::Point anchor, Align horizontal,
              Align vertical, double scale, const cv::Scalar& colour, int thickness) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, kFont, scale, thickness, &baseline);
  const int x = anchor.x - offset(horizontal, s.width);
  const int top = anchor.y - offset(vertical, s.height + baseline);
  cv::putText(image, text, {x, top + s.height}, kFont, scale, colour, thickness, cv::LINE_AA);
}

void put_text_vertical(cv::Mat& image, const std::string& text, cv::Point anchor, Align horizontal,
                       Align vertical, double scale, const cv::Scalar& colour, int thickness) {
  // Draw into a coverage mask, rotate it, then blend the colour through it: keeps the
  // anti-aliasing and works on any background.
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, kFont, scale, thickness, &baseline);
  cv::Mat mask(s.height + baseline + 2, s.width + 2, CV_8UC1, cv::Scalar(0));
  cv::putText(mask, text, {1, s.height + 1}, kFont, scale, cv::Scalar(255), thickness, cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(mask, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int x0 = anchor.x - offset(horizontal, rotated.cols);
  const int y0 = anchor.y - offset(vertical, rotated.rows);
  const int channels = image.channels();
  for (int y = 0; y < rotated.rows; ++y) {
    const int iy = y0 + y;
    if (iy < 0 || iy >= image.rows) continue;
    for (int x = 0; x < rotated.cols; ++x) {
      const int ix = x0 + x;
      if (ix < 0 || ix >= image.cols) continue;
      const double a = rotated.at<uchar>(y, x) / 255.0;
      if (a == 0) continue;
      uchar* px = image.ptr<uchar>(iy) + ix * channels;
      for (int c = 0; c < channels; ++c)
        px[c] = cv::saturate_cast<uchar>(px[c] * (1 - a) + colour[c] * a);
    }
  }
}

Ticks nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi))
    fail("axis ticks: range [", lo, ", ", hi, "] is not finite");
  if (target < 2) fail("axis ticks: target ", target, " (need at least two ticks)");
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    const double half = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= half;
    hi += half;
  }
  const double range = nice_number(hi - lo, false);
  const double step = nice_number(range / (target - 1), true);
  // The small slack keeps a value that is a tick up to rounding (0.30000000000000004) on it.
  const double first = std::floor(lo / step + 1e-9);
  const double last = std::ceil(hi / step - 1e-9);
  Ticks t;
  t.step = step;
  for (double i = first; i <= last; i += 1) {
    double v = i * step;
    if (std::abs(v) < step * 1e-9) v = 0;  // no "-0"
    t.values.push_back(v);
  }
  return t;
}

Ticks log_ticks(double lo, double hi) {
  if (!(lo > 0) || !std::isfinite(hi) || hi < lo)
    fail("log axis ticks: range [", lo, ", ", hi, "] is not positive and finite");
  const int e_lo = static_cast<int>(std::floor(std::log10(lo)));
  const int e_hi = static_cast<int>(std::ceil(std::log10(hi)));
  const double in_lo = lo * (1 - 1e-9), in_hi = hi * (1 + 1e-9);
  static const std::vector<std::vector<int>> mantissas = {
      {1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  for (const auto& set : mantissas) {
    Ticks t;
    for (int e = e_lo; e <= e_hi; ++e)
      for (int m : set) {
        const double v = m * std::pow(10.0, e);
        if (v >= in_lo && v <= in_hi) t.values.push_back(v);
      }
    if (t.values.size() >= 3) {
      if (set.size() == 1 && t.values.size() > 8) {
        // Many decades: label every k-th so the labels do not collide.
        const size_t k = (t.values.size() + 7) / 8;
        Ticks thin;
        for (size_t i = 0; i < t.values.size(); i += k) thin.values.push_back(t.values[i]);
        return thin;
      }
      return t;
    }
  }
  // Less than a factor of ~3 between lo and hi: linear ticks read better.
  Ticks lin = nice_ticks(lo, hi, 5);
  Ticks t;
  t.step = lin.step;
  for (double v : lin.values)
    if (v >= in_lo && v <= in_hi) t.values.push_back(v);
  return t;
}

std::string tick_label(double value, double step) {
  char buf[64];
  const double mag = std::abs(value);
  if (value == 0) return "0";
  if (step <= 0 || mag >= 1e6 || mag < 1e-4) {
    std::snprintf(buf, sizeof buf, "%g", value);
  } else {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  }
  std::string s = buf;
  // "1e-05" -> "1e-5", "4e+06" -> "4e6": shorter labels, same meaning.
  const size_t e = s.find('e');
  if (e != std::string::npos) {
    std::string mantissa = s.substr(0, e), exponent = s.substr(e + 1);
    const bool negative = !exponent.empty() && exponent[0] == '-';
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.erase(0, 1);
    exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
    s = mantissa + "e" + (negative ? "-" : "") + exponent;
  }
  if (s == "-0") s = "0";
  return s;
}

void write_png(const std::string& path, const cv::Mat& image) {
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    fail("cannot write ", path, ": a PNG report needs a non-empty 8-bit gray or BGR image");
  std::vector<uchar> bytes;
  bool ok = false;
  try {
    ok = cv::imencode(".png", image, bytes, {cv::IMWRITE_PNG_COMPRESSION, 6});
  } catch (const cv::Exception& e) {
    fail("cannot write ", path, ": PNG encoding failed: ", e.what());
  }
  if (!ok) fail("cannot write ", path, ": PNG encoding failed (OpenCV built without PNG support?)");
  write_file_atomic(path,
                    std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace hep2::draw
