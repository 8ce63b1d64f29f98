package fwi.cloud.train;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import fwi.runtime.tensor.FloatTensor;

/**
 * Where a model's loss is taken and how velocities are normalized for it: the tensor named by
 * metadata {@code fwi.core.output} (InversionNet's Tanh output, [-1, 1]) with the model's
 * {@code fwi.norm.velocity_*} settings; a model without that metadata is trained at its graph
 * output with OpenFWI's 3000 ± 1500 m/s.
 *
 * @param output tensor the loss is computed on, {@code [N, 1, 70, 70]}
 * @param scaleMps m/s per normalized unit
 * @param offsetMps m/s at normalized 0
 */
record Targets(String output, double scaleMps, double offsetMps) {
  static Targets of(ModelProto m) {
    String out = OnnxModels.metadata(m, ModelMetadata.CORE_OUTPUT)
        .orElse(m.getGraph().getOutput(0).getName());
    double scale = OnnxModels.metadata(m, ModelMetadata.VELOCITY_SCALE_MPS).map(Double::parseDouble).orElse(1500.0);
    double offset = OnnxModels.metadata(m, ModelMetadata.VELOCITY_OFFSET_MPS).map(Double::parseDouble).orElse(3000.0);
    return new Targets(out, scale, offset);
  }

  FloatTensor normalize(FloatTensor mps) {
    float[] v = mps.data();
    float[] n = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      n[i] = (float) ((v[i] - offsetMps) / scaleMps);
    }
    return new FloatTensor(mps.shape(), n);
  }

  FloatTensor toMps(FloatTensor normalized) {
    float[] v = normalized.data();
    float[] n = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      n[i] = (float) (v[i] * scaleMps + offsetMps);
    }
    return new FloatTensor(normalized.shape(), n);
  }
}
