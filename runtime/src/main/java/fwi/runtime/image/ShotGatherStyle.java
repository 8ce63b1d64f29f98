package fwi.runtime.image;

/**
 * How {@link SeismicPictures#shotGather(fwi.runtime.tensor.FloatTensor, ShotGatherStyle)} draws
 * seismic records.
 *
 * @param clipPercentile percentile of |amplitude|, in (0, 100], that maps to the ends of the
 *     seismic colour map; larger amplitudes saturate. 100 clips at the largest amplitude.
 * @param sampleIntervalMs time between samples in milliseconds; finite and positive
 */
public record ShotGatherStyle(double clipPercentile, double sampleIntervalMs) {
  public ShotGatherStyle {
    checkPercentile(clipPercentile);
    if (!(Double.isFinite(sampleIntervalMs) && sampleIntervalMs > 0)) {
      throw new IllegalArgumentException("sample interval (ms) must be finite and positive, but was " + sampleIntervalMs);
    }
  }

  /**
   * Clip at {@value SeismicPictures#DEFAULT_CLIP_PERCENTILE}% at the OpenFWI sampling of
   * {@value SeismicPictures#DEFAULT_SAMPLE_INTERVAL_MS} ms.
   */
  public static ShotGatherStyle defaults() {
    return new ShotGatherStyle(SeismicPictures.DEFAULT_CLIP_PERCENTILE, SeismicPictures.DEFAULT_SAMPLE_INTERVAL_MS);
  }

  /** Clip at {@code clipPercentile} at the OpenFWI sampling. */
  public static ShotGatherStyle clippedAt(double clipPercentile) {
    return new ShotGatherStyle(clipPercentile, SeismicPictures.DEFAULT_SAMPLE_INTERVAL_MS);
  }

  static void checkPercentile(double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("clip percentile must be in (0, 100], but was " + p);
    }
  }
}
