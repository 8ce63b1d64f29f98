package fwi.edge.telemetry;

import com.google.protobuf.ByteString;
import fwi.edge.inference.Inference;
import fwi.edge.inference.ModelInfo;
import fwi.edge.inference.WindowReport;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.Telemetry;
import fwi.proto.v1.VelocityEncoding;
import java.lang.management.MemoryUsage;
import java.util.HexFormat;

/** Builds the wire messages the agent reports (everything but the envelope, which the publisher adds). */
public final class Reports {
  private Reports() {
  }

  public static ModelRef ref(ModelInfo m) {
    return ModelRef.newBuilder().setModelId(m.modelId()).setVersion(m.version())
        .setSha256(ByteString.copyFrom(HexFormat.of().parseHex(m.sha256Hex()))).build();
  }

  /**
   * The result of one inference; the velocity map of the first sample of the batch in
   * {@code encoding}, or none when {@code encoding} is UNSPECIFIED (summaries only).
   */
  public static InferenceResult.Builder result(Inference.Outcome o, VelocityEncoding encoding) {
    float[] v = o.output().data();
    InferenceResult.Builder b = InferenceResult.newBuilder()
        .setInputId(o.inputId())
        .setModel(ref(o.model()))
        .setInferenceLatencyUs(o.inferenceNanos() / 1000)
        .setEndToEndLatencyUs(o.endToEndNanos() / 1000)
        .setInputReceivedUnixMs(o.receivedUnixMs())
        .setStats(VelocityMaps.stats(v));
    if (encoding != VelocityEncoding.VELOCITY_ENCODING_UNSPECIFIED) {
      b.setVelocityMap(VelocityMaps.encode(v, o.output().shape().dims(), encoding));
    }
    return b;
  }

  /** Publisher figures that go into telemetry. */
  public record PublishFigures(long droppedInWindow, long buffered) {
  }

  /** Telemetry of one closed window, with resources sampled now. */
  public static Telemetry.Builder telemetry(WindowReport w, PublishFigures p) {
    Telemetry.Builder t = Telemetry.newBuilder()
        .setWindowStartUnixMs(w.startUnixMs())
        .setWindowLengthMs((int) Math.min(Integer.MAX_VALUE, Math.max(0, w.lengthMs())))
        .setInferenceCount(w.count())
        .setThroughputPerS(w.lengthMs() > 0 ? w.count() * 1000.0 / w.lengthMs() : 0)
        .setLatencyP50Us(w.percentile(0.50) / 1000)
        .setLatencyP95Us(w.percentile(0.95) / 1000)
        .setLatencyP99Us(w.percentile(0.99) / 1000)
        .setLatencyMaxUs(w.max() / 1000)
        .setLatencyMeanUs(w.mean() / 1000)
        .setInferenceErrorCount(w.inferenceErrors())
        .setInputErrorCount(w.inputErrors())
        .setInputDroppedCount(w.dropped())
        .setPublishDroppedCount(p.droppedInWindow())
        .setPublishBufferedCount(p.buffered());
    w.model().ifPresent(m -> t.setModel(ref(m)));
    SystemProbe.rssBytes().ifPresent(t::setMemoryRssBytes);
    SystemProbe.availableBytes().ifPresent(t::setMemoryAvailableBytes);
    MemoryUsage heap = SystemProbe.heap();
    t.setHeapUsedBytes(heap.getUsed()).setHeapMaxBytes(Math.max(0, heap.getMax()));
    SystemProbe.temperatureMilliC().ifPresent(t::setCpuTemperatureMdegC);
    t.setCpuThrottled(SystemProbe.throttled());
    return t;
  }
}
