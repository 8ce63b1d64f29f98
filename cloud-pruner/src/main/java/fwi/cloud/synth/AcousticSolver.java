package fwi.cloud.synth;

import java.util.Arrays;
import java.util.Locale;

/**
 * Constant-density 2-D acoustic wave modelling by finite differences, 2nd order in time and 8th
 * order in space, with an absorbing layer on all four sides (no free surface), as OpenFWI
 * describes its data.
 *
 * <p>Equation: {@code u_tt = v(x)^2 (lap u + q(t) delta(x - s))} inside the model, where {@code q}
 * is the Ricker wavelet times {@link FdSettings#amplitude()}. The point source is one cell
 * (delta = 1/h^2), so in a homogeneous medium the recorded trace is {@code q} convolved with the
 * 2-D Green's function {@code H(t - r/v) / (2 pi sqrt(t^2 - r^2/v^2))}; the physics tests check
 * exactly that. Trace sample {@code n} is the field at time {@code n dt}.
 *
 * <p>Absorbers ({@link Absorber}): {@code DAMPING} adds {@code 2 d u_t} with {@code d} growing
 * quadratically into the layer, which gives the update {@code u+ = g (2u + k L u) + (1 - 2g) u-}
 * with {@code k = v^2 dt^2 / h^2}, {@code g = 1 / (1 + d dt)} and {@code L} the stencil; the
 * scheme stays self-adjoint, so reciprocity is exact. {@code CPML} stretches each axis by
 * {@code s = 1 + d / (alpha + i omega)} in its layer; the second derivative becomes
 * {@code u_xx + psi_x + zeta_x} with two memory variables per axis updated by recursive
 * convolution ({@code psi = b psi + a u_x}, {@code zeta = b zeta + a (u_xx + psi_x)},
 * {@code b = exp(-(d + alpha) dt)}, {@code a = d (b - 1) / (d + alpha)}).
 *
 * <p>Floating point: the wavefields start at a tiny constant offset ({@link #OFFSET}) instead of
 * zero. A constant is an exact steady state of the scheme, but it keeps the numerical precursors
 * ahead of the wavefront out of the subnormal range, which x86 handles ~100x slower (measured: the
 * offset makes modelling 2.5x faster). It is far below float resolution of any recorded value and
 * removed from the traces.
 *
 * <p>Thread-safety: immutable after construction; {@link #shot} may run on many threads at once
 * (each call owns its wavefields).
 */
public final class AcousticSolver {
  /** 8th-order central coefficients of the second derivative, offsets 0..4 (times 1/h^2). */
  static final double[] D2 = {-205.0 / 72, 8.0 / 5, -1.0 / 5, 8.0 / 315, -1.0 / 560};

  /** 8th-order central coefficients of the first derivative, offsets 1..4 (times 1/h). */
  static final double[] D1 = {4.0 / 5, -1.0 / 5, 4.0 / 105, -1.0 / 280};

  // the stencil as float constants for the kernels
  static final float L0 = (float) D2[0];
  static final float L1 = (float) D2[1];
  static final float L2 = (float) D2[2];
  static final float L3 = (float) D2[3];
  static final float L4 = (float) D2[4];
  /** Weight of the centre cell in the 2-D stencil: the 1-D centre weight once per axis. */
  static final float CENTRE = 2 * L0;

  /** Cells of zero padding beyond the absorber so the stencil never leaves the arrays. */
  static final int HALO = D2.length - 1;

  /** Constant the wavefields start from; see the class comment. */
  static final float OFFSET = 1e-20f;

  /**
   * Largest stable Courant number {@code v dt / h} of this scheme in 2-D: leapfrog in time needs
   * {@code (v dt)^2 * lambda_max <= 4}, and the stencil's largest eigenvalue is its symbol at the
   * Nyquist wavenumber, summed over the two axes.
   */
  public static final double COURANT_LIMIT = 2 / Math.sqrt(2 * nyquistSymbol());

  /** Reflection coefficient the damping layer's strength is designed for (tuned by measurement). */
  static final double DAMPING_REFLECTION = 1e-2;

  /** Reflection coefficient the CPML profile is designed for (tuned by measurement). */
  static final double CPML_REFLECTION = 1e-4;

  /** Whether new solvers use the SIMD kernels ({@link VectorStencil}): when the Vector API module is present. */
  static final boolean VECTOR_AVAILABLE = vectorModulePresent();

