package fwi.cloud.model;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import java.util.SplittableRandom;

/** Small models used as yardsticks, for example to measure what ONNX Runtime's GEMM achieves here. */
public final class ReferenceModels {
  private ReferenceModels() {}

  /**
   * One MatMul: input {@code a [n, n]} times a constant {@code [n, n]} matrix; {@code n³} MACs.
   * ONNX Runtime's GEMM on a large square matrix is the practical peak its convolutions can approach.
   */
  public static ModelProto squareMatMul(int n) {
    if (n < 1 || n > 8192) {
      throw new IllegalArgumentException("matrix size must be in [1, 8192], but was " + n);
    }
    GraphBuilder g = new GraphBuilder("square_matmul");
    g.input(GraphBuilder.floatValue("a", n, n));
    g.output(GraphBuilder.floatValue("c", n, n));
    SplittableRandom r = new SplittableRandom(1);
    float[] b = new float[n * n];
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (r.nextDouble() - 0.5);
    }
    g.node("MatMul", "matmul", "c", new String[] {"a", g.floats("b", b, n, n)});
    return ModelProto.newBuilder().setIrVersion(InversionNet.IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(InversionNet.OPSET))
        .setProducerName("fwi-cloud-pruner").setGraph(g.build()).build();
  }
}
