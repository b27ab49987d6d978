//===- Registration.cpp - attach every family's derivative rules ----------===//

#include "DerivativeUtils.h"

#include "ds/Dialect/DS/IR/DSDerivativeInterface.cpp.inc"

void mlir::ds::attachDerivativeInterfaces(MLIRContext *context) {
  derivatives::attachElementwiseDerivatives(context);
  derivatives::attachContractionDerivatives(context);
  derivatives::attachShapeDerivatives(context);
  derivatives::attachReductionDerivatives(context);
  derivatives::attachUnaryDerivatives(context);
  derivatives::attachSoftmaxDerivatives(context);
  derivatives::attachNormDerivatives(context);
  derivatives::attachLossDerivatives(context);
}
