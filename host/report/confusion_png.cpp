// Confusion-matrix PNG (see include/hep2/report/confusion_png.h).
#include "hep2/report/confusion_png.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "hep2/core/error.h"
#include "hep2/report/draw.h"

namespace hep2 {

namespace {

using draw::Align;

// Sequential white-to-blue ramp (the stops of ColorBrewer "Blues"), BGR.
cv::Scalar blues(double f) {
  static const cv::Vec3d stops[] = {{255, 251, 247}, {247, 235, 222}, {239, 219, 198},
                                    {225, 202, 158}, {214, 174, 107}, {198, 146, 66},
                                    {181, 113, 33},  {156, 81, 8},    {107, 48, 8}};
  constexpr int n = 9;
  f = std::clamp(f, 0.0, 1.0) * (n - 1);
  const int i = std::min(static_cast<int>(f), n - 2);
  const double t = f - i;
  const cv::Vec3d c = stops[i] * (1 - t) + stops[i + 1] * t;
  return {c[0], c[1], c[2]};
}

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * f);
  return buf;
}

// A column name fitted to the cell width: split into two lines at the space nearest the middle
// when too wide, and shrunk only when even that does not fit.
struct FittedName {
  std::vector<std::string> lines;
  double scale;
};

FittedName fit_name(const std::string& name, int width, double scale) {
  const auto widest = [&](const std::vector<std::string>& lines, double s) {
    int w = 0;
    for (const auto& l : lines) w = std::max(w, draw::text_size(l, s, 1).width);
    return w;
  };
  std::vector<std::string> lines = {name};
  if (widest(lines, scale) > width) {
    size_t best = std::string::npos;
    for (size_t i = name.find(' '); i != std::string::npos; i = name.find(' ', i + 1))
      if (best == std::string::npos || std::abs(static_cast<double>(i) - name.size() / 2.0) <
                                           std::abs(static_cast<double>(best) - name.size() / 2.0))
        best = i;
    if (best != std::string::npos) lines = {name.substr(0, best), name.substr(best + 1)};
  }
  while (scale > 0.3 && widest(lines, scale) > width) scale -= 0.05;
  return {lines, scale};
}

}  // namespace

