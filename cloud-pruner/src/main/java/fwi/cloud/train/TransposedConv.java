package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Transposed convolution built from ordinary convolutions, because DJL's PyTorch engine has no
 * kernel for it ({@code deconvolution} throws "Not implemented" in 0.35.1).
 *
 * <p>Polyphase form: output position {@code o = i·s + k·d} along one axis. Split outputs by phase
 * {@code r = o mod s}; the taps {@code k} that reach phase {@code r} form an arithmetic series,
 * so each phase is a plain convolution of the <em>undilated</em> input with the reversed taps.
 * The {@code s^dims} phase outputs are stacked and interleaved by one reshape. Unlike inserting
 * {@code s − 1} zeros between input samples and convolving, no multiply is wasted on zeros
 * (for InversionNet's 4x4 stride-2 layers that would be 4x the work). Everything is built from
 * differentiable libtorch ops, so autograd works through it.
 *
 * <p>Weights are ONNX/PyTorch layout {@code [C_in, C_out/group, k_1..k_n]}; input
 * {@code [N, C_in, I_1..I_n]}; the result is the full, unpadded output
 * {@code (I − 1)·s + (k − 1)·d + 1} per axis, without bias.
 */
final class TransposedConv {
  private TransposedConv() {
  }

  static NDArray full(NDArray x, NDArray w, long[] strides, long[] dilations, int group) {
    Shape ws = w.getShape();
    int n = ws.dimension() - 2;
    long cin = ws.get(0);
    long coutPerGroup = ws.get(1);
    long cout = coutPerGroup * group;
    long[] kernel = new long[n];
    long[] in = new long[n];
    long[] full = new long[n];
    long[] q = new long[n];
    for (int a = 0; a < n; a++) {
      kernel[a] = ws.get(2 + a);
      in[a] = x.getShape().get(2 + a);
      full[a] = (in[a] - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1;
      q[a] = ceilDiv(full[a], strides[a]);
    }
    // Conv weight layout [C_out, C_in/group, k...]: swap the channel axes within each group.
    long[] grouped = new long[n + 3];
    grouped[0] = group;
    grouped[1] = cin / group;
    grouped[2] = coutPerGroup;
    System.arraycopy(kernel, 0, grouped, 3, n);
    int[] perm = new int[n + 3];
    perm[0] = 0;
    perm[1] = 2;
    perm[2] = 1;
    for (int a = 0; a < n; a++) {
      perm[3 + a] = 3 + a;
    }
    long[] convShape = new long[n + 2];
    convShape[0] = cout;
    convShape[1] = cin / group;
    System.arraycopy(kernel, 0, convShape, 2, n);
    NDArray wc = w.reshape(new Shape(grouped)).transpose(perm).reshape(new Shape(convShape));

    int phases = 1;
    for (long s : strides) {
      phases *= (int) s;
    }
    NDList outs = new NDList(phases);
    long[] r = new long[n];
    for (int p = 0; p < phases; p++) {
      int rest = p;
      for (int a = n - 1; a >= 0; a--) {
        r[a] = rest % strides[a];
        rest /= (int) strides[a];
      }
      outs.add(phase(x, wc, r, kernel, in, full, q, strides, dilations, group, cout));
    }
    // [s_1..s_n, N, C, Q_1..Q_n] -> [N, C, Q_1, s_1, ..., Q_n, s_n] -> [N, C, Q_1·s_1, ...]
    NDArray stacked = NDArrays.stack(outs, 0);
    long[] split = new long[2 * n + 2];
    for (int a = 0; a < n; a++) {
      split[a] = strides[a];
    }
    split[n] = x.getShape().get(0);
    split[n + 1] = cout;
    for (int a = 0; a < n; a++) {
      split[n + 2 + a] = q[a];
    }
    int[] order = new int[2 * n + 2];
    order[0] = n;
    order[1] = n + 1;
    for (int a = 0; a < n; a++) {
      order[2 + 2 * a] = n + 2 + a;
      order[3 + 2 * a] = a;
    }
    long[] merged = new long[n + 2];
    merged[0] = x.getShape().get(0);
    merged[1] = cout;
    for (int a = 0; a < n; a++) {
      merged[2 + a] = q[a] * strides[a];
    }
    NDArray y = stacked.reshape(new Shape(split)).transpose(order).reshape(new Shape(merged));
    NDIndex crop = new NDIndex().addAllDim().addAllDim();
    boolean needed = false;
    for (int a = 0; a < n; a++) {
      crop.addSliceDim(0, full[a]);
      needed |= merged[2 + a] != full[a];
    }
    return needed ? y.get(crop) : y;
  }

  /** Output of one phase, zero-padded at the end to {@code Q} per axis. */
  private static NDArray phase(NDArray x, NDArray wc, long[] r, long[] kernel, long[] in, long[] full, long[] q,
      long[] strides, long[] dil, int group, long cout) {
    int n = r.length;
    long[] first = new long[n];
    long[] step = new long[n];
    long[] taps = new long[n];
    long[] qr = new long[n];
    boolean empty = false;
    for (int a = 0; a < n; a++) {
      qr[a] = ceilDiv(full[a] - r[a], strides[a]);
      long g = gcd(strides[a], dil[a]);
      step[a] = strides[a] / g;
      first[a] = -1;
      for (long k = 0; k < Math.min(kernel[a], step[a]); k++) {
        if ((k * dil[a]) % strides[a] == r[a]) {
          first[a] = k;
          break;
        }
      }
      if (first[a] < 0 || first[a] >= kernel[a]) {
        empty = true;
      } else {
        taps[a] = (kernel[a] - 1 - first[a]) / step[a] + 1;
      }
    }
    long batch = x.getShape().get(0);
    if (empty) {
      long[] shape = new long[n + 2];
      shape[0] = batch;
      shape[1] = cout;
      System.arraycopy(q, 0, shape, 2, n);
      return x.getManager().zeros(new Shape(shape), x.getDataType());
    }
    NDIndex pick = new NDIndex().addAllDim().addAllDim();
    int[] spatial = new int[n];
    long[] pads = new long[2 * n];
    long[] phaseDil = new long[n];
    for (int a = 0; a < n; a++) {
      pick.addSliceDim(first[a], first[a] + (taps[a] - 1) * step[a] + 1, step[a]);
      spatial[a] = 2 + a;
      long delta = dil[a] / gcd(strides[a], dil[a]);
      phaseDil[a] = delta;
      long e0 = (first[a] * dil[a] - r[a]) / strides[a];
      long left = e0 + (taps[a] - 1) * delta;
      long right = qr[a] - in[a] - e0;
      pads[a] = left;
      pads[a + n] = right;
    }
    NDArray wp = wc.get(pick).flip(spatial);
    NDArray xp = Padding.apply(x, pads, 0);
    NDArray y = xp.getNDArrayInternal().convolution(xp, wp, null, new Shape(ones(n)), new Shape(new long[n]),
        new Shape(phaseDil), group).singletonOrThrow();
    long[] tail = new long[2 * n];
    boolean pad = false;
    for (int a = 0; a < n; a++) {
      tail[a + n] = q[a] - qr[a];
      pad |= tail[a + n] != 0;
    }
    return pad ? Padding.apply(y, tail, 0) : y;
  }

  private static long[] ones(int n) {
    long[] v = new long[n];
    java.util.Arrays.fill(v, 1);
    return v;
  }

  private static long ceilDiv(long a, long b) {
    return a <= 0 ? 0 : (a + b - 1) / b;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
