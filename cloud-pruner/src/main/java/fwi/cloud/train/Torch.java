package fwi.cloud.train;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import fwi.runtime.tensor.FloatTensor;
import java.util.Arrays;

/**
 * Entry to DJL's PyTorch engine as this project uses it: offline (libtorch comes from the
 * {@code pytorch-native-cpu} jar on the class path, never downloaded), CPU only, intra-op threads
 * set explicitly so runs are comparable. The first call unpacks libtorch into DJL's cache
 * ({@code DJL_CACHE_DIR}, default {@code ~/.djl.ai}, about 430 MB once).
 */
public final class Torch {
  /** Engine name as DJL registers it. */
  public static final String ENGINE = "PyTorch";

  private Torch() {
  }

  /**
   * Starts the engine (once) and sets libtorch's intra-op thread count.
   *
   * @param threads intra-op threads, at least 1
   * @throws IllegalArgumentException if {@code threads} is below 1
   * @throws IllegalStateException if libtorch cannot be loaded, with DJL's reason
   */
  public static Engine engine(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, but was " + threads);
    }
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Engine engine;
    try {
      engine = Engine.getEngine(ENGINE);
    } catch (EngineException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("cannot load libtorch through DJL (" + e.getMessage()
          + "); the pytorch-native-cpu jar must be on the class path and DJL_CACHE_DIR writable", e);
    }
    JniUtils.setNumThreads(threads);
    return engine;
  }

  /** A libtorch copy of a tensor, owned by {@code manager}. */
  public static NDArray array(NDManager manager, FloatTensor t) {
    return manager.create(t.data(), new Shape(Arrays.stream(t.shape().dims()).asLongStream().toArray()));
  }

  /** A Java copy of an array's float values and shape. */
  public static FloatTensor tensor(NDArray a) {
    long[] d = a.getShape().getShape();
    int[] dims = new int[d.length];
    for (int i = 0; i < d.length; i++) {
      dims[i] = Math.toIntExact(d[i]);
    }
    return new FloatTensor(fwi.runtime.tensor.Shape.of(dims), a.toFloatArray());
  }

  /**
   * Turns libtorch's gradient recording off on the calling thread until the scope is closed, then
   * restores what was there. Grad mode is per thread and on by default; DJL turns it off only on the
   * thread that starts the engine, so code that works in a test's main thread fails on a job
   * thread (in-place updates of weights that require gradients are refused while it is on). Every
   * entry point that runs graphs opens one; a {@code GradientCollector} turns recording on inside it.
   */
  public static NoGrad noGrad() {
    boolean before = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    return new NoGrad(before);
  }

  /** Scope of {@link #noGrad()}; close it on the thread that opened it. */
  public static final class NoGrad implements AutoCloseable {
    private final boolean before;

    private NoGrad(boolean before) {
      this.before = before;
    }

    @Override
    public void close() {
      JniUtils.setGradMode(before);
    }
  }

  /** A new root manager on the CPU; the caller owns and closes it. */
  public static NDManager manager(int threads) {
    return engine(threads).newBaseManager();
  }
}
