// Line plots as PNG (loss and accuracy curves per epoch): 800 x 600, title, axis labels, "nice"
// ticks with a grid, one distinct colour per series, a legend in the emptiest corner.
#pragma once
#include <string>
#include <vector>

namespace hep2 {

struct Series {
  std::string name;  // legend text; a series with an empty name gets no legend entry
  std::vector<double> x, y;
};

constexpr int kLinePlotWidth = 800;
constexpr int kLinePlotHeight = 600;

// Writes the PNG atomically. Points with a non-finite coordinate (and, with log_y, a y <= 0)
// are not drawn and break the line there, so a diverged epoch shows as a gap rather than
// squashing the rest of the curve. Series of up to 40 points also get a marker per point.
// Throws Error when a series has different numbers of x and y values.
void write_line_plot_png(const std::string& path, const std::vector<Series>& series,
                         const std::string& title, const std::string& x_label,
                         const std::string& y_label, bool log_y);

}  // namespace hep2
