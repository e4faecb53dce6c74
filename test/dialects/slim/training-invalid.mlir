// Every verifier rule of the training ops and training-step attributes.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics

func.func @negative_attention_grad_lse(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %lse: tensor<2x2x16xf32>) {
  // expected-error @+1 {{'slim.attention_grad' op lse has type 'tensor<2x2x16xf32>', expected 'tensor<2x4x16xf32>'}}
  %dq, %dk, %dv = slim.attention_grad %q, %k, %k, %q, %lse, %q heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x64xf32>, tensor<2x2x16xf32>, tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>)
  return
}

// -----

func.func @negative_attention_grad_output(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %lse: tensor<2x4x16xf32>) {
  // expected-error @+1 {{'slim.attention_grad' op output_grad has type 'tensor<2x16x32xf32>', expected 'tensor<2x16x64xf32>'}}
  %dq, %dk, %dv = slim.attention_grad %q, %k, %k, %q, %lse, %k heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x64xf32>, tensor<2x4x16xf32>, tensor<2x16x32xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>)
  return
}

// -----

func.func @negative_norm_grad_shape(%dy: tensor<2x16x32xf32>, %x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.rms_norm_grad' op result_grad has type 'tensor<2x16x32xf32>', expected 'tensor<2x16x64xf32>'}}
  %d = slim.rms_norm_grad %dy, %x epsilon 1.0e-5 : (tensor<2x16x32xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_layer_norm_grad_epsilon(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.layer_norm_grad' op expects epsilon > 0, got 0}}
  %d = slim.layer_norm_grad %x, %x epsilon 0.0 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_weight_grad_rows(%dy: tensor<2x16x64xf32>, %x: tensor<2x8x32xf32>) {
  // expected-error @+1 {{'slim.weight_grad' op result_grad of shape [2, 16, 64] and input of shape [2, 8, 32] differ outside the last dimension}}
  %dw = slim.weight_grad %dy, %x : (tensor<2x16x64xf32>, tensor<2x8x32xf32>) -> tensor<64x32xf32>
  return
}

// -----

func.func @negative_weight_grad_result(%dy: tensor<2x16x64xf32>, %x: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'slim.weight_grad' op result #0 has type 'tensor<32x64xf32>', but its operands and attributes give 'tensor<64x32xf32>'}}
  %dw = slim.weight_grad %dy, %x : (tensor<2x16x64xf32>, tensor<2x16x32xf32>) -> tensor<32x64xf32>
  return
}

// -----

func.func @negative_sum_rows_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'slim.sum_rows' op expects an input of rank >= 1, got 'tensor<f32>'}}
  %d = slim.sum_rows %x : tensor<f32> -> tensor<1xf32>
  return
}

// -----

func.func @negative_lora_grad_dy(%dy: tensor<2x16x32xf32>, %x: tensor<2x16x64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'slim.lora_grad' op result_grad has type 'tensor<2x16x32xf32>', expected 'tensor<2x16x64xf32>'}}
  %dx, %da, %db = slim.lora_grad %dy, %x, %a, %b scale 1.0 : (tensor<2x16x32xf32>, tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>)
  return
}

// -----

func.func @negative_lora_grad_rank(%dy: tensor<2x16x64xf32>, %x: tensor<2x16x64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x4xf32>) {
  // expected-error @+1 {{'slim.lora_grad' op lora_a has rank 8 but lora_b of shape [64, 4] has rank 4}}
  %dx, %da, %db = slim.lora_grad %dy, %x, %a, %b scale 1.0 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x4xf32>) -> (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x4xf32>)
  return
}

// -----

func.func @negative_silu_grad_types(%dy: tensor<2x16xf32>, %x: tensor<2x16xf16>) {
  // expected-error @+1 {{'slim.silu_grad' op result_grad has type 'tensor<2x16xf32>', expected 'tensor<2x16xf16>'}}
  %d = "slim.silu_grad"(%dy, %x) : (tensor<2x16xf32>, tensor<2x16xf16>) -> tensor<2x16xf32>
  return
}

// -----

func.func @negative_activation_flags_type(%x: tensor<2x15xf32>) {
  // expected-error @+1 {{'slim.activation_flags' op result #0 has type 'tensor<7xi8>', but its operands and attributes give 'tensor<8xi8>'}}
  %f = slim.activation_flags %x kind resilu2 : tensor<2x15xf32> -> tensor<7xi8>
  return
}

// -----

func.func @negative_activation_flags_f16(%x: tensor<2x16xf16>) {
  // expected-error @+1 {{'slim.activation_flags' op input must be f32 (the flags are computed in fp32), got 'f16'}}
  %f = slim.activation_flags %x kind resilu2 : tensor<2x16xf16> -> tensor<8xi8>
  return
}

// -----