  private final VelocityGrid model;
  private final FdSettings settings;
  private final boolean vector;
  private final int nb;
  private final int width;   // padded row length: nx + 2 nb + 2 HALO
  private final int height;  // padded rows: nz + 2 nb + 2 HALO
  private final float[] k;
  // DAMPING: per-cell factors; null for CPML
  private final float[] g;
  private final float[] h;
  // CPML: per padded column / row coefficients (index = padded coordinate); null for DAMPING
  private final float[] ax;
  private final float[] bx;
  private final float[] az;
  private final float[] bz;

  /**
   * Prepares modelling in {@code model}.
   *
   * @throws UnstableSettingsException if {@code v_max dt / h} exceeds {@link #COURANT_LIMIT}
   */
  public AcousticSolver(VelocityGrid model, FdSettings settings) {
    this(model, settings, VECTOR_AVAILABLE);
  }

  /** As the public constructor, choosing the kernel (tests compare the two). */
  AcousticSolver(VelocityGrid model, FdSettings settings, boolean vector) {
    checkStable(model.max(), settings);
    this.vector = vector;
    this.model = model;
    this.settings = settings;
    this.nb = settings.absorberCells();
    this.width = model.nx() + 2 * nb + 2 * HALO;
    this.height = model.nz() + 2 * nb + 2 * HALO;
    this.k = new float[width * height];
    double dt = settings.stepS();
    double scale = dt * dt / (settings.cellM() * settings.cellM());
    for (int z = HALO; z < height - HALO; z++) {
      int mz = clamp(z - HALO - nb, model.nz());
      for (int x = HALO; x < width - HALO; x++) {
        double v = model.at(mz, clamp(x - HALO - nb, model.nx()));  // the layer continues the edge velocities
        k[z * width + x] = (float) (v * v * scale);
      }
    }
    boolean damping = settings.absorber() == Absorber.DAMPING;
    double reflection = damping ? DAMPING_REFLECTION : CPML_REFLECTION;
    double d0 = nb == 0 ? 0 : 3 * model.max() * Math.log(1 / reflection) / (2 * nb * settings.cellM());
    double[] dX = profile(model.nx(), d0);
    double[] dZ = profile(model.nz(), d0);
    if (damping) {
      g = new float[width * height];
      h = new float[width * height];
      for (int z = HALO; z < height - HALO; z++) {
        for (int x = HALO; x < width - HALO; x++) {
          double gi = 1 / (1 + (dZ[z] + dX[x]) * dt);
          g[z * width + x] = (float) gi;
          h[z * width + x] = (float) (1 - 2 * gi);
        }
      }
      ax = bx = az = bz = null;
    } else {
      g = h = null;
      double alphaMax = Math.PI * settings.peakHz();
      ax = new float[width];
      bx = new float[width];
      az = new float[height];
      bz = new float[height];
      cpml(dX, model.nx(), alphaMax, dt, ax, bx);
      cpml(dZ, model.nz(), alphaMax, dt, az, bz);
    }
  }

