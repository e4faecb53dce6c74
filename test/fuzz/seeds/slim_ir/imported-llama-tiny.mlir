module {
  func.func @forward(%arg0: tensor<96x32xf32> {slim.param = #slim.param<"model.embed_tokens.weight", frozen>}, %arg1: tensor<32xf32> {slim.param = #slim.param<"model.layers.0.input_layernorm.weight", frozen>}, %arg2: tensor<32x32xf32> {slim.param = #slim.param<"model.layers.0.self_attn.q_proj.weight", frozen>}, %arg3: tensor<8x32xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", trainable>}, %arg4: tensor<32x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", trainable>}, %arg5: tensor<16x32xf32> {slim.param = #slim.param<"model.layers.0.self_attn.k_proj.weight", frozen>}, %arg6: tensor<16x32xf32> {slim.param = #slim.param<"model.layers.0.self_attn.v_proj.weight", frozen>}, %arg7: tensor<8x32xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", trainable>}, %arg8: tensor<16x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", trainable>}, %arg9: tensor<32x32xf32> {slim.param = #slim.param<"model.layers.0.self_attn.o_proj.weight", frozen>}, %arg10: tensor<32xf32> {slim.param = #slim.param<"model.layers.0.post_attention_layernorm.weight", frozen>}, %arg11: tensor<64x32xf32> {slim.param = #slim.param<"model.layers.0.mlp.gate_proj.weight", frozen>}, %arg12: tensor<64x32xf32> {slim.param = #slim.param<"model.layers.0.mlp.up_proj.weight", frozen>}, %arg13: tensor<32x64xf32> {slim.param = #slim.param<"model.layers.0.mlp.down_proj.weight", frozen>}, %arg14: tensor<32xf32> {slim.param = #slim.param<"model.layers.1.input_layernorm.weight", frozen>}, %arg15: tensor<32x32xf32> {slim.param = #slim.param<"model.layers.1.self_attn.q_proj.weight", frozen>}, %arg16: tensor<8x32xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", trainable>}, %arg17: tensor<32x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight", trainable>}, %arg18: tensor<16x32xf32> {slim.param = #slim.param<"model.layers.1.self_attn.k_proj.weight", frozen>}, %arg19: tensor<16x32xf32> {slim.param = #slim.param<"model.layers.1.self_attn.v_proj.weight", frozen>}, %arg20: tensor<8x32xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight", trainable>}, %arg21: tensor<16x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight", trainable>}, %arg22: tensor<32x32xf32> {slim.param = #slim.param<"model.layers.1.self_attn.o_proj.weight", frozen>}, %arg23: tensor<32xf32> {slim.param = #slim.param<"model.layers.1.post_attention_layernorm.weight", frozen>}, %arg24: tensor<64x32xf32> {slim.param = #slim.param<"model.layers.1.mlp.gate_proj.weight", frozen>}, %arg25: tensor<64x32xf32> {slim.param = #slim.param<"model.layers.1.mlp.up_proj.weight", frozen>}, %arg26: tensor<32x64xf32> {slim.param = #slim.param<"model.layers.1.mlp.down_proj.weight", frozen>}, %arg27: tensor<32xf32> {slim.param = #slim.param<"model.norm.weight", frozen>}, %arg28: tensor<96x32xf32> {slim.param = #slim.param<"lm_head.weight", frozen>}, %arg29: tensor<2x8xi32> {slim.input = "tokens"}, %arg30: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> attributes {slim.adapter_config = "{\22peft_type\22: \22LORA\22, \22r\22: 8, \22lora_alpha\22: 16, \22lora_dropout\22: 0.05}"} {
    %0 = slim.embedding %arg0[%arg29] : tensor<96x32xf32>, tensor<2x8xi32> -> tensor<2x8x32xf32>
    %1 = slim.rms_norm %0 scale %arg1 epsilon 1.000000e-05 : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    %2 = slim.linear %1, %arg2 : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
    %3 = slim.lora %1, %arg3, %arg4 scale 2.000000e+00 dropout 5.000000e-02 seed 7264737673621695787 : (tensor<2x8x32xf32>, tensor<8x32xf32>, tensor<32x8xf32>) -> tensor<2x8x32xf32>
    %4 = slim.add %2, %3 : tensor<2x8x32xf32>
    %5 = slim.linear %1, %arg5 : (tensor<2x8x32xf32>, tensor<16x32xf32>) -> tensor<2x8x16xf32>
    %6 = slim.linear %1, %arg6 : (tensor<2x8x32xf32>, tensor<16x32xf32>) -> tensor<2x8x16xf32>
    %7 = slim.lora %1, %arg7, %arg8 scale 2.000000e+00 dropout 5.000000e-02 seed 8448110065606282512 : (tensor<2x8x32xf32>, tensor<8x32xf32>, tensor<16x8xf32>) -> tensor<2x8x16xf32>
    %8 = slim.add %6, %7 : tensor<2x8x16xf32>
    %9 = slim.rope %4 head_dim 8 theta 1.000000e+04 : tensor<2x8x32xf32>
    %10 = slim.rope %5 head_dim 8 theta 1.000000e+04 : tensor<2x8x16xf32>
    %11 = slim.attention %9, %10, %8 heads 4 kv_heads 2 : (tensor<2x8x32xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x32xf32>
    %12 = slim.linear %11, %arg9 : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
    %13 = slim.add %0, %12 : tensor<2x8x32xf32>
    %14 = slim.rms_norm %13 scale %arg10 epsilon 1.000000e-05 : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    %15 = slim.linear %14, %arg11 : (tensor<2x8x32xf32>, tensor<64x32xf32>) -> tensor<2x8x64xf32>
    %16 = slim.silu %15 : tensor<2x8x64xf32>
    %17 = slim.linear %14, %arg12 : (tensor<2x8x32xf32>, tensor<64x32xf32>) -> tensor<2x8x64xf32>
    %18 = slim.mul %16, %17 : tensor<2x8x64xf32>
    %19 = slim.linear %18, %arg13 : (tensor<2x8x64xf32>, tensor<32x64xf32>) -> tensor<2x8x32xf32>
    %20 = slim.add %13, %19 : tensor<2x8x32xf32>
    %21 = slim.rms_norm %20 scale %arg14 epsilon 1.000000e-05 : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    %22 = slim.linear %21, %arg15 : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
    %23 = slim.lora %21, %arg16, %arg17 scale 2.000000e+00 dropout 5.000000e-02 seed 2821246125580667022 : (tensor<2x8x32xf32>, tensor<8x32xf32>, tensor<32x8xf32>) -> tensor<2x8x32xf32>
    %24 = slim.add %22, %23 : tensor<2x8x32xf32>
    %25 = slim.linear %21, %arg18 : (tensor<2x8x32xf32>, tensor<16x32xf32>) -> tensor<2x8x16xf32>
    %26 = slim.linear %21, %arg19 : (tensor<2x8x32xf32>, tensor<16x32xf32>) -> tensor<2x8x16xf32>
    %27 = slim.lora %21, %arg20, %arg21 scale 2.000000e+00 dropout 5.000000e-02 seed 1761261081196189533 : (tensor<2x8x32xf32>, tensor<8x32xf32>, tensor<16x8xf32>) -> tensor<2x8x16xf32>
    %28 = slim.add %26, %27 : tensor<2x8x16xf32>
    %29 = slim.rope %24 head_dim 8 theta 1.000000e+04 : tensor<2x8x32xf32>
    %30 = slim.rope %25 head_dim 8 theta 1.000000e+04 : tensor<2x8x16xf32>
    %31 = slim.attention %29, %30, %28 heads 4 kv_heads 2 : (tensor<2x8x32xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x32xf32>
    %32 = slim.linear %31, %arg22 : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
    %33 = slim.add %20, %32 : tensor<2x8x32xf32>
    %34 = slim.rms_norm %33 scale %arg23 epsilon 1.000000e-05 : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    %35 = slim.linear %34, %arg24 : (tensor<2x8x32xf32>, tensor<64x32xf32>) -> tensor<2x8x64xf32>
    %36 = slim.silu %35 : tensor<2x8x64xf32>
    %37 = slim.linear %34, %arg25 : (tensor<2x8x32xf32>, tensor<64x32xf32>) -> tensor<2x8x64xf32>
    %38 = slim.mul %36, %37 : tensor<2x8x64xf32>
    %39 = slim.linear %38, %arg26 : (tensor<2x8x64xf32>, tensor<32x64xf32>) -> tensor<2x8x32xf32>
    %40 = slim.add %33, %39 : tensor<2x8x32xf32>
    %41 = slim.rms_norm %40 scale %arg27 epsilon 1.000000e-05 : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    %42 = slim.linear %41, %arg28 : (tensor<2x8x32xf32>, tensor<96x32xf32>) -> tensor<2x8x96xf32>
    %43 = slim.cross_entropy %42, %arg30 ignore_index -100 : (tensor<2x8x96xf32>, tensor<2x8xi32>) -> tensor<f32>
    return %43 : tensor<f32>
  }
}
