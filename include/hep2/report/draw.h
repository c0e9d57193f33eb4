// Drawing helpers shared by the PNG report writers: anchored and rotated text, "nice" axis ticks,
// a colour palette, and PNG encoding written atomically. OpenCV's Hershey fonts are the only
// font source, so nothing depends on fonts installed on the machine (same pixels everywhere).
#pragma once
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace hep2::draw {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Colours (BGR).
inline const cv::Scalar kBlack(0, 0, 0);
inline const cv::Scalar kWhite(255, 255, 255);
inline const cv::Scalar kAxis(60, 60, 60);
inline const cv::Scalar kGrid(225, 225, 225);
inline const cv::Scalar kMinorGrid(242, 242, 242);

// The i-th of ten well-separated series colours (the "tab10" palette), cycling after ten.
cv::Scalar series_colour(size_t i);

enum class Align { Start, Centre, End };

// Size of `text` drawn with kFont, including the part below the baseline.
cv::Size text_size(const std::string& text, double scale, int thickness);

// Draws `text` so that `anchor` is at its start/centre/end horizontally and top/middle/bottom
// vertically (the box includes descenders, so rows of text line up whatever their letters).
void put_text(cv::Mat& image, const std::string& text, cv::Point anchor, Align horizontal,
              Align vertical, double scale, const cv::Scalar& colour, int thickness = 1);

// The same, rotated 90 degrees counter-clockwise (reads bottom to top: a y-axis label);
// the alignment is of the rotated box on the image.
void put_text_vertical(cv::Mat& image, const std::string& text, cv::Point anchor, Align horizontal,
                       Align vertical, double scale, const cv::Scalar& colour, int thickness = 1);

// Ticks for a linear axis: about `target` values spaced 1, 2 or 5 x 10^k, covering [lo, hi]
// ("loose" labelling: the first tick <= lo, the last >= hi, so the data fits inside them).
// lo == hi is widened around the value. Throws Error on non-finite input or target < 2.
struct Ticks {
  std::vector<double> values;
  double step = 0;  // spacing of linear ticks (0 for logarithmic ones)
};
Ticks nice_ticks(double lo, double hi, int target);

// Ticks for a logarithmic axis over [lo, hi] (lo > 0): decades when they give at least three
// ticks inside, else 1-2-5 x 10^k, else 1..9 x 10^k, else linear nice ticks inside the range.
Ticks log_ticks(double lo, double hi);

// Label for a tick value: as many decimals as the spacing needs ("0.25", "1.5", "40"), and
// scientific notation ("1e-5", "4e6") for very small or very large magnitudes.
std::string tick_label(double value, double step);

// Encodes `image` (8-bit, 1 or 3 channels) as PNG and writes it with write_file_atomic.
void write_png(const std::string& path, const cv::Mat& image);

}  // namespace hep2::draw