func.func @negative_activation_grad_flags(%dy: tensor<2x16xf32>, %f: tensor<4xi8>) {
  // expected-error @+1 {{'slim.activation_grad_from_flags' op flags must be 'tensor<8xi8>' (4 per byte) for a gradient of type 'tensor<2x16xf32>', got 'tensor<4xi8>'}}
  %d = slim.activation_grad_from_flags %dy, %f kind resilu2 : (tensor<2x16xf32>, tensor<4xi8>) -> tensor<2x16xf32>
  return
}

// -----

func.func @negative_cross_entropy_with_grad(%l: tensor<2x16x96xf32>, %t: tensor<2x8xi32>) {
  // expected-error @+1 {{'slim.cross_entropy_with_grad' op targets of shape [2, 8] do not match the logits' rows [2, 16]}}
  %loss, %d = slim.cross_entropy_with_grad %l, %t ignore_index -100 : (tensor<2x16x96xf32>, tensor<2x8xi32>) -> (tensor<f32>, tensor<2x16x96xf32>)
  return
}

// -----

// The schedule a step records is checked as the runtime will use it.
// expected-error @+1 {{'slim.lr_schedule' expects 0 <= warmup_steps < total_steps and 0 <= min_lr <= lr for a cosine schedule}}
func.func @negative_lr_schedule_total() attributes {slim.lr_schedule = {kind = "cosine", lr = 1.0e-3 : f64, warmup_steps = 10 : i64, total_steps = 10 : i64, min_lr = 0.0 : f64}} {
  return
}

// -----

// expected-error @+1 {{'slim.lr_schedule' expects 0 <= warmup_steps < total_steps and 0 <= min_lr <= lr for a cosine schedule}}
func.func @negative_lr_schedule_min() attributes {slim.lr_schedule = {kind = "cosine", lr = 1.0e-3 : f64, warmup_steps = 0 : i64, total_steps = 10 : i64, min_lr = 1.0e-2 : f64}} {
  return
}

// -----

// expected-error @+1 {{'slim.lr_schedule' lr must be in [1e-12, 1000), got 0}}
func.func @negative_lr_schedule_lr() attributes {slim.lr_schedule = {kind = "constant", lr = 0.0 : f64, warmup_steps = 0 : i64, total_steps = 0 : i64, min_lr = 0.0 : f64}} {
  return
}

// -----

// expected-error @+1 {{'slim.lr_schedule' expects {kind, lr, warmup_steps, total_steps, min_lr}, got "cosine"}}
func.func @negative_lr_schedule_form() attributes {slim.lr_schedule = "cosine"} {
  return
}

// -----

// expected-error @+1 {{'slim.adapter_config' expects the adapter configuration as a string, got 3}}
func.func @negative_adapter_config() attributes {slim.adapter_config = 3} {
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.input' "lr" expects a tensor<f32> (the learning rate), got 'tensor<i32>'}}
func.func @negative_lr_input(%lr: tensor<i32> {slim.input = "lr"}) {
  return
}

// -----

func.func @negative_global_norm_empty() {
  // expected-error @+1 {{'slim.global_norm_squared' op expects at least one gradient}}
  %ss = "slim.global_norm_squared"() : () -> tensor<f64>
  return
}

// -----

func.func @negative_adamw_moment(%p: tensor<8x64xf32>, %m: tensor<8x32xf32>, %lr: tensor<f32>, %s: tensor<i32>, %ss: tensor<f64>) {
  // expected-error @+1 {{'slim.adamw' op m has type 'tensor<8x32xf32>', expected 'tensor<8x64xf32>'}}
  %a, %b, %c = slim.adamw %p, %p, %m, %p, %lr, %s, %ss beta1 0.9 beta2 0.999 eps 1.0e-8 weight_decay 0.0 max_grad_norm 1.0 : (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x32xf32>, tensor<8x64xf32>, tensor<f32>, tensor<i32>, tensor<f64>) -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>)
  return
}

// -----

func.func @negative_adamw_beta(%p: tensor<8x64xf32>, %lr: tensor<f32>, %s: tensor<i32>, %ss: tensor<f64>) {
  // expected-error @+1 {{'slim.adamw' op expects beta2 in [0, 1), got 1}}
  %a, %b, %c = slim.adamw %p, %p, %p, %p, %lr, %s, %ss beta1 0.9 beta2 1.0 eps 1.0e-8 weight_decay 0.0 max_grad_norm 1.0 : (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<f32>, tensor<i32>, tensor<f64>) -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>)
  return
}

// -----

