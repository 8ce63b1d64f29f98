package fwi.runtime.ort;

/**
 * How an ONNX Runtime session is set up.
 *
 * @param intraOpThreads threads one operator may use; 1 to 256. On a Pi, the core count.
 */
public record RunnerOptions(int intraOpThreads) {
  public RunnerOptions {
    if (intraOpThreads < 1 || intraOpThreads > 256) {
      throw new IllegalArgumentException("intra-op threads must be in [1, 256], but was " + intraOpThreads);
    }
  }

  /** One intra-op thread per available processor. */
  public static RunnerOptions defaults() {
    return new RunnerOptions(Runtime.getRuntime().availableProcessors());
  }
}
