// The confusion matrix as a picture: one 120-pixel cell per (true, predicted) pair with its count
// and its share of the true class, coloured by that row-normalised share, class names on both
// axes, accuracy and MCA under the title.
#pragma once
#include <string>
#include <vector>

#include "hep2/report/metrics.h"

namespace hep2 {

// Cell side in pixels; the image is classes x kConfusionCell plus margins sized to the names.
constexpr int kConfusionCell = 120;

// Writes the PNG atomically. class_names holds one name per class (ASCII: the plot font has no
// other glyphs). Rows are true classes, columns predicted ones; a row with no true samples is
// drawn grey. Throws Error on a name count that does not match metrics.classes.
void write_confusion_png(const std::string& path, const Metrics& metrics,
                         const std::vector<std::string>& class_names, const std::string& title);

}  // namespace hep2
