// A 2-layer LLaMA-style decoder with LoRA (r = 8, alpha = 16) on q_proj and v_proj: the
// forward training graph, next-token loss included. Sizes are tiny (vocab 256, width 64,
// 4 query / 2 key-value heads of 16 channels, FFN 128, tied embeddings); batch and sequence
// are left open (?) so one file serves any batch shape:
//
//   slimtune-opt examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=4 seq=32"
//
// Parameters carry their Hugging Face / PEFT checkpoint names; only the adapters train.

func.func @forward(
    %embed: tensor<256x64xf32> {slim.param = #slim.param<"model.embed_tokens.weight", frozen>},
    %l0_ln1: tensor<64xf32> {slim.param = #slim.param<"model.layers.0.input_layernorm.weight", frozen>},
    %l0_wq: tensor<64x64xf32> {slim.param = #slim.param<"model.layers.0.self_attn.q_proj.weight", frozen>},
    %l0_qa: tensor<8x64xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", trainable>},
    %l0_qb: tensor<64x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", trainable>},
    %l0_wk: tensor<32x64xf32> {slim.param = #slim.param<"model.layers.0.self_attn.k_proj.weight", frozen>},
    %l0_wv: tensor<32x64xf32> {slim.param = #slim.param<"model.layers.0.self_attn.v_proj.weight", frozen>},
    %l0_va: tensor<8x64xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", trainable>},
    %l0_vb: tensor<32x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", trainable>},
    %l0_wo: tensor<64x64xf32> {slim.param = #slim.param<"model.layers.0.self_attn.o_proj.weight", frozen>},
    %l0_ln2: tensor<64xf32> {slim.param = #slim.param<"model.layers.0.post_attention_layernorm.weight", frozen>},
    %l0_wg: tensor<128x64xf32> {slim.param = #slim.param<"model.layers.0.mlp.gate_proj.weight", frozen>},
    %l0_wu: tensor<128x64xf32> {slim.param = #slim.param<"model.layers.0.mlp.up_proj.weight", frozen>},
    %l0_wd: tensor<64x128xf32> {slim.param = #slim.param<"model.layers.0.mlp.down_proj.weight", frozen>},
    %l1_ln1: tensor<64xf32> {slim.param = #slim.param<"model.layers.1.input_layernorm.weight", frozen>},
    %l1_wq: tensor<64x64xf32> {slim.param = #slim.param<"model.layers.1.self_attn.q_proj.weight", frozen>},
    %l1_qa: tensor<8x64xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", trainable>},
    %l1_qb: tensor<64x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight", trainable>},
    %l1_wk: tensor<32x64xf32> {slim.param = #slim.param<"model.layers.1.self_attn.k_proj.weight", frozen>},
    %l1_wv: tensor<32x64xf32> {slim.param = #slim.param<"model.layers.1.self_attn.v_proj.weight", frozen>},
    %l1_va: tensor<8x64xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight", trainable>},
    %l1_vb: tensor<32x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight", trainable>},
    %l1_wo: tensor<64x64xf32> {slim.param = #slim.param<"model.layers.1.self_attn.o_proj.weight", frozen>},
    %l1_ln2: tensor<64xf32> {slim.param = #slim.param<"model.layers.1.post_attention_layernorm.weight", frozen>},
    %l1_wg: tensor<128x64xf32> {slim.param = #slim.param<"model.layers.1.mlp.gate_proj.weight", frozen>},
    %l1_wu: tensor<128x64xf32> {slim.param = #slim.param<"model.layers.1.mlp.up_proj.weight", frozen>},
    %l1_wd: tensor<64x128xf32> {slim.param = #slim.param<"model.layers.1.mlp.down_proj.weight", frozen>},
    %norm: tensor<64xf32> {slim.param = #slim.param<"model.norm.weight", frozen>},
    %tokens: tensor<?x?xi32> {slim.input = "tokens"},
    %targets: tensor<?x?xi32> {slim.input = "targets"}) -> tensor<f32> {
  %x0 = slim.embedding %embed[%tokens] : tensor<256x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>

  // Layer 0: attention.
  %l0_h = slim.rms_norm %x0 scale %l0_ln1 epsilon 1.000000e-05 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %l0_q0 = slim.linear %l0_h, %l0_wq : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %l0_dq = slim.lora %l0_h, %l0_qa, %l0_qb scale 2.000000e+00 : (tensor<?x?x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<?x?x64xf32>
  %l0_q = slim.add %l0_q0, %l0_dq : tensor<?x?x64xf32>
  %l0_k = slim.linear %l0_h, %l0_wk : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %l0_v0 = slim.linear %l0_h, %l0_wv : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %l0_dv = slim.lora %l0_h, %l0_va, %l0_vb scale 2.000000e+00 : (tensor<?x?x64xf32>, tensor<8x64xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  %l0_v = slim.add %l0_v0, %l0_dv : tensor<?x?x32xf32>
  %l0_qr = slim.rope %l0_q head_dim 16 theta 1.000000e+04 : tensor<?x?x64xf32>
  %l0_kr = slim.rope %l0_k head_dim 16 theta 1.000000e+04 : tensor<?x?x32xf32>
  %l0_a = slim.attention %l0_qr, %l0_kr, %l0_v heads 4 kv_heads 2 : (tensor<?x?x64xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  %l0_o = slim.linear %l0_a, %l0_wo : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %x1 = slim.add %x0, %l0_o : tensor<?x?x64xf32>

  // Layer 0: SwiGLU MLP.
  %l0_m = slim.rms_norm %x1 scale %l0_ln2 epsilon 1.000000e-05 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %l0_g = slim.linear %l0_m, %l0_wg : (tensor<?x?x64xf32>, tensor<128x64xf32>) -> tensor<?x?x128xf32>
  %l0_u = slim.linear %l0_m, %l0_wu : (tensor<?x?x64xf32>, tensor<128x64xf32>) -> tensor<?x?x128xf32>
  %l0_s = slim.silu %l0_g : tensor<?x?x128xf32>
  %l0_p = slim.mul %l0_s, %l0_u : tensor<?x?x128xf32>
  %l0_d = slim.linear %l0_p, %l0_wd : (tensor<?x?x128xf32>, tensor<64x128xf32>) -> tensor<?x?x64xf32>
  %x2 = slim.add %x1, %l0_d : tensor<?x?x64xf32>

  // Layer 1: attention.
  %l1_h = slim.rms_norm %x2 scale %l1_ln1 epsilon 1.000000e-05 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %l1_q0 = slim.linear %l1_h, %l1_wq : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %l1_dq = slim.lora %l1_h, %l1_qa, %l1_qb scale 2.000000e+00 : (tensor<?x?x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<?x?x64xf32>
  %l1_q = slim.add %l1_q0, %l1_dq : tensor<?x?x64xf32>
  %l1_k = slim.linear %l1_h, %l1_wk : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %l1_v0 = slim.linear %l1_h, %l1_wv : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %l1_dv = slim.lora %l1_h, %l1_va, %l1_vb scale 2.000000e+00 : (tensor<?x?x64xf32>, tensor<8x64xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  %l1_v = slim.add %l1_v0, %l1_dv : tensor<?x?x32xf32>
  %l1_qr = slim.rope %l1_q head_dim 16 theta 1.000000e+04 : tensor<?x?x64xf32>
  %l1_kr = slim.rope %l1_k head_dim 16 theta 1.000000e+04 : tensor<?x?x32xf32>
  %l1_a = slim.attention %l1_qr, %l1_kr, %l1_v heads 4 kv_heads 2 : (tensor<?x?x64xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  %l1_o = slim.linear %l1_a, %l1_wo : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %x3 = slim.add %x2, %l1_o : tensor<?x?x64xf32>

  // Layer 1: SwiGLU MLP.
  %l1_m = slim.rms_norm %x3 scale %l1_ln2 epsilon 1.000000e-05 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %l1_g = slim.linear %l1_m, %l1_wg : (tensor<?x?x64xf32>, tensor<128x64xf32>) -> tensor<?x?x128xf32>
  %l1_u = slim.linear %l1_m, %l1_wu : (tensor<?x?x64xf32>, tensor<128x64xf32>) -> tensor<?x?x128xf32>
  %l1_s = slim.silu %l1_g : tensor<?x?x128xf32>
  %l1_p = slim.mul %l1_s, %l1_u : tensor<?x?x128xf32>
  %l1_d = slim.linear %l1_p, %l1_wd : (tensor<?x?x128xf32>, tensor<64x128xf32>) -> tensor<?x?x64xf32>
  %x4 = slim.add %x3, %l1_d : tensor<?x?x64xf32>

  // Head: final norm, tied LM head (the embedding table, [vocab, width] = [out, in]), loss.
  %h = slim.rms_norm %x4 scale %norm epsilon 1.000000e-05 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %logits = slim.linear %h, %embed : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
  %loss = slim.cross_entropy %logits, %targets ignore_index -100 : (tensor<?x?x256xf32>, tensor<?x?xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
