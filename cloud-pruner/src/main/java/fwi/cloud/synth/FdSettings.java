package fwi.cloud.synth;

/**
 * Settings of the acoustic finite-difference modelling, in SI units. The defaults reproduce the
 * OpenFWI recipe: 10 m cells, 1 ms steps, 1000 steps, a 15 Hz Ricker wavelet.
 *
 * @param cellM grid spacing in metres, the same in depth and across
 * @param stepS time step in seconds; also the sampling interval of the recorded traces
 * @param steps number of time steps, i.e. samples per trace
 * @param absorber how waves leaving the model are absorbed
 * @param absorberCells width of the absorbing layer added on each of the four sides, in cells
 * @param peakHz peak frequency of the Ricker source wavelet
 * @param sourceDelayS time of the wavelet's peak after the start of the record
 * @param amplitude scale of the injected source; chosen so that generated gathers span a range
 *     comparable to OpenFWI's (see {@link #openFwi()})
 */
public record FdSettings(double cellM, double stepS, int steps, Absorber absorber, int absorberCells, double peakHz, double sourceDelayS,
    double amplitude) {

  /** The width of the damping layer OpenFWI used, in cells. */
  public static final int OPENFWI_ABSORBER_CELLS = 120;

  /**
   * Width of the default {@link Absorber#CPML} layer, in cells: as measured by {@code pruner
   * dataset absorber-check} and the physics tests it keeps boundary reflections below 1 % of the
   * direct wave, with a far smaller grid than OpenFWI's 310x310.
   */
  public static final int DEFAULT_ABSORBER_CELLS = 20;

  public FdSettings {
    positive("cell size (m)", cellM);
    positive("time step (s)", stepS);
    positive("peak frequency (Hz)", peakHz);
    positive("amplitude", amplitude);
    if (absorber == null) {
      throw new IllegalArgumentException("absorber must be given (DAMPING or CPML)");
    }
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, but was " + steps);
    }
    if (absorberCells < 0) {
      throw new IllegalArgumentException("absorber width must be at least 0 cells, but was " + absorberCells);
    }
    if (!(sourceDelayS >= 0) || Double.isInfinite(sourceDelayS)) {
      throw new IllegalArgumentException("source delay must be a finite number of seconds >= 0, but was " + sourceDelayS);
    }
  }

  private static void positive(String what, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(what + " must be a finite number > 0, but was " + v);
    }
  }

  /**
   * OpenFWI's settings: 10 m, 1 ms, 1000 steps, 15 Hz Ricker peaking at 1/15 s, with a
   * {@link #DEFAULT_ABSORBER_CELLS thin} CPML absorber instead of OpenFWI's 120-cell damping
   * layer ({@link #openFwiDamping()}).
   */
  public static FdSettings openFwi() {
    return new FdSettings(10.0, 1e-3, 1000, Absorber.CPML, DEFAULT_ABSORBER_CELLS, 15.0, 1.0 / 15.0, DEFAULT_AMPLITUDE);
  }

  /**
   * Source scale that puts FlatVel-like gathers in OpenFWI's raw range, so the normalization
   * constants built into the model fit generated data. Measured: 30 FLATVEL samples at amplitude 1
   * span -0.2493 to 0.4840; OpenFWI's FlatVel-A spans -26.95 to 52.77; 109 maps ours to about
   * -27.2 to 52.8 (both ends agree, as the ratio of the extremes already matched).
   */
  static final double DEFAULT_AMPLITUDE = 109.0;

  /** OpenFWI's own absorber: a 120-cell damping layer. */
  public static FdSettings openFwiDamping() {
    return openFwi().withAbsorber(Absorber.DAMPING, OPENFWI_ABSORBER_CELLS);
  }

  public FdSettings withAbsorber(Absorber kind, int cells) {
    return new FdSettings(cellM, stepS, steps, kind, cells, peakHz, sourceDelayS, amplitude);
  }

  public FdSettings withAbsorberCells(int cells) {
    return new FdSettings(cellM, stepS, steps, absorber, cells, peakHz, sourceDelayS, amplitude);
  }

  public FdSettings withSteps(int n) {
    return new FdSettings(cellM, stepS, n, absorber, absorberCells, peakHz, sourceDelayS, amplitude);
  }

  public FdSettings withStepS(double dt) {
    return new FdSettings(cellM, dt, steps, absorber, absorberCells, peakHz, sourceDelayS, amplitude);
  }

  public FdSettings withAmplitude(double a) {
    return new FdSettings(cellM, stepS, steps, absorber, absorberCells, peakHz, sourceDelayS, a);
  }

  /** The Ricker wavelet value at time {@code t} seconds: peak 1 at {@link #sourceDelayS}. */
  public double ricker(double t) {
    double a = Math.PI * peakHz * (t - sourceDelayS);
    a *= a;
    return (1 - 2 * a) * Math.exp(-a);
  }
}
