// Gradient checks of the ops whose rules emit fused backward ops: softmax and log_softmax, the
// causal mask, layer and RMS normalization (with and without their affine parameters) and the
// cross-entropy loss in its three reductions.
#include "GradientCheck.h"

#include <gtest/gtest.h>

namespace ds::gradcheck {
namespace {

Case oneInput(const std::string &name, std::vector<int64_t> shape, std::vector<double> x,
              std::string body) {
  Case c;
  c.name = name;
  c.resultShape = shape;
  c.inputs = {floatInput("x", std::move(shape), std::move(x))};
  c.body = std::move(body);
  return c;
}

TEST(SoftmaxGradient, LastAxis) {
  checkGradients(oneInput("softmax", {2, 5}, Inputs(50).uniform(10, -2, 2),
                          "%y = ds.softmax %x axis = -1 : tensor<2x5x{T}>"));
}

TEST(SoftmaxGradient, InnerAxis) {
  checkGradients(oneInput("softmax_axis0", {3, 2, 2}, Inputs(51).uniform(12, -2, 2),
                          "%y = ds.softmax %x axis = 0 : tensor<3x2x2x{T}>"));
}

// Masked entries take no probability whatever x holds there: their gradient is 0.
TEST(SoftmaxGradient, Causal) {
  checkGradients(oneInput("softmax_causal", {2, 4, 4}, Inputs(52).uniform(32, -2, 2),
                          "%y = ds.softmax %x axis = -1 causal : tensor<2x4x4x{T}>"));
}

TEST(SoftmaxGradient, LogSoftmax) {
  checkGradients(oneInput("log_softmax", {3, 4}, Inputs(53).uniform(12, -2, 2),
                          "%y = ds.log_softmax %x axis = 1 : tensor<3x4x{T}>"));
}

// A finite fill keeps f finite (with -inf every y * w would be infinite).
TEST(SoftmaxGradient, CausalMask) {
  checkGradients(oneInput("causal_mask", {2, 3, 3}, Inputs(54).uniform(18, -2, 2),
                          "%y = ds.causal_mask %x fill = -5.000000e+00 : tensor<2x3x3x{T}>"));
}

TEST(NormGradient, LayerNormWithWeightAndBias) {
  Inputs r(55);
  Case c;
  c.name = "layer_norm_affine";
  c.inputs = {floatInput("x", {3, 4}, r.uniform(12, -2, 2)),
              floatInput("g", {4}, r.uniform(4, 0.5, 1.5)),
              floatInput("b", {4}, r.uniform(4, -1, 1))};
  c.body = "%y = ds.layer_norm %x weight %g bias %b axis = -1 epsilon = 1.000000e-05 : "
           "(tensor<3x4x{T}>, tensor<4x{T}>, tensor<4x{T}>) -> tensor<3x4x{T}>";
  c.resultShape = {3, 4};
  checkGradients(c);
}

// Normalized over the last two dims; no weight, a bias only.
TEST(NormGradient, LayerNormBiasOnlyOverTwoDims) {
  Inputs r(56);
  Case c;
  c.name = "layer_norm_bias";
  c.inputs = {floatInput("x", {2, 2, 3}, r.uniform(12, -2, 2)),
              floatInput("b", {2, 3}, r.uniform(6, -1, 1))};
  c.body = "%y = ds.layer_norm %x bias %b axis = 1 epsilon = 1.000000e-05 : "
           "(tensor<2x2x3x{T}>, tensor<2x3x{T}>) -> tensor<2x2x3x{T}>";
  c.resultShape = {2, 2, 3};
  checkGradients(c);
}

TEST(NormGradient, LayerNormPlain) {
  checkGradients(oneInput("layer_norm", {3, 4}, Inputs(57).uniform(12, -2, 2),
                          "%y = ds.layer_norm %x axis = -1 epsilon = 1.000000e-05 : "
                          "(tensor<3x4x{T}>) -> tensor<3x4x{T}>"));
}

TEST(NormGradient, RMSNormWithWeight) {
  Inputs r(58);
  Case c;
  c.name = "rms_norm_weight";
  c.inputs = {floatInput("x", {3, 4}, r.uniform(12, -2, 2)),
              floatInput("g", {4}, r.uniform(4, 0.5, 1.5))};
  c.body = "%y = ds.rms_norm %x weight %g axis = -1 epsilon = 1.000000e-06 : "
           "(tensor<3x4x{T}>, tensor<4x{T}>) -> tensor<3x4x{T}>";
  c.resultShape = {3, 4};
  checkGradients(c);
}

TEST(NormGradient, RMSNormPlain) {
  checkGradients(oneInput("rms_norm", {2, 5}, Inputs(59).uniform(10, -2, 2),
                          "%y = ds.rms_norm %x axis = -1 epsilon = 1.000000e-06 : "
                          "(tensor<2x5x{T}>) -> tensor<2x5x{T}>"));
}

/// Cross-entropy of 2x3 rows of 5 logits; one target is ignored.
Case crossEntropy(const std::string &reduction, std::vector<int64_t> resultShape) {
  Case c;
  c.name = "cross_entropy_" + reduction;
  c.inputs = {floatInput("logits", {2, 3, 5}, Inputs(60).uniform(30, -2, 2)),
              indexInput("targets", {2, 3}, {4, 0, -100, 2, 2, 1})};
  std::string result = resultShape.empty() ? "tensor<{T}>" : "tensor<2x3x{T}>";
  c.body = "%y = ds.cross_entropy %logits, %targets reduction = " + reduction +
           " ignore_index = -100 : (tensor<2x3x5x{T}>, tensor<2x3xi64>) -> " + result;
  c.resultShape = std::move(resultShape);
  return c;
}

TEST(LossGradient, CrossEntropyMean) { checkGradients(crossEntropy("mean", {})); }
TEST(LossGradient, CrossEntropySum) { checkGradients(crossEntropy("sum", {})); }
TEST(LossGradient, CrossEntropyNone) { checkGradients(crossEntropy("none", {2, 3})); }

} // namespace
} // namespace ds::gradcheck
