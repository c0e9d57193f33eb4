// One cell image -> one normalised, masked, fitted HxW float image in [0, 1].
#include "hep2/pipeline/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "hep2/core/error.h"
#include "hep2/core/lower_case.h"
#include "hep2/io/image_io.h"

namespace hep2 {

namespace {

// One float plane in the stored units (0..255, 0..65535, float as is): 16-bit values are exact
// in float, so no precision is lost before normalisation.
cv::Mat intensity(const cv::Mat& image, Channel channel, const std::string& source) {
  cv::Mat as_float;
  image.convertTo(as_float, CV_32F);
  const int n = as_float.channels();
  if (n == 1) return as_float;
  std::vector<cv::Mat> planes;
  cv::split(as_float, planes);
  if (n == 2) return planes[0];  // gray + alpha
  if (n != 3 && n != 4) fail("image '", source, "' has ", n, " channels: expected 1 to 4");
  const cv::Mat &blue = planes[0], &green = planes[1], &red = planes[2];  // OpenCV keeps BGR(A)
  switch (channel) {
    case Channel::Red: return red;
    case Channel::Green: return green;
    case Channel::Blue: return blue;
    case Channel::Gray: {
      cv::Mat gray = 0.299f * red + 0.587f * green + 0.114f * blue;
      return gray;
    }
    case Channel::Auto: break;
  }
  // The stained signal is the brightest channel; ties (gray stored as RGB) pick green.
  const double g = cv::mean(green)[0], r = cv::mean(red)[0], b = cv::mean(blue)[0];
  if (g >= r && g >= b) return green;
  return r >= b ? red : blue;
}

// Linear-interpolated percentile q in [0, 1] of `values` (reordered in place), as numpy's
// default: position q * (n - 1) between the two nearest order statistics.
double percentile(std::vector<float>& values, double q) {
  const double pos = q * double(values.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const double frac = pos - double(lo);
  std::nth_element(values.begin(), values.begin() + long(lo), values.end());
  const double v_lo = values[lo];
  if (frac == 0.0 || lo + 1 >= values.size()) return v_lo;
  // After nth_element the next order statistic is the minimum of the upper part.
  const double v_hi = *std::min_element(values.begin() + long(lo) + 1, values.end());
  return v_lo + frac * (v_hi - v_lo);
}

// x^gamma, then the Gaussian blur, on the normalised plane; what the blur spreads outside the
// mask is zeroed again, so the background stays the background.
void apply_photometric(const Photometric& p, cv::Mat& plane, const unsigned char* mask) {
  float* v = plane.ptr<float>();
  const size_t n = plane.total();
  if (p.gamma != 1.0f)
    for (size_t i = 0; i < n; ++i) v[i] = std::pow(v[i], p.gamma);
  if (p.blur > 0.0f) {
    cv::GaussianBlur(plane, plane, cv::Size(0, 0), p.blur, p.blur, cv::BORDER_DEFAULT);
    v = plane.ptr<float>();
    if (mask)
      for (size_t i = 0; i < n; ++i)
        if (!mask[i]) v[i] = 0.0f;
  }
}

}  // namespace

std::string to_string(Normalization norm) {
  switch (norm) {
    case Normalization::None: return "none";
    case Normalization::MinMax: return "minmax";
    case Normalization::Percentile: return "percentile";
  }
  return "?";
}

std::string to_string(Channel channel) {
  switch (channel) {
    case Channel::Auto: return "auto";
    case Channel::Gray: return "gray";
    case Channel::Red: return "red";
    case Channel::Green: return "green";
    case Channel::Blue: return "blue";
  }
  return "?";
}

Normalization parse_normalization(const std::string& name) {
  for (Normalization n : {Normalization::None, Normalization::MinMax, Normalization::Percentile})
    if (lower_case(name) == to_string(n)) return n;
  fail("unknown normalisation '", name, "': use none, minmax or percentile");
}

Channel parse_channel(const std::string& name) {
  for (Channel c : {Channel::Auto, Channel::Gray, Channel::Red, Channel::Green, Channel::Blue})
    if (lower_case(name) == to_string(c)) return c;
  if (lower_case(name) == "grey") return Channel::Gray;
  fail("unknown channel '", name, "': use auto, gray, red, green or blue");
}

void fitted_size(int in_w, int in_h, int out_w, int out_h, int& fit_w, int& fit_h) {
  HEP2_CHECK(in_w > 0 && in_h > 0 && out_w > 0 && out_h > 0, "sizes must be positive: ", in_w, "x", in_h,
             " into ", out_w, "x", out_h);
  const double scale = std::min(double(out_w) / in_w, double(out_h) / in_h);
  fit_w = std::clamp(int(std::lround(in_w * scale)), 1, out_w);
  fit_h = std::clamp(int(std::lround(in_h * scale)), 1, out_h);
}

void preprocess_cell(const cv::Mat& image, const cv::Mat& mask, const PreprocessOptions& options, float* out,
                     const std::string& source) {
  if (options.height <= 0 || options.width <= 0)
    fail("preprocessing size ", options.width, "x", options.height, " is not positive");
  if (image.empty()) fail("image '", source, "' is empty");
  const bool masked = options.use_mask && !mask.empty();
  if (masked && (mask.size() != image.size() || mask.type() != CV_8U))
    fail("mask of '", source, "' is ", mask.cols, "x", mask.rows, " (type ", mask.type(), ") but the image is ",
         image.cols, "x", image.rows, ": a mask must be 8-bit with its image's size");

  cv::Mat plane = intensity(image, options.channel, source);  // CV_32F, continuous
  if (!plane.isContinuous()) plane = plane.clone();
  const size_t n = plane.total();
  float* v = plane.ptr<float>();
  const unsigned char* m = masked ? mask.ptr<unsigned char>() : nullptr;
  if (masked && !mask.isContinuous()) fail("internal: mask of '", source, "' is not continuous");
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) v[i] = 0.0f;  // NaN/inf in a float TIFF carry no intensity