void write_confusion_png(const std::string& path, const Metrics& m,
                         const std::vector<std::string>& names, const std::string& title) {
  if (m.classes < 1 || static_cast<int>(m.confusion.size()) != m.classes)
    fail("cannot write ", path, ": the metrics hold no confusion matrix (compute_metrics first)");
  if (static_cast<int>(names.size()) != m.classes)
    fail("cannot write ", path, ": ", names.size(), " class names for ", m.classes,
         " classes (pass one name per class, in label order)");
  const int k = m.classes;
  const int cell = kConfusionCell;
  const double name_scale = 0.55, title_scale = 0.8, sub_scale = 0.6, axis_scale = 0.6;

  char sub[160];
  std::snprintf(sub, sizeof sub, "accuracy %.2f%%     MCA %.2f%%     n = %zu", 100 * m.accuracy,
                100 * m.mca, m.count);
  const cv::Size title_size = draw::text_size(title, title_scale, 2);
  const cv::Size sub_size = draw::text_size(sub, sub_scale, 1);
  const cv::Size axis_size = draw::text_size("true class", axis_scale, 1);

  int row_name_w = 0;
  for (const auto& n : names)
    row_name_w = std::max(row_name_w, draw::text_size(n, name_scale, 1).width);
  std::vector<FittedName> col_names;
  int col_lines = 1;
  for (const auto& n : names) {
    col_names.push_back(fit_name(n, cell - 10, name_scale));
    col_lines = std::max(col_lines, static_cast<int>(col_names.back().lines.size()));
  }
  const int line_h = draw::text_size("Hg", name_scale, 1).height + 4;

  const int pad = 20;
  const int left = pad + axis_size.height + 14 + row_name_w + 12;
  const int top = pad + title_size.height + 10 + sub_size.height + 24;
  const int matrix = k * cell;
  const int bar_w = 22;
  const int bar_label_w = draw::text_size("100%", 0.5, 1).width;
  const int right = 28 + bar_w + 8 + bar_label_w + pad;
  const int bottom = 10 + col_lines * line_h + 12 + axis_size.height + pad;
  const int width =
      std::max(left + matrix + right, std::max(title_size.width, sub_size.width) + 2 * pad);
  const int height = top + matrix + bottom;

  cv::Mat img(height, width, CV_8UC3, draw::kWhite);
  draw::put_text(img, title, {width / 2, pad}, Align::Centre, Align::Start, title_scale,
                 draw::kBlack, 2);
  draw::put_text(img, sub, {width / 2, pad + title_size.height + 10}, Align::Centre, Align::Start,
                 sub_scale, draw::kAxis);

  for (int t = 0; t < k; ++t) {
    const int64_t support = m.support.size() == static_cast<size_t>(k) ? m.support[t] : 0;
    for (int p = 0; p < k; ++p) {
      const cv::Rect r(left + p * cell, top + t * cell, cell, cell);
      const int64_t count = m.confusion[t][p];
      const double f = support > 0 ? static_cast<double>(count) / support : 0.0;
      const cv::Scalar fill = support > 0 ? blues(f) : cv::Scalar(235, 235, 235);
      cv::rectangle(img, r, fill, cv::FILLED);
      const cv::Scalar ink = f > 0.5 ? draw::kWhite : cv::Scalar(40, 40, 40);
      const cv::Point c(r.x + cell / 2, r.y + cell / 2);
      if (support > 0) {
        draw::put_text(img, std::to_string(count), {c.x, c.y - 4}, Align::Centre, Align::End, 0.9,
                       ink, 2);
        draw::put_text(img, percent(f), {c.x, c.y + 8}, Align::Centre, Align::Start, 0.5, ink);
      } else {  // no share to show under the count
        draw::put_text(img, std::to_string(count), c, Align::Centre, Align::Centre, 0.9, ink, 2);
      }
    }
  }
  // White separators keep neighbouring cells of similar shade apart.
  for (int i = 1; i < k; ++i) {
    cv::line(img, {left + i * cell, top}, {left + i * cell, top + matrix - 1}, draw::kWhite, 2);
    cv::line(img, {left, top + i * cell}, {left + matrix - 1, top + i * cell}, draw::kWhite, 2);
  }
  cv::rectangle(img, cv::Rect(left - 1, top - 1, matrix + 2, matrix + 2), draw::kAxis, 1);

  for (int t = 0; t < k; ++t)
    draw::put_text(img, names[t], {left - 12, top + t * cell + cell / 2}, Align::End, Align::Centre,
                   name_scale, draw::kBlack);
  for (int p = 0; p < k; ++p) {
    const FittedName& fn = col_names[p];
    for (size_t l = 0; l < fn.lines.size(); ++l)
      draw::put_text(img, fn.lines[l],
                     {left + p * cell + cell / 2, top + matrix + 10 + static_cast<int>(l) * line_h},
                     Align::Centre, Align::Start, fn.scale, draw::kBlack);
  }
  draw::put_text(img, "predicted class",
                 {left + matrix / 2, top + matrix + 10 + col_lines * line_h + 12}, Align::Centre,
                 Align::Start, axis_scale, draw::kAxis);
  draw::put_text_vertical(img, "true class", {pad, top + matrix / 2}, Align::Start, Align::Centre,
                          axis_scale, draw::kAxis);

  // Colour bar: the share of the true class that each colour means.
  const int bar_x = left + matrix + 28;
  for (int y = 0; y < matrix; ++y) {
    const double f = 1.0 - static_cast<double>(y) / (matrix - 1);
    cv::line(img, {bar_x, top + y}, {bar_x + bar_w - 1, top + y}, blues(f), 1);
  }
  cv::rectangle(img, cv::Rect(bar_x - 1, top - 1, bar_w + 2, matrix + 2), draw::kAxis, 1);
  for (int q = 0; q <= 4; ++q) {
    const int y = top + (matrix - 1) - q * (matrix - 1) / 4;
    cv::line(img, {bar_x + bar_w, y}, {bar_x + bar_w + 4, y}, draw::kAxis, 1);
    draw::put_text(img, std::to_string(q * 25) + "%", {bar_x + bar_w + 8, y}, Align::Start,
                   Align::Centre, 0.5, draw::kAxis);
  }

  draw::write_png(path, img);
}

}  // namespace hep2
