// The verifiers of ds.adam_update and ds.sgd_update: types, scalars and hyperparameter ranges.
// RUN: ds-opt %s --split-input-file --verify-diagnostics

func.func @adam_grad_shape(%p: tensor<4xf32>, %g: tensor<3xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{grad must have the param's type 'tensor<4xf32>', got 'tensor<3xf32>'}}
  %0:3 = ds.adam_update %p, %g, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : (tensor<4xf32>, tensor<3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
        -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_state_shape(%p: tensor<4xf32>, %v: tensor<2x2xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{exp_avg_sq must have the param's type 'tensor<4xf32>', got 'tensor<2x2xf32>'}}
  %0:3 = ds.adam_update %p, %p, %p, %v, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
        -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_bf16_param(%p: tensor<4xbf16>, %s: tensor<f32>) {
  // expected-error @+1 {{param must be an f32 tensor (the master copy), got 'tensor<4xbf16>'}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : tensor<4xbf16>
  return
}

// -----

func.func @adam_lr_not_scalar(%p: tensor<4xf32>, %lr: tensor<1xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{lr must be a 'tensor<f32>' scalar, got 'tensor<1xf32>'}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %lr, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<f32>, tensor<f32>)
        -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_step_f64(%p: tensor<4xf32>, %step: tensor<f64>, %s: tensor<f32>) {
  // expected-error @+1 {{step must be a 'tensor<f32>' scalar, got 'tensor<f64>'}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %step, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f64>, tensor<f32>)
        -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_result_type(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{result #2 must have the param's type 'tensor<4xf32>', got 'tensor<8xf32>'}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
        -> (tensor<4xf32>, tensor<4xf32>, tensor<8xf32>)
  return
}

// -----

func.func @adam_beta1_one(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{beta1 must be in [0, 1), got 1}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 1.0 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : tensor<4xf32>
  return
}

// -----

func.func @adam_beta2_negative(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{beta2 must be in [0, 1), got -0.5}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = -0.5 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : tensor<4xf32>
  return
}

// -----

func.func @adam_epsilon_zero(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{epsilon must be finite and > 0, got 0}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 0.0 weight_decay = 0.0 adam_w_mode = false
      : tensor<4xf32>
  return
}

// -----

func.func @adam_negative_weight_decay(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{weight_decay must be finite and >= 0, got -0.01}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = -0.01 adam_w_mode = true
      : tensor<4xf32>
  return
}

// -----

func.func @adam_wrong_type_count(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+3 {{expected a function type with 7 inputs and 3 results}}
  %0:3 = ds.adam_update %p, %p, %p, %p, %s, %s, %s
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @sgd_buffer_dtype(%p: tensor<4xf32>, %b: tensor<4xf16>, %s: tensor<f32>) {
  // expected-error @+1 {{momentum_buffer must have the param's type 'tensor<4xf32>', got 'tensor<4xf16>'}}
  %0:2 = ds.sgd_update %p, %p, %b, %s, %s, %s
      momentum = 0.9 dampening = 0.0 weight_decay = 0.0 nesterov = false
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf16>, tensor<f32>, tensor<f32>, tensor<f32>)
        -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @sgd_grad_scale_vector(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{grad_scale must be a 'tensor<f32>' scalar, got 'tensor<4xf32>'}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %p
      momentum = 0.9 dampening = 0.0 weight_decay = 0.0 nesterov = false
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<4xf32>)
        -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @sgd_negative_momentum(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{momentum must be finite and >= 0, got -0.9}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %s
      momentum = -0.9 dampening = 0.0 weight_decay = 0.0 nesterov = false : tensor<4xf32>
  return
}

// -----

func.func @sgd_dampening_above_one(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{dampening must be in [0, 1], got 1.5}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %s
      momentum = 0.9 dampening = 1.5 weight_decay = 0.0 nesterov = false : tensor<4xf32>
  return
}

// -----

func.func @sgd_negative_weight_decay(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{weight_decay must be finite and >= 0, got -1}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %s
      momentum = 0.0 dampening = 0.0 weight_decay = -1.0 nesterov = false : tensor<4xf32>
  return
}

// -----

func.func @sgd_nesterov_without_momentum(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{nesterov needs momentum > 0 and dampening = 0, got momentum = 0 and dampening = 0}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %s
      momentum = 0.0 dampening = 0.0 weight_decay = 0.0 nesterov = true : tensor<4xf32>
  return
}

// -----

func.func @sgd_nesterov_with_dampening(%p: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{nesterov needs momentum > 0 and dampening = 0, got momentum = 0.9 and dampening = 0.1}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %s
      momentum = 0.9 dampening = 0.1 weight_decay = 0.0 nesterov = true : tensor<4xf32>
  return
}
