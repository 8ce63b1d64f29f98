package fwi.runtime.ort;

/**
 * How an ONNX Runtime session is set up.
 *
 * @param intraOpThreads threads one operator may use; 1 to 256. On a Pi, the core count.
 * @param spinning whether idle intra-op threads spin-wait for work (ONNX Runtime's default). Spinning
 *     saves a few microseconds per operator but keeps cores busy for a while after each run: on a
 *     battery- or heat-limited device, and whenever two sessions share the cores, turn it off.
 */
public record RunnerOptions(int intraOpThreads, boolean spinning) {
  public RunnerOptions {
    if (intraOpThreads < 1 || intraOpThreads > 256) {
      throw new IllegalArgumentException("intra-op threads must be in [1, 256], but was " + intraOpThreads);
    }
  }

  /** {@code intraOpThreads} threads, spinning as ONNX Runtime does by default. */
  public RunnerOptions(int intraOpThreads) {
    this(intraOpThreads, true);
  }

  /** One intra-op thread per available processor. */
  public static RunnerOptions defaults() {
    return new RunnerOptions(Runtime.getRuntime().availableProcessors());
  }
}
