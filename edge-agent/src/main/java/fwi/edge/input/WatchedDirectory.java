package fwi.edge.input;

import fwi.edge.inference.BusyException;
import fwi.edge.inference.Inference;
import fwi.edge.inference.InputRejectedException;
import fwi.edge.inference.NoModelException;
import fwi.runtime.npy.NpyFile;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.segy.SegyReader;
import fwi.runtime.tensor.FloatTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * A directory of shot files, each processed once: {@code .npy} ({@code [5, 1000, 70]} or a batch
 * {@code [N, 5, 1000, 70]}, one result per sample) and SEG-Y ({@code .sgy}, {@code .segy}; 5 shots
 * grouped by source, resampled to 1 ms). A file moves to {@code done/} when every sample gave a
 * result, else to {@code failed/} next to {@code <name>.reason.txt} naming what was wrong with which
 * sample (results of its good samples are still published). A file is taken only once its size and
 * modification time are the same on two scans, so one still being copied in is left alone.
 *
 * <p>Not thread-safe: {@link #scan} runs on the sources' single thread.
 */
final class WatchedDirectory {
  private static final Logger LOG = Logger.getLogger(WatchedDirectory.class);

  /** Outcome of one scan. */
  record ScanResult(int done, int failed, boolean waitingForModel) {
  }

  private final Path dir;
  private final Path done;
  private final Path failed;
  private final Inference inference;
  private final Map<Path, String> lastSeen = new HashMap<>();

  WatchedDirectory(Path dir, Inference inference) throws IOException {
    this.dir = dir;
    this.done = dir.resolve("done");
    this.failed = dir.resolve("failed");
    this.inference = inference;
    Files.createDirectories(done);
    Files.createDirectories(failed);
  }

  static boolean isShotFile(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return !n.startsWith(".") && (n.endsWith(".npy") || n.endsWith(".sgy") || n.endsWith(".segy"));
  }

  /** Processes every stable shot file, oldest first. */
  ScanResult scan() throws IOException {
    List<Path> ready = new ArrayList<>();
    Map<Path, String> seen = new HashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).filter(WatchedDirectory::isShotFile)::iterator) {
        String stamp = Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis();
        seen.put(p, stamp);
        if (stamp.equals(lastSeen.get(p))) {
          ready.add(p);
        }
      }
    }
    lastSeen.clear();
    lastSeen.putAll(seen);
    ready.sort(Comparator.comparing(p -> lastSeen.get(p).substring(lastSeen.get(p).indexOf('@') + 1)));
    int ok = 0;
    int bad = 0;
    for (Path p : ready) {
      switch (process(p)) {
        case DONE -> ok++;
        case FAILED -> bad++;
        case NO_MODEL -> {
          return new ScanResult(ok, bad, true);
        }
        default -> throw new IllegalStateException();
      }
      lastSeen.remove(p);
    }
    return new ScanResult(ok, bad, false);
  }

  private enum Fate { DONE, FAILED, NO_MODEL }

  private Fate process(Path p) throws IOException {
    String name = p.getFileName().toString();
    List<String> problems = new ArrayList<>();
    long received = System.nanoTime();
    long wall = System.currentTimeMillis();
    try {
      if (name.toLowerCase(Locale.ROOT).endsWith(".npy")) {
        try (NpyFile f = NpyFile.open(p)) {
          int modelRank = inference.inputSpec().map(s -> s.dims().length).orElse(4);
          if (f.shape().rank() == modelRank) {
            for (int i = 0; i < f.count(); i++) {
              run(name + "#" + i, f.samples(i, 1), received, wall, problems);
              received = System.nanoTime();
              wall = System.currentTimeMillis();
            }
          } else {
            run(name, fwi.runtime.npy.Npy.read(p), received, wall, problems);
          }
        }
      } else {
        run(name, new SegyReader().read(p).tensor(), received, wall, problems);
      }
    } catch (NoModelException e) {
      return Fate.NO_MODEL;
    } catch (IOException | RuntimeException e) {
      problems.add(name + ": cannot read: " + e.getMessage());
    }
    if (problems.isEmpty()) {
      Files.move(p, done.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      return Fate.DONE;
    }
    Files.move(p, failed.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(failed.resolve(name + ".reason.txt"), String.join("\n", problems) + "\n", StandardCharsets.UTF_8);
    LOG.warnf("%s moved to failed/: %s", name, problems.get(0));
    return Fate.FAILED;
  }

  private void run(String id, FloatTensor x, long received, long wall, List<String> problems) throws NoModelException {
    while (true) {
      try {
        inference.infer(id, x, received, wall);
        return;
      } catch (InputRejectedException | InferenceException e) {
        problems.add(e.getMessage());
        return;
      } catch (BusyException e) {
        // our own source: wait for room instead of dropping a field file
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          problems.add(id + ": interrupted while waiting for the model");
          return;
        }
      }
    }
  }
}
