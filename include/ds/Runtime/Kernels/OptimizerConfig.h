// The hyperparameters of the fused optimizer updates, shared by the CPU and CUDA kernels so both
// backends read one definition.
#ifndef DS_RUNTIME_KERNELS_OPTIMIZERCONFIG_H
#define DS_RUNTIME_KERNELS_OPTIMIZERCONFIG_H

namespace ds::rt {

struct AdamConfig {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weightDecay = 0.0;
  // true: AdamW's decoupled decay p *= 1 - lr * weightDecay; false: Adam's L2 term, g += wd * p.
  bool adamW = true;
};

struct SGDConfig {
  double momentum = 0.0;
  double dampening = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
};

} // namespace ds::rt

#endif // DS_RUNTIME_KERNELS_OPTIMIZERCONFIG_H
