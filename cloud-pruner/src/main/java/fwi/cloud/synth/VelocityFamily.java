package fwi.cloud.synth;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Families of random layered velocity models in the style of OpenFWI's Vel and Fault families.
 * Every model is a function of its random source only, so a seed reproduces it bit for bit.
 *
 * <p>Common rules: 2 to 4 layers; layer velocities drawn uniformly in
 * [{@link #MIN_VELOCITY}, {@link #MAX_VELOCITY}] m/s and sorted to increase with depth (the usual
 * compaction trend, as in the "A" datasets); interfaces at least {@link #MIN_THICKNESS} cells apart
 * and below the first {@link #MIN_THICKNESS} rows, so the source row sits in the top layer.
 */
public enum VelocityFamily {
  /** Flat horizontal layers (FlatVel-like). */
  FLATVEL,
  /** Layers bounded by smooth curved interfaces: sums of two sinusoids (CurveVel-like). */
  CURVEVEL,
  /**
   * Flat or curved layers (even odds) cut by one straight fault dipping 30 to 80 degrees, with the
   * hanging wall displaced 4 to 16 cells down (FlatFault/CurveFault-like).
   */
  FAULT;

  /** Lowest velocity of any layer, m/s. */
  public static final float MIN_VELOCITY = 1500f;
  /** Highest velocity of any layer, m/s. */
  public static final float MAX_VELOCITY = 4500f;
  /** Smallest layer thickness, in cells. */
  public static final int MIN_THICKNESS = 5;

  /** The family's name as the CLI spells it: {@code flatvel}, {@code curvevel}, {@code fault}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a CLI name.
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static VelocityFamily parse(String s) {
    for (VelocityFamily f : values()) {
      if (f.cliName().equalsIgnoreCase(s)) {
        return f;
      }
    }
    throw new IllegalArgumentException("velocity family must be one of flatvel, curvevel, fault, but was '" + s + "'");
  }

  /**
   * Draws one model.
   *
   * @throws IllegalArgumentException if the grid is too small for 2 layers of the minimum thickness
   */
  public VelocityGrid sample(SplittableRandom rnd, int nz, int nx) {
    if (nz < 3 * MIN_THICKNESS || nx < 1) {
      throw new IllegalArgumentException("velocity models need at least " + 3 * MIN_THICKNESS + " rows and 1 column, but the grid was "
          + nz + "x" + nx);
    }
    int layers = 2 + rnd.nextInt(3);
    float[] vel = new float[layers];
    for (int i = 0; i < layers; i++) {
      vel[i] = MIN_VELOCITY + (float) rnd.nextDouble() * (MAX_VELOCITY - MIN_VELOCITY);
    }
    Arrays.sort(vel);
    int[] depth = interfaceDepths(rnd, layers - 1, nz);
    boolean curved = this == CURVEVEL || (this == FAULT && rnd.nextBoolean());
    // interface i at column x lies at row top[i][x]; layer index of (z, x) = number of interfaces above z
    float[][] top = new float[layers - 1][nx];
    for (int i = 0; i < layers - 1; i++) {
      double a1 = 0;
      double a2 = 0;
      double k1 = 0;
      double k2 = 0;
      double p1 = 0;
      double p2 = 0;
      if (curved) {
        a1 = 2 + rnd.nextDouble() * 6;
        a2 = rnd.nextDouble() * 3;
        k1 = 2 * Math.PI / (30 + rnd.nextDouble() * 110);
        k2 = 2 * Math.PI / (10 + rnd.nextDouble() * 30);
        p1 = rnd.nextDouble() * 2 * Math.PI;
        p2 = rnd.nextDouble() * 2 * Math.PI;
      }
      for (int x = 0; x < nx; x++) {
        top[i][x] = (float) (depth[i] + a1 * Math.sin(k1 * x + p1) + a2 * Math.sin(k2 * x + p2));
      }
    }
    keepOrdered(top, nz);
    float[] v = new float[nz * nx];
    for (int z = 0; z < nz; z++) {
      for (int x = 0; x < nx; x++) {
        v[z * nx + x] = vel[layerAt(top, z, x)];
      }
    }
    if (this == FAULT) {
      v = fault(rnd, v, vel, top, nz, nx);
    }
    return new VelocityGrid(nz, nx, v);
  }

  private static int[] interfaceDepths(SplittableRandom rnd, int count, int nz) {
    // place count interfaces in [MIN_THICKNESS, nz - MIN_THICKNESS] at least MIN_THICKNESS apart
    int free = nz - MIN_THICKNESS - MIN_THICKNESS * count;
    int[] offsets = new int[count];
    for (int i = 0; i < count; i++) {
      offsets[i] = rnd.nextInt(free + 1);
    }
    Arrays.sort(offsets);
    int[] depth = new int[count];
    for (int i = 0; i < count; i++) {
      depth[i] = MIN_THICKNESS + offsets[i] + MIN_THICKNESS * i;
    }
    return depth;
  }

  /** Pushes curved interfaces apart so layers never cross or vanish, and keeps them below the top rows. */
  private static void keepOrdered(float[][] top, int nz) {
    for (int i = 0; i < top.length; i++) {
      for (int x = 0; x < top[i].length; x++) {
        float min = i == 0 ? MIN_THICKNESS : top[i - 1][x] + MIN_THICKNESS;
        top[i][x] = Math.max(top[i][x], min);
      }
    }
  }

  private static int layerAt(float[][] top, double z, int x) {
    int layer = 0;
    while (layer < top.length && z >= top[layer][x]) {
      layer++;
    }
    return layer;
  }

  private static float[] fault(SplittableRandom rnd, float[] v, float[] vel, float[][] top, int nz, int nx) {
    double dip = Math.toRadians(30 + rnd.nextDouble() * 50);
    double x0 = nx * (0.2 + 0.6 * rnd.nextDouble());
    double z0 = nz * (0.3 + 0.4 * rnd.nextDouble());
    int throwCells = 4 + rnd.nextInt(13);
    double sign = rnd.nextBoolean() ? 1 : -1;
    // the fault plane: points where (x - x0) * sin(dip) * sign - (z - z0) * cos(dip) = 0
    double sx = Math.sin(dip) * sign;
    double cz = Math.cos(dip);
    float[] out = v.clone();
    for (int z = 0; z < nz; z++) {
      for (int x = 0; x < nx; x++) {
        if ((x - x0) * sx - (z - z0) * cz > 0) {
          // hanging wall: the layering seen here comes from throwCells shallower
          double src = z - throwCells;
          out[z * nx + x] = src < 0 ? vel[0] : vel[layerAt(top, src, x)];
        }
      }
    }
    return out;
  }
}
