package fwi.cloud.train;

import fwi.cloud.data.OpenFwiDataset;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The samples of some files of a dataset folder, numbered {@code 0..count()-1} in file order,
 * read on demand from the memory-mapped files: a batch costs its own bytes of heap, never the
 * dataset's. Thread-safe for reads (the files are).
 */
public final class SampleSet {
  /**
   * A batch read from the files.
   *
   * @param size samples in the batch (0 when every sample asked for was skipped)
   * @param gathers raw amplitudes, {@code size} samples of {@code sampleShape} ({@code [5, 1000, 70]})
   * @param velocity true velocity, {@code size} samples of {@code [1, 70, 70]}, m/s
   * @param skipped samples left out because they held NaN or infinite values, as "dataN.npy sample i"
   */
  public record Batch(int size, float[] gathers, float[] velocity, int[] sampleShape, List<String> skipped) {
    /** Gathers as a tensor {@code [size, 5, 1000, 70]}; size must be at least 1. */
    public FloatTensor gatherTensor() {
      int[] d = new int[sampleShape.length + 1];
      d[0] = size;
      System.arraycopy(sampleShape, 0, d, 1, sampleShape.length);
      return new FloatTensor(Shape.of(d), gathers);
    }

    /** Velocity as a tensor {@code [size, 1, 70, 70]}, m/s; size must be at least 1. */
    public FloatTensor velocityTensor() {
      return new FloatTensor(Shape.of(size, 1, 70, 70), velocity);
    }
  }

  private final List<OpenFwiDataset.Pair> pairs;
  private final int[] starts;
  private final int count;

  /**
   * @throws IllegalArgumentException if a file number is not in the dataset
   */
  public SampleSet(OpenFwiDataset dataset, List<Integer> files) {
    pairs = new ArrayList<>();
    for (int f : files) {
      pairs.add(dataset.pair(f).orElseThrow(() -> new IllegalArgumentException("dataset " + dataset.folder()
          + " has no file pair number " + f + " (it has " + dataset.fileNumbers() + ")")));
    }
    starts = new int[pairs.size() + 1];
    for (int i = 0; i < pairs.size(); i++) {
      starts[i + 1] = starts[i] + pairs.get(i).count();
    }
    count = starts[pairs.size()];
  }

  public int count() {
    return count;
  }

  /** Shape of one gather sample, e.g. {@code [5, 1000, 70]}. */
  public int[] sampleShape() {
    int[] d = pairs.get(0).data().shape().dims();
    return java.util.Arrays.copyOfRange(d, 1, d.length);
  }

  /** A permutation of all samples for one epoch: the same (seed, epoch) gives the same order. */
  public int[] order(long seed, int epoch) {
    int[] p = new int[count];
    for (int i = 0; i < count; i++) {
      p[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
    for (int i = count - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Reads samples {@code [from, to)} in file order; as {@link #read(int[], int, int)}. */
  public Batch read(int from, int to) {
    int[] indices = new int[to - from];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = from + i;
    }
    return read(indices, 0, indices.length);
  }

  /**
   * Reads samples {@code indices[from..to)}; samples holding NaN or infinite values are skipped and
   * named in {@link Batch#skipped()} (an all-bad batch has size 0).
   */
  public Batch read(int[] indices, int from, int to) {
    int[] gs = sampleShape();
    int gPer = 1;
    for (int d : gs) {
      gPer *= d;
    }
    int vPer = 70 * 70;
    float[] g = new float[(to - from) * gPer];
    float[] v = new float[(to - from) * vPer];
    List<String> skipped = new ArrayList<>();
    int n = 0;
    for (int k = from; k < to; k++) {
      int index = indices[k];
      int file = fileOf(index);
      OpenFwiDataset.Pair pair = pairs.get(file);
      int local = index - starts[file];
      FloatTensor x = pair.data().samples(local, 1);
      FloatTensor y = pair.model().samples(local, 1);
      if (x.firstNonFinite() >= 0 || y.firstNonFinite() >= 0) {
        skipped.add((x.firstNonFinite() >= 0 ? pair.data().path() : pair.model().path()).getFileName()
            + " sample " + local);
        continue;
      }
      System.arraycopy(x.data(), 0, g, n * gPer, gPer);
      System.arraycopy(y.data(), 0, v, n * vPer, vPer);
      n++;
    }
    if (n < to - from) {
      g = java.util.Arrays.copyOf(g, n * gPer);
      v = java.util.Arrays.copyOf(v, n * vPer);
    }
    return new Batch(n, g, v, gs, List.copyOf(skipped));
  }

  private int fileOf(int index) {
    if (index < 0 || index >= count) {
      throw new IndexOutOfBoundsException("sample " + index + " requested, but the set holds " + count);
    }
    int lo = 0;
    int hi = pairs.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
}
