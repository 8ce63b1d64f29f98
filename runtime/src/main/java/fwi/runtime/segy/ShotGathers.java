package fwi.runtime.segy;

import fwi.runtime.tensor.FloatTensor;
import java.util.List;

/**
 * Shot gathers read by {@link SegyReader#read}, with what was done to fit them to the requested
 * layout.
 *
 * @param tensor {@code [shots, samples, receivers]}, e.g. {@code [5, 1000, 70]}; shots ordered by
 *     source X, receivers by group X
 * @param sourceX the source X of each shot in tensor order (scalar applied; file units, normally metres)
 * @param fileSampleIntervalUs the file's sample interval in microseconds
 * @param fileSamplesPerTrace the file's samples per trace
 * @param zeroPaddedSamples trailing output samples per trace that lie past the end of the recorded
 *     trace and were set to zero; 0 when the file covered the whole output window
 * @param truncatedSamples resampled samples per trace dropped past the output window
 */
public record ShotGathers(
    FloatTensor tensor, List<Double> sourceX, double fileSampleIntervalUs, int fileSamplesPerTrace,
    int zeroPaddedSamples, int truncatedSamples) {
  public ShotGathers {
    sourceX = List.copyOf(sourceX);
  }

  /** Whether the output window had to be completed with zeros. */
  public boolean wasZeroPadded() {
    return zeroPaddedSamples > 0;
  }
}
