package fwi.cloud.prune;

import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.prune.ChannelGraph.ResolvedLayout;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Scores the channels of a group under a {@link Criterion}. Stateless. */
final class Importance {
  private Importance() {}

  /**
   * One score per channel of {@code g}; higher means more important.
   *
   * @throws IllegalArgumentException for {@link Criterion#BN} on a group without a BatchNormalization
   */
  static double[] scores(ChannelGraph cg, ChannelGroup g, Criterion criterion, long seed) throws InvalidModelException {
    double[] s = new double[g.channels()];
    switch (criterion) {
      case RANDOM -> {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + g.name().hashCode());
        for (int i = 0; i < s.length; i++) {
          s[i] = r.nextDouble();
        }
      }
      case L1 -> accumulate(cg, g, Set.of(Role.PRODUCER, Role.DEPTHWISE), false, s);
      case L2 -> {
        accumulate(cg, g, Set.of(Role.PRODUCER, Role.DEPTHWISE), true, s);
        for (int i = 0; i < s.length; i++) {
          s[i] = Math.sqrt(s[i]);
        }
      }
      case BN -> {
        if (g.members().stream().noneMatch(m -> m.role() == Role.NORM_SCALE)) {
          throw new IllegalArgumentException("criterion bn needs a BatchNormalization on every pruned group, but group '"
              + g.name() + "' has none (was BatchNorm folded into the convolutions?); use l1 or l2");
        }
        accumulate(cg, g, Set.of(Role.NORM_SCALE), false, s);
      }
      default -> throw new IllegalStateException("unknown criterion " + criterion);
    }
    return s;
  }

  /** Adds, for every member axis in {@code roles}, the sum of |w| (or w²) of each channel's slice. */
  private static void accumulate(ChannelGraph cg, ChannelGroup g, Set<Role> roles, boolean squares, double[] out)
      throws InvalidModelException {
    Set<String> seen = new HashSet<>();
    for (Member m : g.members()) {
      if (!roles.contains(m.role()) || !seen.add(m.initializer() + "#" + m.axis())) {
        continue;
      }
      TensorProto t = cg.graph().initializer(m.initializer()).orElseThrow();
      double[] perIndex = axisSums(t, m.axis(), squares);
      ResolvedLayout l = cg.axes().get(m.initializer()).get(m.axis());
      int offset = 0;
      for (Layout.Segment seg : l.segments()) {
        if (seg.group() == g.id()) {
          for (int c = 0; c < seg.length(); c++) {
            for (int r = 0; r < seg.repeat(); r++) {
              out[c] += perIndex[offset + c * seg.repeat() + r];
            }
          }
        }
        offset += seg.length() * seg.repeat();
      }
    }
  }

  /** For each index along {@code axis}, the sum over all other axes of |w| or w². */
  static double[] axisSums(TensorProto t, int axis, boolean squares) throws InvalidModelException {
    List<Long> dims = t.getDimsList();
    long outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= dims.get(i);
    }
    int n = (int) (long) dims.get(axis);
    long inner = 1;
    for (int i = axis + 1; i < dims.size(); i++) {
      inner *= dims.get(i);
    }
    FloatBuffer w = floats(t);
    double[] sums = new double[n];
    int p = 0;
    for (long o = 0; o < outer; o++) {
      for (int i = 0; i < n; i++) {
        double acc = 0;
        for (long k = 0; k < inner; k++) {
          float v = w.get(p++);
          acc += squares ? (double) v * v : Math.abs(v);
        }
        sums[i] += acc;
      }
    }
    return sums;
  }

  /** A read-only view of a float32 tensor's values, without copying raw data. */
  static FloatBuffer floats(TensorProto t) throws InvalidModelException {
    if (!t.getRawData().isEmpty()) {
      long expected = 4 * OnnxGraph.elementCount(t);
      if (t.getRawData().size() != expected) {
        throw new InvalidModelException("tensor '" + t.getName() + "' holds " + t.getRawData().size()
            + " bytes, but its dims " + t.getDimsList() + " need " + expected);
      }
      return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }
    return FloatBuffer.wrap(OnnxGraph.floatValues(t));
  }
}
