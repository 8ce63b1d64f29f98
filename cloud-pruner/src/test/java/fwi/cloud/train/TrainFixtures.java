package fwi.cloud.train;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.SplittableRandom;

/** Models and inputs shared by the training-engine tests. */
final class TrainFixtures {
  private TrainFixtures() {}

  /**
   * InversionNet that looks trained to the executor: conv weights scaled so activations keep unit
   * scale through all layers, and BatchNorm scale, shift and running statistics away from their
   * initial 1/0/0/1 so eval-mode normalization is really exercised.
   */
  static ModelProto trainedLooking(InversionNetConfig config, long seed) throws Exception {
    ModelProto m = InversionNet.build(config);
    SplittableRandom r = new SplittableRandom(seed);
    ModelProto.Builder b = m.toBuilder();
    for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
      TensorProto t = b.getGraph().getInitializer(i);
      String n = t.getName();
      if (t.getDataType() != TensorProto.DataType.FLOAT.getNumber()) {
        continue;
      }
      float[] v = OnnxGraph.floatValues(t);
      if (n.endsWith(".bn.weight")) {
        fill(v, r, 0.5, 1.5);
      } else if (n.endsWith(".bn.bias")) {
        fill(v, r, -0.2, 0.2);
      } else if (n.endsWith(".bn.running_mean")) {
        fill(v, r, -0.05, 0.05);
      } else if (n.endsWith(".bn.running_var")) {
        fill(v, r, 0.5, 2.0);
      } else if (n.endsWith(".weight")) {
        for (int k = 0; k < v.length; k++) {
          v[k] *= 2.4f;
        }
      } else {
        continue;
      }
      b.getGraphBuilder().setInitializer(i, TorchGraph.floatTensor(t, v));
    }
    return b.build();
  }

  private static void fill(float[] v, SplittableRandom r, double lo, double hi) {
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) (lo + r.nextDouble() * (hi - lo));
    }
  }

  /** Raw-amplitude gathers in the range of OpenFWI's FlatVel-A. */
  static FloatTensor gathers(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * 5 * 1000 * 70];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (-20 + 60 * r.nextDouble());
    }
    return new FloatTensor(Shape.of(n, 5, 1000, 70), v);
  }

  static float[] ort(ModelProto m, FloatTensor x) throws Exception {
    try (ModelRunner runner = ModelRunner.open(m.toByteArray(), new RunnerOptions(1), "test model")) {
      return runner.run(x).data();
    }
  }

  static ModelProto model(GraphBuilder g) {
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(g.build()).build();
  }
}
