package fwi.cloud.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.data.DatasetException;
import fwi.runtime.npy.NpyFile;
import fwi.runtime.npy.NpySampleWriter;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Generates an OpenFWI-style dataset folder: {@code dataN.npy} shaped {@code [K, shots, steps,
 * receivers]} (OpenFWI: {@code [500, 5, 1000, 70]}) and {@code modelN.npy} shaped
 * {@code [K, 1, nz, nx]} in m/s, numbered from 1, plus {@code dataset.json} recording how it was
 * made.
 *
 * <p>Work is split into one task per (sample, shot) on a fixed pool, so one sample already keeps
 * several cores busy and many samples keep them all busy. Sample {@code i} depends only on the
 * seed, the family and {@code i} (never on thread count or timing), so the same request gives the
 * same bytes. Each file is written under a temporary name and renamed when complete; re-running the
 * same request in the same folder keeps the finished files and makes the rest, so an interrupted
 * run resumes.
 *
 * <p>Thread-safety: one {@link #generate} at a time per instance.
 */
public final class DatasetGenerator {
  /** Name of the description file in a generated folder. */
  public static final String MANIFEST = "dataset.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final int threads;

  /**
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public DatasetGenerator(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, but was " + threads);
    }
    this.threads = threads;
  }

  /**
   * What to generate.
   *
   * @param family kind of velocity model
   * @param samples total number of samples
   * @param perFile samples per file (OpenFWI: 500); the last file may hold fewer
   * @param seed reproduces the dataset
   * @param nz model rows (depth), {@code nx} model columns
   */
  public record Request(VelocityFamily family, int samples, int perFile, long seed, int nz, int nx, FdSettings settings,
      Acquisition acquisition) {
    public Request {
      if (samples < 1) {
        throw new IllegalArgumentException("samples must be at least 1, but was " + samples);
      }
      if (perFile < 1) {
        throw new IllegalArgumentException("samples per file must be at least 1, but was " + perFile);
      }
      for (GridPoint p : acquisition.sources()) {
        inside(p, "source", nz, nx);
      }
      for (GridPoint p : acquisition.receivers()) {
        inside(p, "receiver", nz, nx);
      }
      AcousticSolver.checkStable(VelocityFamily.MAX_VELOCITY, settings);
    }

    private static void inside(GridPoint p, String what, int nz, int nx) {
      if (p.z() < 0 || p.z() >= nz || p.x() < 0 || p.x() >= nx) {
        throw new IllegalArgumentException(what + " at " + p + " lies outside the " + nz + "x" + nx + " model");
      }
    }

    /** OpenFWI's geometry and settings (70x70 model, 5 shots, 70 receivers, 1000 steps). */
    public static Request openFwi(VelocityFamily family, int samples, int perFile, long seed) {
      return new Request(family, samples, perFile, seed, 70, 70, FdSettings.openFwi(), Acquisition.openFwi(70));
    }

    public Request withSettings(FdSettings s) {
      return new Request(family, samples, perFile, seed, nz, nx, s, acquisition);
    }

    public int files() {
      return (samples + perFile - 1) / perFile;
    }

    /** Shape of one gather: {@code [shots, steps, receivers]}. */
    public Shape gatherShape() {
      return Shape.of(acquisition.sources().size(), settings.steps(), acquisition.receivers().size());
    }

    /** Cells advanced per time step, absorber included. */
    public long cellsPerStep() {
      return (long) (nz + 2 * settings.absorberCells()) * (nx + 2 * settings.absorberCells());
    }

    /** Cell updates needed for one sample, absorber included. */
    public long cellUpdatesPerSample() {
      return cellsPerStep() * settings.steps() * acquisition.sources().size();
    }
  }

  /** Receives progress from the generating thread: samples finished (this run) out of those to make. */
  @FunctionalInterface
  public interface Progress {
    void update(int samplesDone, int samplesToMake, long cellUpdates, long elapsedNanos);
  }

  /**
   * What a run did.
   *
   * @param made samples modelled by this run
   * @param kept samples found complete from an earlier run and left alone
   */
  public record Summary(List<Path> files, int made, int kept, long cellUpdates, long elapsedNanos) {
    public Summary {
      files = List.copyOf(files);
    }

    public double seconds() {
      return elapsedNanos / 1e9;
    }
  }

  /** The velocity model of sample {@code index} of a request: a pure function of seed, family and index. */
  public static VelocityGrid model(Request r, int index) {
    return r.family().sample(new SplittableRandom(mix(r.seed(), r.family().ordinal(), index)), r.nz(), r.nx());
  }

  private static long mix(long seed, int family, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + family * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Models every shot of one gather on the calling thread.
   *
   * @return shape {@code [shots, steps, receivers]}
   */
  public static FloatTensor gather(VelocityGrid model, FdSettings settings, Acquisition acq) {
    AcousticSolver solver = new AcousticSolver(model, settings);
    int shots = acq.sources().size();
    int per = settings.steps() * acq.receivers().size();
    float[] out = new float[shots * per];
    for (int s = 0; s < shots; s++) {
      System.arraycopy(solver.shot(acq.sources().get(s), acq.receiverArray()), 0, out, s * per, per);
    }
    return new FloatTensor(Shape.of(shots, settings.steps(), acq.receivers().size()), out);
  }

  /**
   * Generates (or completes) the dataset in {@code folder}, creating it if needed.
   *
   * @throws DatasetException if the folder holds a different dataset or unrelated .npy files
   * @throws IOException if writing fails
   */
  public Summary generate(Request r, Path folder, Progress progress) throws IOException {
    Files.createDirectories(folder);
    JsonNode manifest = JSON.readTree(JSON.writeValueAsString(manifest(r)));  // as it reads back from disk
    checkFolder(folder, manifest);
    Files.writeString(folder.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");

    List<Integer> todo = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    int kept = 0;
    for (int f = 1; f <= r.files(); f++) {
      int n = Math.min(r.perFile(), r.samples() - (f - 1) * r.perFile());
      files.add(folder.resolve("data" + f + ".npy"));
      files.add(folder.resolve("model" + f + ".npy"));
      if (complete(folder, f, n, r)) {
        kept += n;
      } else {
        todo.add(f);
      }
    }
    int toMake = r.samples() - kept;
    long start = System.nanoTime();
    AtomicInteger shotsDone = new AtomicInteger();
    int shots = r.acquisition().sources().size();
    ExecutorService pool = Executors.newFixedThreadPool(threads, task -> {
      Thread t = new Thread(task, "fd-modelling");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int f : todo) {
        writeFile(r, folder, f, pool, () -> {
          int done = shotsDone.incrementAndGet();
          if (done % shots == 0) {
            progress.update(done / shots, toMake, (long) done / shots * r.cellUpdatesPerSample(), System.nanoTime() - start);
          }
        });
      }
    } finally {
      pool.shutdownNow();
    }
    return new Summary(files, toMake, kept, (long) toMake * r.cellUpdatesPerSample(), System.nanoTime() - start);
  }

  private void writeFile(Request r, Path folder, int f, ExecutorService pool, Runnable shotDone) throws IOException {
    int first = (f - 1) * r.perFile();
    int n = Math.min(r.perFile(), r.samples() - first);
    Shape g = r.gatherShape();
    int perShot = g.dim(1) * g.dim(2);
    GridPoint[] receivers = r.acquisition().receiverArray();
    try (NpySampleWriter data = NpySampleWriter.create(folder.resolve("data" + f + ".npy"), Shape.of(n, g.dim(0), g.dim(1), g.dim(2)));
        NpySampleWriter models = NpySampleWriter.create(folder.resolve("model" + f + ".npy"), Shape.of(n, 1, r.nz(), r.nx()))) {
      List<Future<?>> tasks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int sample = i;
        for (int s = 0; s < g.dim(0); s++) {
          int shot = s;
          tasks.add(pool.submit(() -> {
            // each shot task redraws the model and its solver: microseconds against a 1000-step shot,
            // and it keeps tasks independent of one another
            VelocityGrid model = model(r, first + sample);
            if (shot == 0) {
              models.write(sample, model.v());
            }
            float[] traces = new AcousticSolver(model, r.settings()).shot(r.acquisition().sources().get(shot), receivers);
            data.write(sample, shot * perShot, traces);
            return null;
          }));
        }
      }
      for (Future<?> t : tasks) {
        await(t);
        shotDone.run();
      }
      data.commit();
      models.commit();
    }
  }

  private static void await(Future<?> t) throws IOException {
    try {
      t.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("dataset generation interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private static boolean complete(Path folder, int f, int n, Request r) throws IOException {
    Path d = folder.resolve("data" + f + ".npy");
    Path m = folder.resolve("model" + f + ".npy");
    if (!Files.isRegularFile(d) || !Files.isRegularFile(m)) {
      return false;
    }
    try (NpyFile df = NpyFile.open(d); NpyFile mf = NpyFile.open(m)) {
      return df.shape().equals(Shape.of(n, r.gatherShape().dim(0), r.gatherShape().dim(1), r.gatherShape().dim(2))) && mf.shape().equals(Shape.of(n, 1, r.nz(), r.nx()));
    } catch (IOException e) {
      return false;  // damaged: make it again
    }
  }

  static ObjectNode manifest(Request r) {
    ObjectNode m = JSON.createObjectNode();
    m.put("format", "openfwi-npy");
    m.put("generator", "fwi acoustic FD, 8th order space, 2nd order time");
    m.put("family", r.family().cliName());
    m.put("seed", r.seed());
    m.put("samples", r.samples());
    m.put("samples_per_file", r.perFile());
    m.put("nz", r.nz());
    m.put("nx", r.nx());
    FdSettings s = r.settings();
    m.put("cell_m", s.cellM());
    m.put("step_s", s.stepS());
    m.put("steps", s.steps());
    m.put("absorber", s.absorber().name().toLowerCase(java.util.Locale.ROOT));
    m.put("absorber_cells", s.absorberCells());
    m.put("ricker_peak_hz", s.peakHz());
    m.put("source_delay_s", s.sourceDelayS());
    m.put("amplitude", s.amplitude());
    var src = m.putArray("sources");
    r.acquisition().sources().forEach(p -> src.addArray().add(p.z()).add(p.x()));
    var rec = m.putArray("receivers");
    r.acquisition().receivers().forEach(p -> rec.addArray().add(p.z()).add(p.x()));
    return m;
  }

  private static void checkFolder(Path folder, JsonNode manifest) throws IOException {
    Path mf = folder.resolve(MANIFEST);
    if (Files.isRegularFile(mf)) {
      JsonNode old;
      try {
        old = JSON.readTree(mf.toFile());
      } catch (IOException e) {
        throw new DatasetException(mf + " is not valid JSON (" + e.getMessage() + "); remove it or choose another folder");
      }
      if (!old.equals(manifest)) {
        List<String> diff = new ArrayList<>();
        manifest.fieldNames().forEachRemaining(k -> {
          if (!manifest.get(k).equals(old.get(k))) {
            diff.add(k + " " + (old.get(k) == null ? "(missing)" : old.get(k)) + " -> " + manifest.get(k));
          }
        });
        throw new DatasetException(folder + " already holds a dataset generated differently (" + String.join(", ", diff)
            + "); choose another folder or delete it");
      }
      return;
    }
    try (var list = Files.list(folder)) {
      List<String> npy = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".npy")).sorted().toList();
      if (!npy.isEmpty()) {
        throw new DatasetException(folder + " already holds .npy files not made by this generator (" + npy.get(0)
            + (npy.size() > 1 ? " and " + (npy.size() - 1) + " more" : "") + "); choose an empty folder");
      }
    }
  }
}
