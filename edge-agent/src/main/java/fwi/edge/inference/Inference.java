package fwi.edge.inference;

import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.TensorSpec;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The agent's inference path: checks an input against the served model, runs it, times it and
 * tells listeners (result publisher, local page, OTA health watch).
 *
 * <p>Runs are serialized: one ONNX Runtime run already uses every core, and a run that competes
 * with another would report a latency that is not the model's. Inputs beyond
 * {@code maxWaiting} waiting ones are refused ({@link BusyException}) rather than queued without
 * bound. A model swap waits for the run in progress, closes the telemetry window (a window never
 * spans two models) and installs the new session; requests arriving meanwhile wait, none fails.
 *
 * <p>Input: {@code [N, 5, 1000, 70]} (or one sample {@code [5, 1000, 70]}, given batch 1) for
 * InversionNet; in general whatever the model declares. Thread-safe.
 */
public final class Inference implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Inference.class);

  /**
   * One finished inference.
   *
   * @param input the input as run, batch dimension included
   * @param output the model's output, e.g. velocity {@code [N, 1, 70, 70]} in m/s
   * @param inferenceNanos the session run alone, monotonic clock
   * @param endToEndNanos from the input being available to the output being checked
   * @param receivedUnixMs wall time the input became available
   */
  public record Outcome(String inputId, FloatTensor input, FloatTensor output, ModelInfo model, long inferenceNanos,
      long endToEndNanos, long receivedUnixMs) {
  }

  /** Told about every outcome, on the thread that ran it: keep it short, hand slow work off. */
  public interface Listener {
    void onResult(Outcome outcome);

    /** A failed run (ORT error or non-finite output) of {@code model}. */
    default void onFailure(ModelInfo model, String inputId, Exception error) {
    }

    /** A new model serves from now on; {@code closed} is the telemetry window of the previous one. */
    default void onSwap(Optional<ModelInfo> previous, ModelInfo next, WindowReport closed) {
    }
  }

  private final int maxWaiting;
  private final long maxInputBytes;
  private final Semaphore runPermit = new Semaphore(1, true);
  private final AtomicInteger waiting = new AtomicInteger();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final LatencyWindow recent;
  private final AtomicLong inputErrors = new AtomicLong();
  private final AtomicLong inferenceErrors = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final TelemetryWindow window = new TelemetryWindow();
  private volatile ModelSlot slot;

  /**
   * @throws IllegalArgumentException naming the setting when a bound is not positive
   */
  public Inference(int maxWaiting, long maxInputBytes, int latencyWindow) {
    if (maxWaiting < 0) {
      throw new IllegalArgumentException("fwi.inference.max-waiting must be at least 0, but was " + maxWaiting);
    }
    if (maxInputBytes < 4) {
      throw new IllegalArgumentException("fwi.inference.max-input-bytes must be at least 4, but was " + maxInputBytes);
    }
    this.maxWaiting = maxWaiting;
    this.maxInputBytes = maxInputBytes;
    this.recent = new LatencyWindow(latencyWindow);
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  public void removeListener(Listener l) {
    listeners.remove(l);
  }

  /** The model serving now, if any. */
  public Optional<ModelInfo> model() {
    ModelSlot s = slot;
    return s == null ? Optional.empty() : Optional.of(s.model());
  }

  /** Declared input of the serving model, e.g. {@code gathers[N, 5, 1000, 70]}. */
  public Optional<TensorSpec> inputSpec() {
    ModelSlot s = slot;
    return s == null ? Optional.empty() : Optional.of(s.withRunner((r, m) -> r.input()));
  }

  /** Declared output of the serving model, e.g. {@code velocity[N, 1, 70, 70]}. */
  public Optional<TensorSpec> outputSpec() {
    ModelSlot s = slot;
    return s == null ? Optional.empty() : Optional.of(s.withRunner((r, m) -> r.output()));
  }

  public long maxInputBytes() {
    return maxInputBytes;
  }

  /**
   * Runs {@code runner} {@code runs} times on a zero input of batch 1, so lazy set-up inside ONNX
   * Runtime happens before real requests arrive.
   *
   * @return the nanoseconds of each run
   * @throws InferenceException if a run fails (the model is then not fit to serve)
   */
  public static long[] warmUp(ModelRunner runner, int runs) throws InferenceException {
    FloatTensor zero = FloatTensor.zeros(concrete(runner.input()));
    long[] t = new long[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      runner.run(zero);
      t[i] = System.nanoTime() - t0;
    }
    return t;
  }

  /** The declared shape with every free dimension set to 1. */
  public static Shape concrete(TensorSpec spec) {
    long[] d = spec.dims();
    int[] out = new int[d.length];
    for (int i = 0; i < d.length; i++) {
      out[i] = d[i] > 0 ? (int) d[i] : 1;
    }
    return Shape.of(out);
  }

  /**
   * Makes {@code runner} the served model (the first one, or a swap). Waits for the run in
   * progress; requests arriving meanwhile wait and then run on the new model.
   */
  public void install(ModelRunner runner, ModelInfo info) {
    runPermit.acquireUninterruptibly();
    Optional<ModelInfo> previous;
    WindowReport closed;
    try {
      closed = window.cut(model());
      if (slot == null) {
        previous = Optional.empty();
        slot = new ModelSlot(runner, info);
      } else {
        previous = Optional.of(slot.swap(runner, info));
      }
    } finally {
      runPermit.release();
    }
    LOG.infof("serving model %s (sha256 %s)%s", info.label(), info.sha256Hex(),
        previous.map(p -> ", replacing " + p.label()).orElse(""));
    for (Listener l : listeners) {
      l.onSwap(previous, info, closed);
    }
  }

  /**
   * Checks and runs one input.
   *
   * @param input {@code [N, ...]} as the model declares, or without the batch dimension for one sample
   * @param receivedNanos {@link System#nanoTime()} when the input became available
   * @throws InputRejectedException naming the wrong shape, the first NaN/infinite value or the size
   * @throws NoModelException if no model is loaded
   * @throws BusyException if too many inputs wait already
   * @throws InferenceException if ONNX Runtime fails or the output is not finite
   */
  public Outcome infer(String inputId, FloatTensor input, long receivedNanos, long receivedUnixMs)
      throws InputRejectedException, NoModelException, BusyException, InferenceException {
    ModelSlot s = slot;
    if (s == null) {
      throw new NoModelException();
    }
    FloatTensor batch;
    try {
      batch = check(inputId, input, s.withRunner((r, m) -> r.input()));
    } catch (InputRejectedException e) {
      inputErrors.incrementAndGet();
      window.inputError();
      throw e;
    }
    if (waiting.incrementAndGet() > maxWaiting + 1) {
      waiting.decrementAndGet();
      dropped.incrementAndGet();
      window.dropped();
      throw new BusyException(maxWaiting);
    }
    ModelSlot.Result r;
    runPermit.acquireUninterruptibly();
    try {
      try {
        r = slot.run(batch);
        int bad = r.output().firstNonFinite();
        if (bad >= 0) {
          throw new InferenceException("model " + r.model().label() + " produced a non-finite output at index "
              + bad + ": " + r.output().data()[bad], null);
        }
      } catch (InferenceException | RuntimeException e) {
        inferenceErrors.incrementAndGet();
        window.inferenceError();
        ModelInfo m = slot.model();
        for (Listener l : listeners) {
          l.onFailure(m, inputId, e);
        }
        throw e;
      }
      window.add(r.nanos());
    } finally {
      runPermit.release();
      waiting.decrementAndGet();
    }
    recent.add(r.nanos());
    completed.incrementAndGet();
    Outcome o = new Outcome(inputId, batch, r.output(), r.model(), r.nanos(), System.nanoTime() - receivedNanos,
        receivedUnixMs);
    for (Listener l : listeners) {
      try {
        l.onResult(o);
      } catch (RuntimeException e) {
        LOG.errorf(e, "result listener %s failed on input %s", l.getClass().getSimpleName(), inputId);
      }
    }
    return o;
  }

  private FloatTensor check(String inputId, FloatTensor input, TensorSpec spec) throws InputRejectedException {
    long bytes = 4L * input.shape().elementCount();
    if (bytes > maxInputBytes) {
      throw new InputRejectedException(InputRejectedException.Kind.TOO_LARGE, "input '" + inputId + "' has "
          + bytes + " bytes of float32 data, more than fwi.inference.max-input-bytes = " + maxInputBytes);
    }
    FloatTensor batch = input;
    if (input.shape().rank() == spec.dims().length - 1) {
      int[] d = new int[input.shape().rank() + 1];
      d[0] = 1;
      System.arraycopy(input.shape().dims(), 0, d, 1, input.shape().rank());
      batch = new FloatTensor(Shape.of(d), input.data());
    }
    if (!spec.accepts(batch.shape())) {
      throw new InputRejectedException(InputRejectedException.Kind.SHAPE, "input '" + inputId + "' must have shape "
          + spec.describeDims() + " (or " + spec.describeDims().replaceFirst("\\[N, ", "[")
          + " for one sample), but was " + input.shape());
    }
    int bad = batch.firstNonFinite();
    if (bad >= 0) {
      throw new InputRejectedException(InputRejectedException.Kind.NON_FINITE, "input '" + inputId + "' has value "
          + batch.data()[bad] + " at " + indexOf(batch.shape(), bad) + "; every value must be finite");
    }
    return batch;
  }

  /** {@code [i0, i1, ...]} of flat index {@code flat}. */
  static String indexOf(Shape shape, int flat) {
    int[] d = shape.dims();
    int[] idx = new int[d.length];
    for (int i = d.length - 1; i >= 0; i--) {
      idx[i] = flat % d[i];
      flat /= d[i];
    }
    return java.util.Arrays.toString(idx);
  }

  /** Percentiles of the last inferences (not the telemetry window), nanoseconds. */
  public LatencyWindow.Snapshot recentLatency() {
    return recent.snapshot();
  }

  /** Closes the telemetry window now and opens the next. */
  public WindowReport cutWindow() {
    return window.cut(model());
  }

  /** Totals since start. */
  public record Totals(long completed, long inferenceErrors, long inputErrors, long dropped) {
  }

  public Totals totals() {
    return new Totals(completed.get(), inferenceErrors.get(), inputErrors.get(), dropped.get());
  }

  @Override
  public void close() {
    runPermit.acquireUninterruptibly();
    try {
      if (slot != null) {
        slot.close();
      }
    } finally {
      runPermit.release();
    }
  }
}
