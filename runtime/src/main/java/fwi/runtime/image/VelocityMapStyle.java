package fwi.runtime.image;

/**
 * How {@link SeismicPictures#velocityMap(fwi.runtime.tensor.FloatTensor, VelocityMapStyle)}
 * draws a velocity model.
 *
 * @param vMinMs velocity, in m/s, drawn in the bottom colour of the bar; finite
 * @param vMaxMs velocity, in m/s, drawn in the top colour of the bar; finite, greater than
 *     {@code vMinMs}
 * @param cellMetres grid spacing in metres, both across and down; finite and positive
 */
public record VelocityMapStyle(double vMinMs, double vMaxMs, double cellMetres) {
  public VelocityMapStyle {
    if (!Double.isFinite(vMinMs)) {
      throw new IllegalArgumentException("vMin (m/s) must be finite, but was " + vMinMs);
    }
    if (!Double.isFinite(vMaxMs)) {
      throw new IllegalArgumentException("vMax (m/s) must be finite, but was " + vMaxMs);
    }
    if (!(vMaxMs > vMinMs)) {
      throw new IllegalArgumentException("vMax (m/s) must be greater than vMin " + vMinMs + ", but was " + vMaxMs);
    }
    if (!(Double.isFinite(cellMetres) && cellMetres > 0)) {
      throw new IllegalArgumentException("cell size (m) must be finite and positive, but was " + cellMetres);
    }
  }

  /** The range {@code [vMinMs, vMaxMs]} on the OpenFWI grid of {@value SeismicPictures#DEFAULT_CELL_METRES} m cells. */
  public static VelocityMapStyle of(double vMinMs, double vMaxMs) {
    return new VelocityMapStyle(vMinMs, vMaxMs, SeismicPictures.DEFAULT_CELL_METRES);
  }
}