  private static boolean vectorModulePresent() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
        && !"false".equals(System.getProperty("fwi.synth.vector"));
  }

  /** Whether this solver runs the SIMD kernels. */
  public boolean vectorized() {
    return vector;
  }

  private static int clamp(int i, int n) {
    return Math.max(0, Math.min(n - 1, i));
  }

  /** Damping {@code d0 (xi / nb)^2} per padded coordinate along an axis with {@code n} model cells. */
  private double[] profile(int n, double d0) {
    double[] d = new double[n + 2 * nb + 2 * HALO];
    for (int p = 0; p < n + 2 * nb; p++) {
      int xi = p < nb ? nb - p : (p >= nb + n ? p - (nb + n) + 1 : 0);
      double r = nb == 0 ? 0 : (double) xi / nb;
      d[p + HALO] = d0 * r * r;
    }
    return d;
  }

  /** CPML recursion coefficients; alpha falls linearly from alphaMax at the model edge to 0 at the outer edge. */
  private void cpml(double[] d, int n, double alphaMax, double dt, float[] a, float[] b) {
    for (int p = 0; p < n + 2 * nb; p++) {
      int xi = p < nb ? nb - p : (p >= nb + n ? p - (nb + n) + 1 : 0);
      if (xi == 0) {
        continue;
      }
      double alpha = alphaMax * (1 - (double) xi / nb);
      double di = d[p + HALO];
      double bi = Math.exp(-(di + alpha) * dt);
      b[p + HALO] = (float) bi;
      a[p + HALO] = (float) (di * (bi - 1) / (di + alpha));
    }
  }

  private static double nyquistSymbol() {
    double s = 0;
    for (int j = 0; j < D2.length; j++) {
      s += (j == 0 ? 1 : 2) * D2[j] * (j % 2 == 0 ? 1 : -1);
    }
    return -s;
  }

  /**
   * Refuses settings whose Courant number {@code vMax dt / h} exceeds {@link #COURANT_LIMIT}.
   *
   * @throws UnstableSettingsException naming the Courant number, the limit and the largest stable step
   */
  public static void checkStable(double vMaxMs, FdSettings s) {
    double courant = vMaxMs * s.stepS() / s.cellM();
    if (courant > COURANT_LIMIT) {
      throw new UnstableSettingsException(String.format(Locale.ROOT,
          "unstable finite-difference settings: Courant number v_max*dt/dx = %.4f (v_max %.0f m/s, dt %.3f ms, dx %.2f m) "
              + "exceeds %.4f, the limit of the 8th-order 2-D scheme; use dt <= %.4f ms or dx >= %.2f m",
          courant, vMaxMs, s.stepS() * 1e3, s.cellM(), COURANT_LIMIT,
          COURANT_LIMIT * s.cellM() / vMaxMs * 1e3, vMaxMs * s.stepS() / COURANT_LIMIT));
    }
  }

  public VelocityGrid model() {
    return model;
  }

  public FdSettings settings() {
    return settings;
  }

  /** Cells updated per time step, absorber included: the unit of the throughput figures. */
  public long cellsPerStep() {
    return (long) (model.nz() + 2L * nb) * (model.nx() + 2L * nb);
  }

  /**
   * Models one shot.
   *
   * @param source source cell inside the model
   * @param receivers receiver cells inside the model
   * @return the recorded traces, shape {@code [steps, receivers.length]}, row-major (time-major,
   *     as in one shot of an OpenFWI gather)
   * @throws IllegalArgumentException if a position lies outside the model
   */
  public float[] shot(GridPoint source, GridPoint[] receivers) {
    int src = index(source, "source");
    int[] rec = new int[receivers.length];
    for (int r = 0; r < rec.length; r++) {
      rec[r] = index(receivers[r], "receiver " + r);
    }
    int steps = settings.steps();
    float[] out = new float[steps * rec.length];
    float[] p = new float[width * height];
    float[] q = new float[width * height];
    Arrays.fill(p, OFFSET);
    Arrays.fill(q, OFFSET);
    Cpml cpml = settings.absorber() == Absorber.CPML && nb > 0 ? new Cpml() : null;
    double dt = settings.stepS();
    float srcScale = (float) (k[src] * settings.amplitude() * (g == null ? 1 : g[src]));
    for (int n = 0; n < steps; n++) {
      int o = n * rec.length;
      for (int r = 0; r < rec.length; r++) {
        out[o + r] = p[rec[r]] - OFFSET;
      }
      if (cpml != null) {
        cpml.updatePsi(p);
      }
      for (int z = HALO; z < height - HALO; z++) {
        int row = z * width;
        if (g == null) {
          plainRow(p, q, row + HALO, row + width - HALO);
        } else {
          dampedRow(p, q, row + HALO, row + width - HALO);
        }
      }
      if (cpml != null) {
        cpml.correct(p, q);
      }
      q[src] += srcScale * (float) settings.ricker(n * dt);
      float[] t = p;
      p = q;
      q = t;
    }
    return out;
  }

  /** The 2-D stencil {@code L p} at cell {@code i} (without the 1/h^2); rows are {@code w} apart. */
  private static float laplacian(float[] p, int i, int w) {
    return CENTRE * p[i]
        + L1 * (p[i - 1] + p[i + 1] + p[i - w] + p[i + w])
        + L2 * (p[i - 2] + p[i + 2] + p[i - 2 * w] + p[i + 2 * w])
        + L3 * (p[i - 3] + p[i + 3] + p[i - 3 * w] + p[i + 3 * w])
        + L4 * (p[i - 4] + p[i + 4] + p[i - 4 * w] + p[i + 4 * w]);
  }

  /** {@code q = 2p - q + k L p} over cells {@code [from, to)}; SIMD first, scalar for the tail. */
  private void plainRow(float[] p, float[] q, int from, int to) {
    int i = vector ? VectorStencil.plainRow(p, q, k, from, to, width) : from;
    for (; i < to; i++) {
      q[i] = 2 * p[i] - q[i] + k[i] * laplacian(p, i, width);
    }
  }

  /** {@code q = g (2p + k L p) + h q} over cells {@code [from, to)}; SIMD first, scalar for the tail. */
  private void dampedRow(float[] p, float[] q, int from, int to) {
    int i = vector ? VectorStencil.dampedRow(p, q, k, g, h, from, to, width) : from;
    for (; i < to; i++) {
      q[i] = g[i] * (2 * p[i] + k[i] * laplacian(p, i, width)) + h[i] * q[i];
    }
  }

  /**
   * The CPML memory variables of one shot. {@code psi} and {@code zeta} live on the whole padded
   * grid for simple indexing but are only touched inside their own strips (x: the left and right
   * layers, all rows; z: the top and bottom layers, all columns).
   */
  private final class Cpml {
    final float[] psiX = new float[width * height];
    final float[] psiZ = new float[width * height];
    final float[] zetaX = new float[width * height];
    final float[] zetaZ = new float[width * height];
    final int lo = HALO + nb;            // first model cell (padded coordinate), either axis
    final int hiX = width - HALO - nb;   // first cell of the right layer
    final int hiZ = height - HALO - nb;  // first row of the bottom layer

    /** psi = b psi + a u' for the field at the current step. */
    void updatePsi(float[] p) {
      for (int z = HALO; z < height - HALO; z++) {
        int row = z * width;
        psiRow(p, psiX, row, HALO, lo, 1, ax, bx, true);
        psiRow(p, psiX, row, hiX, width - HALO, 1, ax, bx, true);
        if (z < lo || z >= hiZ) {
          psiRow(p, psiZ, row, HALO, width - HALO, width, az, bz, false);
        }
      }
    }

    private void psiRow(float[] p, float[] psi, int row, int x0, int x1, int s, float[] a, float[] b, boolean alongX) {
      final float e1 = (float) D1[0];
      final float e2 = (float) D1[1];
      final float e3 = (float) D1[2];
      final float e4 = (float) D1[3];
      int z = row / width;
      for (int x = x0; x < x1; x++) {
        int i = row + x;
        float d = e1 * (p[i + s] - p[i - s]) + e2 * (p[i + 2 * s] - p[i - 2 * s])
            + e3 * (p[i + 3 * s] - p[i - 3 * s]) + e4 * (p[i + 4 * s] - p[i - 4 * s]);
        int c = alongX ? x : z;
        psi[i] = b[c] * psi[i] + a[c] * d;
      }
    }

    /** Adds {@code k (psi' + zeta)} to the new field, updating zeta, inside the layers. */
    void correct(float[] p, float[] q) {
      for (int z = HALO; z < height - HALO; z++) {
        int row = z * width;
        correctRow(p, q, psiX, zetaX, row, HALO, lo, 1, ax, bx, true);
        correctRow(p, q, psiX, zetaX, row, hiX, width - HALO, 1, ax, bx, true);
        if (z < lo || z >= hiZ) {
          correctRow(p, q, psiZ, zetaZ, row, HALO, width - HALO, width, az, bz, false);
        }
      }
    }

    private void correctRow(float[] p, float[] q, float[] psi, float[] zeta, int row, int x0, int x1, int s, float[] a,
        float[] b, boolean alongX) {
      final float e1 = (float) D1[0];
      final float e2 = (float) D1[1];
      final float e3 = (float) D1[2];
      final float e4 = (float) D1[3];
      int z = row / width;
      for (int x = x0; x < x1; x++) {
        int i = row + x;
        float uxx = L0 * p[i] + L1 * (p[i - s] + p[i + s]) + L2 * (p[i - 2 * s] + p[i + 2 * s])
            + L3 * (p[i - 3 * s] + p[i + 3 * s]) + L4 * (p[i - 4 * s] + p[i + 4 * s]);
        float dpsi = e1 * (psi[i + s] - psi[i - s]) + e2 * (psi[i + 2 * s] - psi[i - 2 * s])
            + e3 * (psi[i + 3 * s] - psi[i - 3 * s]) + e4 * (psi[i + 4 * s] - psi[i - 4 * s]);
        int c = alongX ? x : z;
        float zn = b[c] * zeta[i] + a[c] * (uxx + dpsi);
        zeta[i] = zn;
        q[i] += k[i] * (dpsi + zn);
      }
    }
  }

  private int index(GridPoint pt, String what) {
    if (pt.z() < 0 || pt.z() >= model.nz() || pt.x() < 0 || pt.x() >= model.nx()) {
      throw new IllegalArgumentException(what + " at " + pt + " lies outside the " + model.nz() + "x" + model.nx() + " model");
    }
    return (pt.z() + HALO + nb) * width + pt.x() + HALO + nb;
  }
}