func.func @negative_adamw_decay(%p: tensor<8x64xf32>, %lr: tensor<f32>, %s: tensor<i32>, %ss: tensor<f64>) {
  // expected-error @+1 {{'slim.adamw' op expects weight_decay >= 0, got -0.1}}
  %a, %b, %c = slim.adamw %p, %p, %p, %p, %lr, %s, %ss beta1 0.9 beta2 0.99 eps 1.0e-8 weight_decay -0.1 max_grad_norm 1.0 : (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<f32>, tensor<i32>, tensor<f64>) -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>)
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.input' "step" expects a tensor<i32> (the optimizer step), got 'tensor<2xi32>'}}
func.func @negative_step_type(%s: tensor<2xi32> {slim.input = "step"}) {
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.state' expects a statically shaped float or i32 tensor, got 'tensor<?xf32>'}}
func.func @negative_state_type(%s: tensor<?xf32> {slim.state = "A.exp_avg"}) {
  return
}

// -----

// expected-error @+1 {{result #0: 'slim.output' expects "loss", "grad_norm" or "reconstruction.*", got "accuracy"}}
func.func @negative_output_name(%l: tensor<f32>) -> (tensor<f32> {slim.output = "accuracy"}) {
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{result #0: 'slim.grad' names "B", which is no parameter}}
func.func @negative_grad_of_unknown(%a: tensor<2xf32> {slim.param = #slim.param<"A", trainable>}) -> (tensor<2xf32> {slim.grad = "B"}) {
  return %a : tensor<2xf32>
}

// -----

// expected-error @+1 {{result #0: 'slim.updates' has type 'tensor<3xf32>' but argument #0 is 'tensor<2xf32>'}}
func.func @negative_updates_type(%a: tensor<2xf32>, %b: tensor<3xf32>) -> (tensor<3xf32> {slim.updates = 0 : i64}) {
  return %b : tensor<3xf32>
}

// -----

// expected-error @+1 {{result #0: unknown slim result attribute 'slim.weird'}}
func.func @negative_unknown_result_attr(%a: tensor<2xf32>) -> (tensor<2xf32> {slim.weird = 1 : i64}) {
  return %a : tensor<2xf32>
}

// -----

func.func @negative_normalize_grad_rstd(%dz: tensor<2x16x64xf32>, %z: tensor<2x16x64xf32>, %r: tensor<2x8xf32>) {
  // expected-error @+1 {{'slim.normalize_grad' op rstd has type 'tensor<2x8xf32>', expected 'tensor<2x16xf32>'}}
  %d = slim.normalize_grad %dz, %z, %r kind rms : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x8xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

// CE-LoRA's operands: more kept features than the layer has.
func.func @sampled_too_many_columns(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>, %l: tensor<8x2xf32>, %r: tensor<2x16xf32>, %n: tensor<8xf32>, %s: tensor<9xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects between 1 and 8 kept output features, got 9}}
  %y = slim.sampled_linear %x, %w, %l, %r, %n columns %s refresh 200 : (tensor<2x16xf32>, tensor<8x16xf32>, tensor<8x2xf32>, tensor<2x16xf32>, tensor<8xf32>, tensor<9xi32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// An SVD pair that does not multiply to the weight's shape.
func.func @sampled_bad_pair(%dy: tensor<2x8xf32>, %w: tensor<8x16xf32>, %l: tensor<8x2xf32>, %r: tensor<3x16xf32>, %n: tensor<8xf32>, %s: tensor<4xi32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects an SVD pair [8, r] and [r, 16] with 1 <= r < 8, got [8, 2] and [3, 16]}}
  %dx, %s2 = slim.sampled_linear_grad %dy, %w, %l, %r, %n, %s refresh 200 : (tensor<2x8xf32>, tensor<8x16xf32>, tensor<8x2xf32>, tensor<3x16xf32>, tensor<8xf32>, tensor<4xi32>) -> (tensor<2x16xf32>, tensor<4xi32>)
  return %dx : tensor<2x16xf32>
}

// -----

// Norms of another length than the output features; refresh 0.
func.func @sampled_bad_norms(%dy: tensor<2x8xf32>, %w: tensor<8x16xf32>, %l: tensor<8x2xf32>, %r: tensor<2x16xf32>, %n: tensor<16xf32>, %s: tensor<4xi32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects 8 residual norms (one per output feature), got 16}}
  %dx, %s2 = slim.sampled_linear_grad %dy, %w, %l, %r, %n, %s refresh 200 : (tensor<2x8xf32>, tensor<8x16xf32>, tensor<8x2xf32>, tensor<2x16xf32>, tensor<16xf32>, tensor<4xi32>) -> (tensor<2x16xf32>, tensor<4xi32>)
  return %dx : tensor<2x16xf32>
}

// -----

func.func @sampled_refresh_zero(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>, %l: tensor<8x2xf32>, %r: tensor<2x16xf32>, %n: tensor<8xf32>, %s: tensor<4xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects refresh >= 1 optimizer steps, got 0}}
  %y = slim.sampled_linear %x, %w, %l, %r, %n columns %s refresh 0 : (tensor<2x16xf32>, tensor<8x16xf32>, tensor<8x2xf32>, tensor<2x16xf32>, tensor<8xf32>, tensor<4xi32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
