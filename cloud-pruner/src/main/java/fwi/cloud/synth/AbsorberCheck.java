package fwi.cloud.synth;

/**
 * Measures how much an absorber reflects: the OpenFWI shot (source at the top-left receiver,
 * receivers along the top) in a homogeneous model, compared with the same shot in a domain so
 * large that nothing comes back from its edges within the record. The residual at each receiver,
 * relative to that receiver's direct wave, is what the absorber let back in.
 */
public final class AbsorberCheck {
  private AbsorberCheck() {
  }

  /**
   * The worst, over receivers, of max |trace - reference| / max |reference|.
   *
   * @param s settings whose absorber is measured (OpenFWI geometry, {@code n x n} model)
   * @param velocityMs velocity of the homogeneous medium
   */
  public static double worstResidual(FdSettings s, int n, double velocityMs) {
    int far = (int) Math.ceil(velocityMs * s.stepS() * s.steps() / 2 / s.cellM()) + 10;
    GridPoint[] rec = new GridPoint[n];
    GridPoint[] recFar = new GridPoint[n];
    for (int x = 0; x < n; x++) {
      rec[x] = new GridPoint(1, x);
      recFar[x] = new GridPoint(1 + far, x + far);
    }
    float[] got = new AcousticSolver(VelocityGrid.homogeneous(n, n, velocityMs), s).shot(new GridPoint(1, 0), rec);
    float[] ref = new AcousticSolver(VelocityGrid.homogeneous(n + 2 * far, n + 2 * far, velocityMs), s.withAbsorberCells(0))
        .shot(new GridPoint(1 + far, far), recFar);
    double worst = 0;
    for (int r = 0; r < n; r++) {
      double err = 0;
      double peak = 0;
      for (int t = 0; t < s.steps(); t++) {
        err = Math.max(err, Math.abs(got[t * n + r] - ref[t * n + r]));
        peak = Math.max(peak, Math.abs(ref[t * n + r]));
      }
      worst = Math.max(worst, err / peak);
    }
    return worst;
  }
}