  double lo = 0.0, hi = full_scale(image.depth());
  if (options.norm != Normalization::None) {
    std::vector<float> inside;
    inside.reserve(n);
    for (size_t i = 0; i < n; ++i)
      if (!m || m[i]) inside.push_back(v[i]);
    if (inside.empty()) fail("mask of '", source, "' selects no pixel");
    if (options.norm == Normalization::MinMax) {
      const auto [mn, mx] = std::minmax_element(inside.begin(), inside.end());
      lo = *mn;
      hi = *mx;
    } else {
      lo = percentile(inside, 0.01);
      hi = percentile(inside, 0.99);
    }
  }
  const double range = hi - lo;
  const float scale = range > 1e-12 * std::max(1.0, std::abs(hi)) ? float(1.0 / range) : 0.0f;
  const float offset = float(lo);
  for (size_t i = 0; i < n; ++i) {
    const float x = (v[i] - offset) * scale;
    v[i] = (m && !m[i]) ? 0.0f : std::clamp(x, 0.0f, 1.0f);
  }

  if (!options.photometric.identity()) apply_photometric(options.photometric, plane, m);

  int fit_w = 0, fit_h = 0;
  fitted_size(plane.cols, plane.rows, options.width, options.height, fit_w, fit_h);
  cv::Mat canvas(options.height, options.width, CV_32F, out);  // writes straight into `out`
  canvas.setTo(0.0f);
  cv::Mat target = canvas(cv::Rect((options.width - fit_w) / 2, (options.height - fit_h) / 2, fit_w, fit_h));
  if (fit_w == plane.cols && fit_h == plane.rows) {
    plane.copyTo(target);
  } else {
    const bool shrinking = fit_w < plane.cols || fit_h < plane.rows;
    cv::Mat fitted;
    cv::resize(plane, fitted, cv::Size(fit_w, fit_h), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    fitted.copyTo(target);
  }
  // Interpolation weights sum to one only up to rounding.
  for (int i = 0; i < options.height * options.width; ++i) out[i] = std::clamp(out[i], 0.0f, 1.0f);
}

}  // namespace hep2
