package fwi.cloud.data;

import fwi.runtime.npy.NpyFile;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A folder of OpenFWI-style pairs: {@code dataN.npy} shaped {@code [n, 5, 1000, 70]} (shot
 * gathers) and {@code modelN.npy} shaped {@code [n, 1, 70, 70]} (velocity in m/s), same n.
 * Files are memory-mapped ({@link NpyFile}), so a 43 GB folder costs no heap until samples are read.
 *
 * <p>Opening checks every pair (both files present, shapes as above, equal sample counts) and
 * fails naming the file and the expected and actual shape. Thread-safe for reads; close once.
 */
public final class OpenFwiDataset implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("(data|model)(\\d+)\\.npy");

  /** One {@code dataN.npy}/{@code modelN.npy} pair. */
  public record Pair(int number, NpyFile data, NpyFile model) {
    public int count() {
      return data.count();
    }
  }

  private final Path folder;
  private final Map<Integer, Pair> pairs;

  private OpenFwiDataset(Path folder, Map<Integer, Pair> pairs) {
    this.folder = folder;
    this.pairs = pairs;
  }

  /**
   * Opens every pair in {@code folder}.
   *
   * @throws DatasetException naming the file when a pair is incomplete or a shape is wrong
   */
  public static OpenFwiDataset open(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new DatasetException(folder + ": not a directory");
    }
    Map<Integer, Path> data = new TreeMap<>();
    Map<Integer, Path> model = new TreeMap<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          (m.group(1).equals("data") ? data : model).put(Integer.parseInt(m.group(2)), p);
        }
      }
    }
    if (data.isEmpty() && model.isEmpty()) {
      throw new DatasetException(folder + ": no dataN.npy / modelN.npy files");
    }
    Map<Integer, Pair> pairs = new TreeMap<>();
    try {
      for (int n : union(data, model)) {
        Path d = data.get(n);
        Path v = model.get(n);
        if (d == null || v == null) {
          throw new DatasetException(folder + ": " + (d == null ? "data" + n + ".npy is missing for model" + n + ".npy"
              : "model" + n + ".npy is missing for data" + n + ".npy"));
        }
        NpyFile df = NpyFile.open(d);
        NpyFile vf;
        try {
          vf = NpyFile.open(v);
        } catch (IOException e) {
          df.close();
          throw e;
        }
        pairs.put(n, new Pair(n, df, vf));
        check(df, 5, 1000, 70);
        check(vf, 1, 70, 70);
        if (df.count() != vf.count()) {
          throw new DatasetException(d.getFileName() + " holds " + df.count() + " samples, but " + v.getFileName()
              + " holds " + vf.count());
        }
      }
    } catch (IOException | RuntimeException e) {
      for (Pair p : pairs.values()) {
        p.data().close();
        p.model().close();
      }
      throw e;
    }
    return new OpenFwiDataset(folder, Collections.unmodifiableMap(pairs));
  }

  private static List<Integer> union(Map<Integer, Path> a, Map<Integer, Path> b) {
    TreeMap<Integer, Boolean> all = new TreeMap<>();
    a.keySet().forEach(k -> all.put(k, true));
    b.keySet().forEach(k -> all.put(k, true));
    return new ArrayList<>(all.keySet());
  }

  private static void check(NpyFile f, int c, int h, int w) throws DatasetException {
    Shape s = f.shape();
    if (s.rank() != 4 || s.dim(1) != c || s.dim(2) != h || s.dim(3) != w) {
      throw new DatasetException(f.path().getFileName() + ": expected shape [n, " + c + ", " + h + ", " + w
          + "], but was " + s);
    }
  }

  public Path folder() {
    return folder;
  }

  /** File numbers N present, ascending. */
  public List<Integer> fileNumbers() {
    return List.copyOf(pairs.keySet());
  }

  /** The pair numbered {@code n}, if present. */
  public Optional<Pair> pair(int n) {
    return Optional.ofNullable(pairs.get(n));
  }

  /** Samples in the given files. */
  public long sampleCount(List<Integer> files) {
    long total = 0;
    for (int f : files) {
      total += pair(f).orElseThrow(() -> new IllegalArgumentException(folder + ": no file pair " + f)).count();
    }
    return total;
  }

  @Override
  public void close() throws IOException {
    for (Pair p : pairs.values()) {
      p.data().close();
      p.model().close();
    }
  }
}
