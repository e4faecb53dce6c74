// A graph with a syntax error on line 3 (slim.silu needs an operand).
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = slim.silu : tensor<2xf32>
  return %y : tensor<2xf32>
}
