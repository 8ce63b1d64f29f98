package fwi.cloud.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Physics checks of the modelling against closed-form answers: the 2-D Green's function of a
 * homogeneous medium, the image source of a flat interface, a far-away boundary, reciprocity.
 */
class AcousticSolverTest {
  private static final FdSettings OPENFWI = FdSettings.openFwi();
  private static final int N = 70;

  /** One receiver's trace out of a [steps, receivers] record. */
  private static double[] trace(float[] rec, int receivers, int r) {
    double[] t = new double[rec.length / receivers];
    for (int n = 0; n < t.length; n++) {
      t[n] = rec[n * receivers + r];
    }
    return t;
  }

  private static int argMaxAbs(double[] t) {
    int best = 0;
    for (int i = 1; i < t.length; i++) {
      if (Math.abs(t[i]) > Math.abs(t[best])) {
        best = i;
      }
    }
    return best;
  }

  private static double maxAbs(double[] t) {
    return Math.abs(t[argMaxAbs(t)]);
  }

  /**
   * Closed-form trace at distance r in a homogeneous 2-D medium for the solver's source:
   * {@code u(t) = amp/(2 pi) * int w(t - tau) H(tau - r/v) / sqrt(tau^2 - r^2/v^2) dtau}, with
   * {@code tau = r/v + s^2} removing the singularity: {@code amp/pi * int w(t - r/v - s^2) / sqrt(2r/v + s^2) ds}.
   */
  static double[] analytic(FdSettings s, double r, double v, int steps) {
    double[] out = new double[steps];
    double t0 = r / v;
    double ds = 2e-4;
    for (int n = 0; n < steps; n++) {
      double t = n * s.stepS();
      double sMax = Math.sqrt(Math.max(0, t - t0 + 0.2));
      double sum = 0;
      for (double x = ds / 2; x < sMax; x += ds) {
        sum += s.ricker(t - t0 - x * x) / Math.sqrt(2 * t0 + x * x);
      }
      out[n] = s.amplitude() / Math.PI * sum * ds;
    }
    return out;
  }

  @Test
  void directArrivalMatchesTheTwoDimensionalGreensFunction() {
    double v = 3000;
    FdSettings s = OPENFWI.withSteps(500);
    GridPoint[] rec = {new GridPoint(1, 20), new GridPoint(1, 40), new GridPoint(1, 60)};
    float[] fd = new AcousticSolver(VelocityGrid.homogeneous(N, N, v), s).shot(new GridPoint(1, 0), rec);
    int[] peaks = new int[rec.length];
    for (int r = 0; r < rec.length; r++) {
      double x = rec[r].x() * s.cellM();
      double[] got = trace(fd, rec.length, r);
      double[] want = analytic(s, x, v, s.steps());
      peaks[r] = argMaxAbs(got);
      assertTrue(Math.abs(peaks[r] - argMaxAbs(want)) <= 1,
          "offset " + x + " m: FD peak at sample " + peaks[r] + ", analytic at " + argMaxAbs(want));
      assertEquals(1.0, maxAbs(got) / maxAbs(want), 0.05, "offset " + x + " m: peak amplitude ratio FD/analytic");
      // the peak follows the wavelet delay plus x/v, shifted only by the 2-D wavelet's fixed phase
      double expected = (s.sourceDelayS() + x / v) / s.stepS();
      assertTrue(peaks[r] >= expected && peaks[r] <= expected + 12,
          "offset " + x + " m: peak at sample " + peaks[r] + ", delay + x/v = " + expected);
    }
    // moveout between receivers is exactly x/v: 200 m at 3000 m/s = 66.7 ms
    assertEquals(200 / v / s.stepS(), peaks[1] - peaks[0], 1.5);
    assertEquals(200 / v / s.stepS(), peaks[2] - peaks[1], 1.5);
  }

