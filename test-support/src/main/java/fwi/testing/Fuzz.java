package fwi.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongUnaryOperator;

/**
 * A mutation fuzzer for decoders of outside bytes, with the property every decoder here promises:
 * for any input the call either returns (the target checks that the result is consistent) or
 * throws one of the decoder's documented exception types with a message; never another exception
 * or error (NullPointerException, ArrayIndexOutOfBounds, NegativeArraySize, OutOfMemoryError,
 * StackOverflowError), never longer than a timeout, and never allocating more than a budget that
 * grows with the input's size (so a header claiming a huge size must be refused before the
 * allocation, not after).
 *
 * <p>Inputs are {@link Mutator} variants of valid seed inputs. A failure is shrunk by deleting
 * chunks while it fails the same way, saved under {@code target/fuzz/} and reported with the input
 * in Base64, for a regression test that calls {@link Campaign#check}.
 *
 * <p>System properties: {@code fwi.fuzz.tries} (cases per target, overriding each test's default;
 * e.g. 100000 for a long run), {@code fwi.fuzz.seed} (random seed, default 1: the normal run is
 * reproducible). Each campaign appends its throughput to {@code target/fuzz/throughput.txt}.
 */
public final class Fuzz {
  private static final long DEFAULT_TIMEOUT_MS = 5_000;
  private static final long SHRINK_BUDGET_MS = 20_000;

  private Fuzz() {
  }

  /** The code under test: decodes {@code input}, and throws AssertionError if what it returned is inconsistent. */
  @FunctionalInterface
  public interface Target {
    void accept(byte[] input) throws Exception;
  }

  /** A fuzzing campaign against one target; configure, then {@link #run} or {@link #check}. */
  public static Campaign campaign(String name, Target target) {
    return new Campaign(name, target);
  }

  /** Cases per target: {@code -Dfwi.fuzz.tries} if set, else {@code normalRun}. */
  public static int tries(int normalRun) {
    return Integer.getInteger("fwi.fuzz.tries", normalRun);
  }

  /** One configured campaign. Not thread-safe. */
  public static final class Campaign {
    private final String name;
    private final Target target;
    private final List<byte[]> seeds = new ArrayList<>();
    private final List<Class<? extends Throwable>> documented = new ArrayList<>();
    private long timeoutMs = DEFAULT_TIMEOUT_MS;
    private LongUnaryOperator allocationBudget = n -> 64 * n + (16L << 20);
    private int[] hotOffsets = {};

    private Campaign(String name, Target target) {
      this.name = name;
      this.target = target;
    }

    /** Valid inputs to mutate; each must pass the property unchanged. */
    public Campaign seeds(List<byte[]> valid) {
      seeds.addAll(valid);
      return this;
    }

    /** The exception types the target documents for bad input; anything else fails the campaign. */
    @SafeVarargs
    public final Campaign documented(Class<? extends Throwable>... types) {
      documented.addAll(Arrays.asList(types));
      return this;
    }

    /** Byte offsets of header fields worth inflating (sizes, counts, intervals); see {@link Mutator}. */
    public Campaign hotOffsets(int... offsets) {
      hotOffsets = offsets.clone();
      return this;
    }

    /** Longest one case may take. */
    public Campaign timeoutMs(long ms) {
      timeoutMs = ms;
      return this;
    }

    /** Most bytes one case may allocate on its thread, as a function of the input's length. */
    public Campaign allocationBudget(LongUnaryOperator bytesForInputLength) {
      allocationBudget = bytesForInputLength;
      return this;
    }

    /**
     * Runs the seeds, then {@link Fuzz#tries tries(normalTries)} mutants.
     *
     * @throws AssertionError for the first input that breaks the property, shrunk, with where it was saved
     */
    public void run(int normalTries) {
      if (seeds.isEmpty()) {
        throw new IllegalStateException(name + ": no seed inputs");
      }
      int tries = tries(normalTries);
      long seed = Long.getLong("fwi.fuzz.seed", 1L);
      Mutator mutator = new Mutator(new SplittableRandom(seed ^ name.hashCode()), seeds, hotOffsets);
      ExecutorService worker = worker();
      try {
        for (byte[] s : seeds) {
          Optional<Failure> f = once(worker, s);
          if (f.isPresent()) {
            throw new AssertionError(name + ": a valid seed input fails: " + f.get().describe(), f.get().cause);
          }
        }
        long start = System.nanoTime();
        for (int i = 0; i < tries; i++) {
          byte[] input = mutator.next();
          Optional<Failure> f = once(worker, input);
          if (f.isPresent()) {
            if (f.get().timedOut) {
              worker.shutdownNow();
              worker = worker();
            }
            throw report(worker, input, f.get(), i, seed);
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        recordThroughput(tries, seconds, seed);
      } finally {
        worker.shutdownNow();
      }
    }

    /** Runs one input (a regression case) against the property; throws AssertionError if it fails. */
    public void check(byte[] input) {
      ExecutorService worker = worker();
      try {
        Optional<Failure> f = once(worker, input);
        if (f.isPresent()) {
          throw new AssertionError(name + ": " + f.get().describe(), f.get().cause);
        }
      } finally {
        worker.shutdownNow();
      }
    }

    /** As {@link #check(byte[])}, for an input written as Base64 in a test. */
    public void check(String base64) {
      check(Base64.getDecoder().decode(base64));
    }

    private static ExecutorService worker() {
      return Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-case");
        t.setDaemon(true);
        return t;
      });
    }

