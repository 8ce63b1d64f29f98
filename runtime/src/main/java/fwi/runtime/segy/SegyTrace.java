package fwi.runtime.segy;

/**
 * One trace as stored in a SEG-Y file, for diagnostics: selected trace header fields and the
 * samples at the file's own sample interval. Immutable: the samples are copied in and out.
 *
 * @param index 0-based position of the trace in the file
 * @param recordNumber field record number, trace header bytes 9-12
 * @param traceNumber trace number within the field record, bytes 13-16
 * @param energySourcePoint energy source point number, bytes 17-20
 * @param sourceX source X, bytes 73-76, with the coordinate scalar of bytes 71-72 applied
 * @param groupX group (receiver) X, bytes 81-84, with the coordinate scalar applied
 * @param samples the trace samples, decoded to float
 */
public record SegyTrace(
    int index, int recordNumber, int traceNumber, int energySourcePoint, double sourceX, double groupX,
    float[] samples) {
  public SegyTrace {
    samples = samples.clone();
  }

  /** A copy of the samples. */
  @Override
  public float[] samples() {
    return samples.clone();
  }

  /** Number of samples, without copying them. */
  public int sampleCount() {
    return samples.length;
  }
}
