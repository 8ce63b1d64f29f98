package fwi.edge.input;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.SplittableRandom;

/**
 * Cheap synthetic shot gathers for demos, shaped like OpenFWI's {@code [5, 1000, 70]} (5 sources,
 * 1000 samples at 1 ms, 70 receivers 10 m apart): a random flat-layered earth (3 to 5 layers, 1500 to
 * 4500 m/s) seen through a direct wave and one hyperbolic reflection per interface (root-mean-square
 * velocity moveout, amplitude from the normal-incidence reflection coefficient and spherical spreading),
 * each a 15 Hz Ricker wavelet. No wave equation: the cloud's finite-difference generator is far too
 * heavy for a Pi; this only has to look and scale like a gather. Also returns the layered model, so a
 * demo can show truth next to the prediction.
 */
public final class SyntheticGathers {
  /** Gathers {@code [5, 1000, 70]} and the true velocity model {@code [70, 70]} in m/s. */
  public record Sample(FloatTensor gathers, FloatTensor velocity) {
  }

  static final int SHOTS = 5;
  static final int SAMPLES = 1000;
  static final int RECEIVERS = 70;
  static final double DT_S = 0.001;
  static final double DX_M = 10;
  static final double PEAK_HZ = 15;

  private final SplittableRandom random;

  public SyntheticGathers(long seed) {
    random = new SplittableRandom(seed);
  }

  public synchronized Sample next() {
    int layers = 3 + random.nextInt(3);
    double[] top = new double[layers];
    double[] v = new double[layers];
    v[0] = 1500 + random.nextDouble() * 500;
    for (int i = 1; i < layers; i++) {
      top[i] = top[i - 1] + 60 + random.nextDouble() * (600.0 / layers);
      v[i] = Math.min(4500, v[i - 1] + 200 + random.nextDouble() * 700);
    }
    float[] model = new float[70 * 70];
    for (int z = 0; z < 70; z++) {
      double depth = z * DX_M;
      int k = 0;
      while (k + 1 < layers && depth >= top[k + 1]) {
        k++;
      }
      for (int x = 0; x < 70; x++) {
        model[z * 70 + x] = (float) v[k];
      }
    }
    float[] g = new float[SHOTS * SAMPLES * RECEIVERS];
    for (int s = 0; s < SHOTS; s++) {
      int src = Math.round(s * (RECEIVERS - 1) / (float) (SHOTS - 1));
      for (int r = 0; r < RECEIVERS; r++) {
        double offset = Math.abs(r - src) * DX_M;
        int base = s * SAMPLES * RECEIVERS + r;
        addWavelet(g, base, offset / v[0], 50.0 / (1 + offset / 200.0));
        double t0 = 0;
        double sumV2T = 0;
        for (int i = 1; i < layers; i++) {
          double dt = 2 * (top[i] - top[i - 1]) / v[i - 1];
          t0 += dt;
          sumV2T += v[i - 1] * v[i - 1] * dt;
          double vrms = Math.sqrt(sumV2T / t0);
          double t = Math.sqrt(t0 * t0 + (offset / vrms) * (offset / vrms));
          double refl = (v[i] - v[i - 1]) / (v[i] + v[i - 1]);
          addWavelet(g, base, t, 15 * refl / (t * vrms / 1000));
        }
      }
    }
    return new Sample(new FloatTensor(Shape.of(SHOTS, SAMPLES, RECEIVERS), g),
        new FloatTensor(Shape.of(70, 70), model));
  }

  private static void addWavelet(float[] g, int base, double arrivalS, double amplitude) {
    int centre = (int) Math.round(arrivalS / DT_S);
    for (int k = Math.max(0, centre - 80); k < Math.min(SAMPLES, centre + 80); k++) {
      double tau = k * DT_S - arrivalS;
      double a = Math.PI * PEAK_HZ * tau;
      g[base + k * RECEIVERS] += (float) (amplitude * (1 - 2 * a * a) * Math.exp(-a * a));
    }
  }

}
