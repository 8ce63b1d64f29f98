package fwi.cloud.synth;

import java.util.Arrays;

/**
 * A 2-D P-wave velocity model on a regular grid, in m/s, row-major with depth downward:
 * {@code v[z * nx + x]}, shape {@code [nz, nx]} (OpenFWI: 70 x 70 cells of 10 m).
 * The array is owned by the grid and never modified after construction.
 */
public record VelocityGrid(int nz, int nx, float[] v) {
  public VelocityGrid {
    if (nz < 1 || nx < 1) {
      throw new IllegalArgumentException("velocity grid must be at least 1x1 cells, but was " + nz + "x" + nx);
    }
    if (v.length != nz * nx) {
      throw new IllegalArgumentException("velocity grid " + nz + "x" + nx + " needs " + nz * nx + " values, but got " + v.length);
    }
    for (int i = 0; i < v.length; i++) {
      if (!(v[i] > 0) || Float.isInfinite(v[i])) {
        throw new IllegalArgumentException("velocity at cell (z " + i / nx + ", x " + i % nx
            + ") must be a finite number of m/s > 0, but was " + v[i]);
      }
    }
  }

  /** A medium of one velocity everywhere. */
  public static VelocityGrid homogeneous(int nz, int nx, double velocityMs) {
    float[] v = new float[nz * nx];
    Arrays.fill(v, (float) velocityMs);
    return new VelocityGrid(nz, nx, v);
  }

  /** Velocity at cell (z, x). */
  public float at(int z, int x) {
    return v[z * nx + x];
  }

  /** The largest velocity, which sets the stability limit. */
  public float max() {
    float m = v[0];
    for (float f : v) {
      m = Math.max(m, f);
    }
    return m;
  }

  /** The smallest velocity, which sets the shortest wavelength. */
  public float min() {
    float m = v[0];
    for (float f : v) {
      m = Math.min(m, f);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VelocityGrid g && g.nz == nz && g.nx == nx && Arrays.equals(g.v, v);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * nz + nx) + Arrays.hashCode(v);
  }

  @Override
  public String toString() {
    return "VelocityGrid[" + nz + "x" + nx + ", " + min() + ".." + max() + " m/s]";
  }
}
