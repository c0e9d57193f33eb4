// The method's modes as types: which method, which features of a cell, which classifier, and how
// early stopping picks its cells. Parsed once from their names (flags, config.json) and compared
// as values everywhere else.
#pragma once

namespace hep2 {

// dcae: the paper's DCAE features + classifier; hybrid: plus a second DCAE on gradient-magnitude
// images, features side by side; supervised: the same encoder + MLP trained end to end with labels
// (the baseline the paper compares against).
enum class Method { Dcae, Hybrid, Supervised };

// latent: the DCAE's latent (the paper's); stats: mean, max and standard deviation of each
// channel of one encoder stage, averaged over the 8 rotations/flips (pipeline/texture_features.h).
enum class FeatureKind { Latent, Stats };

// mlp: the paper's MLP, trained with Adam; linear: least squares onto the classes, solved exactly.
enum class ClassifierKind { Mlp, Linear };

// How the classifier's inputs are scaled (fitted on the labelled cells): per feature, each to unit
// deviation, for features of different kinds (the statistics: means, maxima, deviations); pooled,
// each centred and all divided by one pooled deviation, for values of one kind (the latent: one
// layer's activations), where a position that barely varies over the labelled cells stays small
// instead of being stretched to the scale of the others. auto: pooled for the DCAE's latent
// (--method dcae), per feature otherwise.
enum class FeatureScaling { Auto, PerFeature, Pooled };

// What auto means for a run of method m reading features f (the other choices stand as given).
constexpr FeatureScaling resolve_scaling(FeatureScaling asked, Method m, FeatureKind f) {
  if (asked != FeatureScaling::Auto) return asked;
  return m == Method::Dcae && f == FeatureKind::Latent ? FeatureScaling::Pooled : FeatureScaling::PerFeature;
}

// The early-stopping cells: whole specimens (when the data names them; else the last cells of each
// class in file order), or a seeded stratified random slice.
enum class Holdout { Specimen, Random };

}  // namespace hep2
