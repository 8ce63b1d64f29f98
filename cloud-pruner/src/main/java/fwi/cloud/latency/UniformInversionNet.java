package fwi.cloud.latency;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Uniformly thinned copies of an InversionNet as {@code pruner build} makes it (its metadata names the
 * width and seed and its layers are those of that width; trained weights do not matter for timing),
 * for a latency table's whole-model calibration at several widths ({@link LatencyProfiler}). A single
 * full-width measurement pins the table's fixed overhead from one noisy number; a least-squares fit
 * over five widths is far steadier.
 */
public final class UniformInversionNet {
  private UniformInversionNet() {
  }

  /**
   * The thinner for {@code m}, or {@link LatencyProfiler.UniformModels#none()} (calibration at full
   * width only) with the reason told to {@code note} if {@code m} is not a built InversionNet.
   */
  public static LatencyProfiler.UniformModels of(ModelProto m, Consumer<String> note) throws InvalidModelException {
    Optional<String> name = OnnxModels.metadata(m, ModelMetadata.NAME);
    Optional<String> width = OnnxModels.metadata(m, ModelMetadata.WIDTH);
    if (name.isEmpty() || !name.get().equals("InversionNet") || width.isEmpty()) {
      return none(note, "it is not a built InversionNet");
    }
    double w;
    long seed;
    try {
      w = Double.parseDouble(width.get());
      seed = Long.parseLong(OnnxModels.metadata(m, ModelMetadata.SEED).orElse("0"));
    } catch (NumberFormatException e) {
      return none(note, "its width or seed metadata is not a number");
    }
    InversionNetConfig.CropStyle crop = m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("Pad"))
        ? InversionNetConfig.CropStyle.PAD : InversionNetConfig.CropStyle.SLICE;
    InversionNetConfig config = InversionNetConfig.defaults().withWidth(w).withSeed(seed).withCrop(crop);
    List<String> expected = LayerKey.of(InversionNet.build(config)).stream().map(UniformInversionNet::channels).toList();
    if (!LayerKey.of(m).stream().map(UniformInversionNet::channels).toList().equals(expected)) {
      return none(note, "its layers are not those of InversionNet at width " + w + " (pruned?)");
    }
    return keep -> Optional.of(InversionNet.build(config.withWidth(w * keep)).toByteArray());
  }

  private static String channels(LayerKey k) {
    return k.name() + ":" + k.inChannels() + "->" + k.outChannels();
  }

  private static LatencyProfiler.UniformModels none(Consumer<String> note, String why) {
    note.accept("calibrating at full width only: " + why);
    return LatencyProfiler.UniformModels.none();
  }
}
