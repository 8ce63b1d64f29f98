package fwi.cloud.latency;

import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.List;
import java.util.SplittableRandom;

/** Latency measurement shared by the benchmark commands. Stateless. */
public final class Timing {
  private Timing() {}

  /** Uniform noise in [-1, 1), the same for the same seed. */
  public static FloatTensor noise(Shape s, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[s.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return new FloatTensor(s, v);
  }

  /** {@code warmup} untimed runs, then {@code runs} timed ones on a monotonic clock. */
  public static LatencySummary time(ModelRunner r, FloatTensor input, int warmup, int runs) throws InferenceException {
    return interleaved(List.of(r), input, warmup, runs)[0];
  }

  /**
   * Times several models on the same input, one run of each in turn per round, so that a noisy
   * neighbour on a shared machine slows all of them alike and their ratios stay meaningful.
   */
  public static LatencySummary[] interleaved(List<ModelRunner> runners, FloatTensor input, int warmup, int runs)
      throws InferenceException {
    for (ModelRunner r : runners) {
      for (int i = 0; i < warmup; i++) {
        r.run(input);
      }
    }
    long[][] nanos = new long[runners.size()][runs];
    for (int i = 0; i < runs; i++) {
      for (int m = 0; m < runners.size(); m++) {
        long t0 = System.nanoTime();
        runners.get(m).run(input);
        nanos[m][i] = System.nanoTime() - t0;
      }
    }
    LatencySummary[] out = new LatencySummary[runners.size()];
    for (int m = 0; m < out.length; m++) {
      out[m] = LatencySummary.ofNanos(nanos[m]);
    }
    return out;
  }
}