  @Test
  void flatInterfaceReflectsAtTheTwoWayTime() {
    double v1 = 2000;
    double v2 = 4000;
    int interfaceRow = 30;  // rows 0..29 hold v1: the interface lies half-way between rows 29 and 30
    float[] v = new float[N * N];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (i / N < interfaceRow ? v1 : v2);
    }
    FdSettings s = OPENFWI.withSteps(600);
    GridPoint src = new GridPoint(1, 35);
    GridPoint[] rec = {new GridPoint(1, 45)};
    float[] layered = new AcousticSolver(new VelocityGrid(N, N, v), s).shot(src, rec);
    float[] direct = new AcousticSolver(VelocityGrid.homogeneous(N, N, v1), s).shot(src, rec);
    double[] reflected = new double[s.steps()];
    for (int n = 0; n < reflected.length; n++) {
      reflected[n] = layered[n] - direct[n];
    }
    double depth = (interfaceRow - 0.5 - src.z()) * s.cellM();
    double offset = (rec[0].x() - src.x()) * s.cellM();
    double path = Math.hypot(offset, 2 * depth);  // source to image source: the two-way path
    double[] image = analytic(s, path, v1, s.steps());
    int got = argMaxAbs(reflected);
    int want = argMaxAbs(image);
    assertTrue(Math.abs(got - want) <= 2, "reflection peak at sample " + got + ", image source predicts " + want
        + " (two-way time " + path / v1 * 1e3 + " ms after the wavelet delay)");
    double coefficient = reflected[got] / image[want];
    double normalIncidence = (v2 - v1) / (v2 + v1);
    assertEquals(normalIncidence, coefficient, 0.05, "reflection coefficient (constant density: (v2-v1)/(v2+v1))");
  }

  @ParameterizedTest
  @ValueSource(doubles = {1500, 4500})
  void boundaryReflectionsStayBelowOnePercentOfTheDirectWave(double v) {
    assertBoundaryReflectionBelow(OPENFWI, v, 0.01);
  }

  @Test
  void openFwiDampingLayerAlsoAbsorbsWithinOnePercentAtMediumVelocity() {
    assertBoundaryReflectionBelow(FdSettings.openFwiDamping(), 3000, 0.01);
  }

  private static void assertBoundaryReflectionBelow(FdSettings s, double v, double limit) {
    double worst = AbsorberCheck.worstResidual(s, N, v);
    assertTrue(worst < limit, s.absorber() + " " + s.absorberCells() + " cells at " + v + " m/s: worst residual "
        + worst * 100 + " % of the direct wave");
    // the check itself can fail: with no absorber at all the edges reflect strongly
    if (s.absorberCells() > 0 && v == 1500) {
      assertTrue(AbsorberCheck.worstResidual(s.withAbsorberCells(0), N, v) > 0.1);
    }
  }

  @Test
  void swappingSourceAndReceiverGivesTheSameTrace() {
    VelocityGrid model = VelocityFamily.CURVEVEL.sample(new java.util.SplittableRandom(7), N, N);
    GridPoint a = new GridPoint(1, 8);
    GridPoint b = new GridPoint(45, 57);
    for (FdSettings s : new FdSettings[] {OPENFWI.withSteps(700), FdSettings.openFwiDamping().withSteps(700)}) {
      AcousticSolver solver = new AcousticSolver(model, s);
      double[] ab = trace(solver.shot(a, new GridPoint[] {b}), 1, 0);
      double[] ba = trace(solver.shot(b, new GridPoint[] {a}), 1, 0);
      double peak = maxAbs(ab);
      double err = 0;
      for (int n = 0; n < ab.length; n++) {
        err = Math.max(err, Math.abs(ab[n] - ba[n]));
      }
      assertTrue(err < 1e-3 * peak, s.absorber() + ": reciprocity error " + err + " vs peak " + peak);
    }
  }

  @Test
  void refusesUnstableTimeStepNamingTheCourantNumber() {
    FdSettings s = OPENFWI.withStepS(2.5e-3);
    UnstableSettingsException e = assertThrows(UnstableSettingsException.class,
        () -> new AcousticSolver(VelocityGrid.homogeneous(N, N, 4500), s));
    assertEquals("unstable finite-difference settings: Courant number v_max*dt/dx = 1.1250 (v_max 4500 m/s, dt 2.500 ms, "
        + "dx 10.00 m) exceeds 0.5546, the limit of the 8th-order 2-D scheme; use dt <= 1.2325 ms or dx >= 20.28 m",
        e.getMessage());
  }

  @Test
  void courantLimitIsTheVonNeumannBoundOfTheStencil() {
    // independent check: the stencil's symbol at the Nyquist wavenumber, summed over two axes
    double sym = 205.0 / 72 + 2 * (8.0 / 5 + 1.0 / 5 + 8.0 / 315 + 1.0 / 560);
    assertEquals(2 / Math.sqrt(2 * sym), AcousticSolver.COURANT_LIMIT, 1e-12);
    // and the OpenFWI settings are stable at 4500 m/s
    AcousticSolver.checkStable(4500, OPENFWI);
  }

  @Test
  void staysBoundedJustBelowTheStabilityLimit() {
    double v = 4000;
    double dtLimit = AcousticSolver.COURANT_LIMIT * 10 / v;
    FdSettings stable = OPENFWI.withStepS(dtLimit * 0.99).withSteps(800);
    float[] ok = new AcousticSolver(VelocityGrid.homogeneous(40, 40, v), stable).shot(new GridPoint(20, 20),
        new GridPoint[] {new GridPoint(5, 5)});
    for (float f : ok) {
      assertTrue(Float.isFinite(f) && Math.abs(f) < 10, "stable run produced " + f);
    }
  }

  @Test
  void rejectsPositionsOutsideTheModel() {
    AcousticSolver solver = new AcousticSolver(VelocityGrid.homogeneous(10, 20, 2000), OPENFWI.withSteps(5));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> solver.shot(new GridPoint(10, 3), new GridPoint[] {new GridPoint(0, 0)}));
    assertEquals("source at (z 10, x 3) lies outside the 10x20 model", e.getMessage());
  }

  @Test
  void simdAndScalarKernelsGiveTheSameBits() {
    assertTrue(AcousticSolver.VECTOR_AVAILABLE, "tests run with the Vector API module (see the surefire argLine)");
    VelocityGrid model = VelocityFamily.FAULT.sample(new java.util.SplittableRandom(3), N, N);
    GridPoint[] rec = Acquisition.openFwi(N).receiverArray();
    for (FdSettings s : new FdSettings[] {OPENFWI.withSteps(300), FdSettings.openFwiDamping().withSteps(300)}) {
      AcousticSolver simd = new AcousticSolver(model, s, true);
      AcousticSolver scalar = new AcousticSolver(model, s, false);
      assertTrue(simd.vectorized() && !scalar.vectorized());
      assertTrue(Arrays.equals(simd.shot(new GridPoint(1, 34), rec), scalar.shot(new GridPoint(1, 34), rec)), s.absorber().name());
    }
  }

  @Test
  void recordStartsAtRestAndIsDeterministic() {
    AcousticSolver solver = new AcousticSolver(VelocityGrid.homogeneous(N, N, 2500), OPENFWI.withSteps(300));
    GridPoint[] rec = {new GridPoint(1, 30)};
    float[] a = solver.shot(new GridPoint(1, 0), rec);
    assertEquals(0f, a[0]);
    assertTrue(Arrays.equals(a, solver.shot(new GridPoint(1, 0), rec)));
  }
}