    private Optional<Failure> once(ExecutorService worker, byte[] input) {
      Future<Optional<Failure>> f = worker.submit(() -> runOnThisThread(input));
      try {
        return f.get(timeoutMs, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        f.cancel(true);
        return Optional.of(new Failure("timeout", "took longer than " + timeoutMs + " ms", null, true));
      } catch (ExecutionException e) {
        return Optional.of(new Failure("harness", "the harness itself failed", e.getCause(), false));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(name + ": interrupted", e);
      }
    }

    private Optional<Failure> runOnThisThread(byte[] input) {
      com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long before = mx.getCurrentThreadAllocatedBytes();
      Throwable caught = null;
      try {
        target.accept(input.clone());
      } catch (Throwable t) {
        caught = t;
      }
      Throwable thrown = caught;
      long allocated = mx.getCurrentThreadAllocatedBytes() - before;
      long budget = allocationBudget.applyAsLong(input.length);
      if (allocated > budget) {
        return Optional.of(new Failure("allocation", "allocated " + allocated + " bytes for a " + input.length
            + "-byte input (budget " + budget + ")" + (thrown == null ? "" : ", then threw " + thrown), thrown, false));
      }
      if (thrown == null) {
        return Optional.empty();
      }
      boolean expected = documented.stream().anyMatch(c -> c.isInstance(thrown));
      if (!expected) {
        return Optional.of(new Failure(signature(thrown), "threw an undocumented " + thrown, thrown, false));
      }
      String message = thrown.getMessage();
      if (message == null || message.isBlank()) {
        return Optional.of(new Failure("no-message " + thrown.getClass().getName(), "threw " + thrown.getClass().getName()
            + " without a message", thrown, false));
      }
      return Optional.empty();
    }

    private static String signature(Throwable t) {
      StackTraceElement[] st = t.getStackTrace();
      return t.getClass().getName() + (st.length > 0 ? " at " + st[0] : "");
    }

    private AssertionError report(ExecutorService worker, byte[] input, Failure failure, int caseIndex, long seed) {
      byte[] small = failure.timedOut ? input : shrink(worker, input, failure.kind);
      Failure last = failure.timedOut ? failure : once(worker, small).orElse(failure);
      Path saved = save(small);
      String b64 = small.length <= 4096 ? "\nminimized input (Base64): " + Base64.getEncoder().encodeToString(small) : "";
      return new AssertionError(name + ": case " + caseIndex + " (fwi.fuzz.seed=" + seed + ") " + last.describe()
          + "\ninput of " + input.length + " bytes shrunk to " + small.length + ", saved as " + saved + b64, last.cause);
    }

    /** Deletes chunks, halving their size, as long as the input still fails the same way. */
    private byte[] shrink(ExecutorService worker, byte[] input, String kind) {
      long deadline = System.nanoTime() + SHRINK_BUDGET_MS * 1_000_000;
      byte[] best = input;
      for (int chunk = Math.max(1, best.length / 2); chunk >= 1; chunk /= 2) {
        boolean progress = true;
        while (progress && System.nanoTime() < deadline) {
          progress = false;
          for (int at = 0; at + chunk <= best.length && System.nanoTime() < deadline; ) {
            byte[] candidate = Mutator.remove(best, at, chunk);
            Optional<Failure> f = once(worker, candidate);
            if (f.isPresent() && f.get().kind.equals(kind)) {
              best = candidate;
              progress = true;
            } else {
              at += chunk;
            }
          }
        }
      }
      return best;
    }

    private Path save(byte[] input) {
      try {
        Path dir = Path.of("target", "fuzz");
        Files.createDirectories(dir);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input)).substring(0, 12);
        Path file = dir.resolve(name + "-" + hash + ".bin");
        Files.write(file, input);
        return file.toAbsolutePath();
      } catch (IOException | NoSuchAlgorithmException e) {
        return Path.of("(not saved: " + e + ")");
      }
    }

    private void recordThroughput(int tries, double seconds, long seed) {
      String line = String.format("%s\t%d cases\t%.2f s\t%.0f cases/s\tseed %d%n", name, tries, seconds,
          tries / Math.max(seconds, 1e-9), seed);
      try {
        Path dir = Path.of("target", "fuzz");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("throughput.txt"), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        // throughput is information only; the campaign passed
      }
    }
  }

  private record Failure(String kind, String what, Throwable cause, boolean timedOut) {
    String describe() {
      return what;
    }
  }
}
