package fwi.runtime.segy;

/**
 * What {@link SegyReader#read} expects of a file and produces.
 *
 * @param shots number of shot gathers (sources) the file must hold; InversionNet: 5
 * @param receivers traces per shot; InversionNet: 70
 * @param samples time samples per trace in the output; InversionNet: 1000
 * @param targetSampleIntervalUs output sample interval in microseconds; InversionNet: 1000 (1 ms)
 */
public record SegyReadOptions(int shots, int receivers, int samples, int targetSampleIntervalUs) {
  public SegyReadOptions {
    requirePositive("shots", shots);
    requirePositive("receivers", receivers);
    requirePositive("samples", samples);
    requirePositive("target sample interval (us)", targetSampleIntervalUs);
  }

  /** The InversionNet input layout: 5 shots, 70 receivers, 1000 samples at 1 ms. */
  public static SegyReadOptions inversionNet() {
    return new SegyReadOptions(5, 70, 1000, 1000);
  }

  private static void requirePositive(String field, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(field + " must be at least 1, but was " + value);
    }
  }
}
