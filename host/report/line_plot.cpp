// Line-plot PNG (see include/hep2/report/line_plot.h).
#include "hep2/report/line_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "hep2/core/error.h"
#include "hep2/report/draw.h"

namespace hep2 {

namespace {

using draw::Align;

constexpr int kShift = 4;  // sub-pixel bits for cv::line/circle: smooth curves
constexpr double kSub = 1 << kShift;
constexpr size_t kMarkerLimit = 40;
constexpr int kInset = 8;
constexpr int kMinorGridDecades = 4;  // more decades than this: minor lines only add clutter

bool drawable(double x, double y, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
}

cv::Point sub_pixel(cv::Point2d p) {
  return {static_cast<int>(std::lround(p.x * kSub)), static_cast<int>(std::lround(p.y * kSub))};
}

}  // namespace

void write_line_plot_png(const std::string& path, const std::vector<Series>& series,
                         const std::string& title, const std::string& x_label,
                         const std::string& y_label, bool log_y) {
  for (const auto& s : series)
    if (s.x.size() != s.y.size())
      fail("cannot write ", path, ": series '", s.name, "' has ", s.x.size(), " x values but ",
           s.y.size(), " y values");

  // ---- data range
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (drawable(s.x[i], s.y[i], log_y)) {
        x_min = std::min(x_min, s.x[i]);
        x_max = std::max(x_max, s.x[i]);
        y_min = std::min(y_min, s.y[i]);
        y_max = std::max(y_max, s.y[i]);
      }
  const bool empty = !(x_min <= x_max);
  if (empty) {
    x_min = 0, x_max = 1;
    y_min = log_y ? 0.1 : 0, y_max = 1;
  }

  const draw::Ticks x_ticks = draw::nice_ticks(x_min, x_max, 7);
  const double x0 = x_ticks.values.front(), x1 = x_ticks.values.back();
  draw::Ticks y_ticks;
  double y0, y1;  // axis range, in log10 units when log_y
  if (log_y) {
    double lo = std::log10(y_min), hi = std::log10(y_max);
    if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
    const double margin = 0.05 * (hi - lo);
    y0 = lo - margin;
    y1 = hi + margin;
    y_ticks = draw::log_ticks(std::pow(10.0, y0), std::pow(10.0, y1));
  } else {
    y_ticks = draw::nice_ticks(y_min, y_max, 6);
    y0 = y_ticks.values.front();
    y1 = y_ticks.values.back();
  }

  // ---- layout
  const int W = kLinePlotWidth, H = kLinePlotHeight;
  const double title_scale = 0.75, label_scale = 0.6, tick_scale = 0.45;
  std::vector<std::string> y_labels;
  int y_label_w = 0;
  for (double v : y_ticks.values) {
    y_labels.push_back(draw::tick_label(v, y_ticks.step));
    y_label_w = std::max(y_label_w, draw::text_size(y_labels.back(), tick_scale, 1).width);
  }
  const int tick_h = draw::text_size("0", tick_scale, 1).height;
  const int axis_h = draw::text_size("Hg", label_scale, 1).height;
  const int title_h = draw::text_size(title, title_scale, 2).height;
  const int pad = 16;
  const int left = pad + axis_h + 12 + y_label_w + 10;
  const int top = pad + title_h + 18;
  const int right = W - 30;
  const int bottom = H - (pad + axis_h + 10 + tick_h + 10);
  // The data area sits kInset pixels inside the frame, so points at the ends of the axes are not
  // drawn on top of it.
  const auto px = [&](double x) {
    return left + kInset + (x - x0) / (x1 - x0) * (right - left - 2 * kInset);
  };
  const auto py = [&](double y) {
    const double v = log_y ? std::log10(y) : y;
    return bottom - kInset - (v - y0) / (y1 - y0) * (bottom - top - 2 * kInset);
  };

  cv::Mat img(H, W, CV_8UC3, draw::kWhite);
  draw::put_text(img, title, {(left + right) / 2, pad}, Align::Centre, Align::Start, title_scale,
                 draw::kBlack, 2);

  // ---- grid and ticks
  if (log_y && y_ticks.step == 0 && y1 - y0 <= kMinorGridDecades) {
    // Unlabelled 1..9 x 10^k lines between the labelled ones show the scale is logarithmic.
    for (int e = static_cast<int>(std::floor(y0)); e <= static_cast<int>(std::ceil(y1)); ++e)
      for (int m = 1; m <= 9; ++m) {
        const double v = m * std::pow(10.0, e);
        const double lv = std::log10(v);
        if (lv < y0 || lv > y1) continue;
        const int y = static_cast<int>(std::lround(py(v)));
        cv::line(img, {left, y}, {right, y}, draw::kMinorGrid, 1);
      }
  }
  for (size_t i = 0; i < y_ticks.values.size(); ++i) {
    const int y = static_cast<int>(std::lround(py(y_ticks.values[i])));
    if (y < top || y > bottom) continue;
    cv::line(img, {left, y}, {right, y}, draw::kGrid, 1);
    cv::line(img, {left - 5, y}, {left, y}, draw::kAxis, 1);
    draw::put_text(img, y_labels[i], {left - 9, y}, Align::End, Align::Centre, tick_scale,
                   draw::kAxis);
  }
  for (double v : x_ticks.values) {
    const int x = static_cast<int>(std::lround(px(v)));
    cv::line(img, {x, top}, {x, bottom}, draw::kGrid, 1);
    cv::line(img, {x, bottom}, {x, bottom + 5}, draw::kAxis, 1);
    draw::put_text(img, draw::tick_label(v, x_ticks.step), {x, bottom + 9}, Align::Centre,
                   Align::Start, tick_scale, draw::kAxis);
  }
  cv::rectangle(img, cv::Rect(left, top, right - left + 1, bottom - top + 1), draw::kAxis, 1);
  draw::put_text(img, x_label, {(left + right) / 2, H - pad}, Align::Centre, Align::End,
                 label_scale, draw::kBlack);
  draw::put_text_vertical(img, y_label, {pad, (top + bottom) / 2}, Align::Start, Align::Centre,
                          label_scale, draw::kBlack);
  if (empty)
    draw::put_text(img, "no data", {(left + right) / 2, (top + bottom) / 2}, Align::Centre,
                   Align::Centre, label_scale, draw::kAxis);

  // ---- curves
  std::vector<cv::Point2d> all_points;  // for placing the legend away from the data
  for (size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    const cv::Scalar colour = draw::series_colour(si);
    const bool markers = s.x.size() <= kMarkerLimit;
    bool have_prev = false;
    cv::Point2d prev;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!drawable(s.x[i], s.y[i], log_y)) {
        have_prev = false;
        continue;
      }
      const cv::Point2d p(px(s.x[i]), py(s.y[i]));
      if (have_prev) {
        cv::line(img, sub_pixel(prev), sub_pixel(p), colour, 2, cv::LINE_AA, kShift);
        for (int t = 1; t < 4; ++t) all_points.push_back(prev + (p - prev) * (t / 4.0));
      }
      if (markers)
        cv::circle(img, sub_pixel(p), static_cast<int>(3.5 * kSub), colour, cv::FILLED, cv::LINE_AA,
                   kShift);
      all_points.push_back(p);
      prev = p;
      have_prev = true;
    }
  }

  // ---- legend: the corner of the plot area that covers the fewest curve points
  std::vector<size_t> entries;
  for (size_t i = 0; i < series.size(); ++i)
    if (!series[i].name.empty()) entries.push_back(i);
  if (!entries.empty()) {
    const double legend_scale = 0.5;
    const int row_h = draw::text_size("Hg", legend_scale, 1).height + 8;
    int text_w = 0;
    for (size_t i : entries)
      text_w = std::max(text_w, draw::text_size(series[i].name, legend_scale, 1).width);
    const int box_w = 10 + 28 + 8 + text_w + 10;
    const int box_h = 8 + static_cast<int>(entries.size()) * row_h + 4;
    const int inset = 10;
    const cv::Rect corners[] = {{right - inset - box_w, top + inset, box_w, box_h},
                                {left + inset, top + inset, box_w, box_h},
                                {right - inset - box_w, bottom - inset - box_h, box_w, box_h},
                                {left + inset, bottom - inset - box_h, box_w, box_h}};
    cv::Rect box = corners[0];
    size_t fewest = std::numeric_limits<size_t>::max();
    for (const cv::Rect& r : corners) {
      // Grown by the line width and marker radius: a marker just outside still touches the box.
      const cv::Rect grown(r.x - 5, r.y - 5, r.width + 10, r.height + 10);
      size_t covered = 0;
      for (const auto& p : all_points)
        if (grown.contains(cv::Point(static_cast<int>(p.x), static_cast<int>(p.y)))) ++covered;
      if (covered < fewest) fewest = covered, box = r;
    }
    cv::rectangle(img, box, draw::kWhite, cv::FILLED);
    cv::rectangle(img, box, cv::Scalar(180, 180, 180), 1);
    for (size_t e = 0; e < entries.size(); ++e) {
      const Series& s = series[entries[e]];
      const cv::Scalar colour = draw::series_colour(entries[e]);
      const int y = box.y + 8 + static_cast<int>(e) * row_h + row_h / 2 - 3;
      cv::line(img, {box.x + 10, y}, {box.x + 38, y}, colour, 2, cv::LINE_AA);
      if (s.x.size() <= kMarkerLimit)
        cv::circle(img, {box.x + 24, y}, 3, colour, cv::FILLED, cv::LINE_AA);
      draw::put_text(img, s.name, {box.x + 46, y}, Align::Start, Align::Centre, legend_scale,
                     draw::kBlack);
    }
  }

  draw::write_png(path, img);
}

}  // namespace hep2
