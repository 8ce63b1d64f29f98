package fwi.edge.inference;

import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.tensor.FloatTensor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model the agent serves, swappable while requests run. Each loaded model is held in a
 * {@link Lease} with a reference count: the slot owns one reference, every running request one
 * more. A swap publishes the new lease first and then drops the slot's reference to the old one,
 * so the old session is closed by whichever of the swap or the last request in flight finishes
 * last: no {@code run()} can race the {@code close()} of its session, and no request fails
 * because of a swap (one that finds the old lease already closed simply takes the new one).
 *
 * <p>Thread-safe; lock-free on the request path.
 */
public final class ModelSlot implements AutoCloseable {
  /** A result and the model version that produced it. */
  public record Result(FloatTensor output, ModelInfo model, long nanos) {
  }

  private static final class Lease {
    final ModelRunner runner;
    final ModelInfo model;
    /** Slot's reference + requests in flight; 0 = closed, never revived. */
    final AtomicInteger refs = new AtomicInteger(1);

    Lease(ModelRunner runner, ModelInfo model) {
      this.runner = runner;
      this.model = model;
    }

    boolean retain() {
      for (int r = refs.get(); r > 0; r = refs.get()) {
        if (refs.compareAndSet(r, r + 1)) {
          return true;
        }
      }
      return false;
    }

    void release() {
      if (refs.decrementAndGet() == 0) {
        runner.close();
      }
    }
  }

  private final AtomicReference<Lease> current;
  private volatile boolean closed;

  /** Starts serving {@code runner}; the slot owns it from now on. */
  public ModelSlot(ModelRunner runner, ModelInfo model) {
    current = new AtomicReference<>(new Lease(runner, model));
  }

  /** The model new requests run on. */
  public ModelInfo model() {
    return current.get().model;
  }

  /**
   * Runs {@code work} with the current runner held, so it cannot be closed meanwhile (for example
   * to read its declared shapes or metadata).
   */
  public <T> T withRunner(java.util.function.BiFunction<ModelRunner, ModelInfo, T> work) {
    Lease lease = acquire();
    try {
      return work.apply(lease.runner, lease.model);
    } finally {
      lease.release();
    }
  }

  /**
   * Runs the current model; the latency is measured on a monotonic clock around the session call.
   *
   * @throws IllegalStateException if the slot was closed
   * @throws InferenceException as {@link ModelRunner#run}
   */
  public Result run(FloatTensor input) throws InferenceException {
    Lease lease = acquire();
    try {
      long t0 = System.nanoTime();
      FloatTensor out = lease.runner.run(input);
      return new Result(out, lease.model, System.nanoTime() - t0);
    } finally {
      lease.release();
    }
  }

  /**
   * Makes {@code runner} the served model; the previous one closes once its last request ends.
   *
   * @return the previous model
   * @throws IllegalStateException if the slot was closed (the new runner is closed too)
   */
  public ModelInfo swap(ModelRunner runner, ModelInfo model) {
    if (closed) {
      runner.close();
      throw new IllegalStateException("model slot is closed; cannot install " + model.label());
    }
    Lease old = current.getAndSet(new Lease(runner, model));
    old.release();
    return old.model;
  }

  private Lease acquire() {
    while (true) {
      if (closed) {
        throw new IllegalStateException("model slot is closed");
      }
      Lease l = current.get();
      if (l.retain()) {
        return l;
      }
      // That lease was swapped out and closed between get() and retain(): the slot holds a newer one.
      Thread.onSpinWait();
    }
  }

  /** Stops serving; the session closes once requests in flight end. */
  @Override
  public void close() {
    closed = true;
    current.get().release();
  }
}
