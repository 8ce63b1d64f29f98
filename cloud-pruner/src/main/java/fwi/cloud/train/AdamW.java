package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter): Adam with the weight decay applied to the weights directly,
 * not through the gradient, as PyTorch's {@code torch.optim.AdamW}:
 * <pre>
 *   w ← w·(1 − lr·λ)
 *   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *   w ← w − lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
 * </pre>
 * Written here rather than taken from DJL so its moments and step count can be saved in a
 * checkpoint and restored exactly. Not thread-safe; owns the moment arrays ({@link #close()}).
 */
public final class AdamW implements AutoCloseable {
  /** PyTorch's default ε. */
  public static final double EPSILON = 1e-8;

  private final NDManager manager;
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double weightDecay;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long step;

  public AdamW(NDManager parent, double lr, double beta1, double beta2, double weightDecay) {
    this.manager = parent.newSubManager();
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.weightDecay = weightDecay;
  }

  /** Steps taken so far. */
  public long step() {
    return step;
  }

  /** Applies one step to every parameter from its gradient, then clears the gradients. */
  public void update(List<TorchGraph.Parameter> params) {
    update(params, 1);
  }

  /** As {@link #update(List)} with the learning rate multiplied by {@code lrFactor} for this step. */
  public void update(List<TorchGraph.Parameter> params, double lrFactor) {
    double lr = this.lr * lrFactor;
    step++;
    double c1 = 1 - Math.pow(beta1, step);
    double c2 = 1 - Math.pow(beta2, step);
    try (NDManager tmp = manager.newSubManager()) {
      for (TorchGraph.Parameter p : params) {
        NDArray w = p.array();
        NDArray g = w.getGradient();
        g.attach(tmp);
        NDArray mi = m.computeIfAbsent(p.name(), k -> manager.zeros(w.getShape()));
        NDArray vi = v.computeIfAbsent(p.name(), k -> manager.zeros(w.getShape()));
        mi.muli((float) beta1).addi(temp(g.mul((float) (1 - beta1)), tmp));
        vi.muli((float) beta2).addi(temp(temp(g.square(), tmp).muli((float) (1 - beta2)), tmp));
        NDArray denom = temp(temp(vi.div((float) c2), tmp).sqrt(), tmp).addi((float) EPSILON);
        NDArray delta = temp(temp(mi.div(denom), tmp).muli((float) (lr / c1)), tmp);
        if (weightDecay != 0) {
          w.muli((float) (1 - lr * weightDecay));
        }
        w.subi(delta);
        JniUtils.zeroGrad((PtNDArray) w);
      }
    }
  }

  /** The moments by parameter name, for a checkpoint: {@code [m, v]}. */
  public Map<String, float[][]> state() {
    Map<String, float[][]> out = new LinkedHashMap<>();
    m.forEach((name, mi) -> out.put(name, new float[][] {mi.toFloatArray(), v.get(name).toFloatArray()}));
    return out;
  }

  /**
   * Restores moments and step count saved by {@link #state()}.
   *
   * @throws IllegalArgumentException if a parameter is unknown or its size differs
   */
  public void restore(long steps, Map<String, float[][]> moments, List<TorchGraph.Parameter> params) {
    Map<String, NDArray> byName = new LinkedHashMap<>();
    params.forEach(p -> byName.put(p.name(), p.array()));
    for (Map.Entry<String, float[][]> e : moments.entrySet()) {
      NDArray w = byName.get(e.getKey());
      if (w == null) {
        throw new IllegalArgumentException("checkpoint holds optimizer state for '" + e.getKey()
            + "', which is not a parameter of this model");
      }
      if (e.getValue()[0].length != w.size() || e.getValue()[1].length != w.size()) {
        throw new IllegalArgumentException("checkpoint optimizer state for '" + e.getKey() + "' holds "
            + e.getValue()[0].length + " values, but the parameter has " + w.size());
      }
      NDArray mi = manager.create(e.getValue()[0], w.getShape());
      NDArray vi = manager.create(e.getValue()[1], w.getShape());
      m.put(e.getKey(), mi);
      v.put(e.getKey(), vi);
    }
    this.step = steps;
  }

  @Override
  public void close() {
    manager.close();
  }

  private static NDArray temp(NDArray a, NDManager tmp) {
    a.attach(tmp);
    return a;
  }
}
