package fwi.runtime.segy;

import java.util.ArrayList;
import java.util.List;

/**
 * How {@link SegyWriter} encodes shot gathers.
 *
 * @param format sample encoding, IBM or IEEE float
 * @param sampleIntervalUs sample interval in microseconds, in [1, 65535]
 * @param sourceXMetres source X of each shot, in tensor order; one per shot
 * @param receiverXMetres group X of each receiver, in tensor order; the same for every shot
 * @param coordinateScalar SEG-Y coordinate scalar (trace bytes 71-72): one of ±1, ±10, ±100,
 *     ±1000, ±10000; negative divides (-100 stores centimetres), positive multiplies. Every
 *     position must be a whole number of the unit it implies and fit a 4-byte integer.
 */
public record SegyWriteOptions(
    SegySampleFormat format, int sampleIntervalUs, List<Double> sourceXMetres, List<Double> receiverXMetres,
    int coordinateScalar) {
  public SegyWriteOptions {
    if (format == null) {
      throw new IllegalArgumentException("format must not be null");
    }
    if (sampleIntervalUs < 1 || sampleIntervalUs > 65535) {
      throw new IllegalArgumentException("sample interval (us) must be in [1, 65535], but was " + sampleIntervalUs);
    }
    int magnitude = Math.abs(coordinateScalar);
    if (magnitude != 1 && magnitude != 10 && magnitude != 100 && magnitude != 1000 && magnitude != 10000) {
      throw new IllegalArgumentException(
          "coordinate scalar must be one of ±1, ±10, ±100, ±1000, ±10000, but was " + coordinateScalar);
    }
    sourceXMetres = List.copyOf(sourceXMetres);
    receiverXMetres = List.copyOf(receiverXMetres);
    if (sourceXMetres.isEmpty() || receiverXMetres.isEmpty()) {
      throw new IllegalArgumentException("source and receiver positions must not be empty, but had "
          + sourceXMetres.size() + " sources and " + receiverXMetres.size() + " receivers");
    }
    checkPositions("source X", sourceXMetres, coordinateScalar);
    checkPositions("receiver X", receiverXMetres, coordinateScalar);
  }

  /**
   * The OpenFWI acquisition at 1 ms: 5 sources at columns 0, 17, 34, 52, 69 and 70 receivers at
   * every column of a 10 m grid, positions in metres stored as centimetres (scalar -100).
   */
  public static SegyWriteOptions openFwi(SegySampleFormat format) {
    List<Double> receivers = new ArrayList<>();
    for (int i = 0; i < 70; i++) {
      receivers.add(i * 10.0);
    }
    return new SegyWriteOptions(format, 1000, List.of(0.0, 170.0, 340.0, 520.0, 690.0), receivers, -100);
  }

  /** The stored integer for a position in metres under {@link #coordinateScalar()}. */
  int encode(double metres) {
    return (int) Math.round(coordinateScalar < 0 ? metres * -coordinateScalar : metres / coordinateScalar);
  }

  private static void checkPositions(String field, List<Double> metres, int scalar) {
    for (int i = 0; i < metres.size(); i++) {
      double m = metres.get(i);
      double stored = scalar < 0 ? m * -scalar : m / scalar;
      if (!Double.isFinite(m) || Math.abs(stored) > Integer.MAX_VALUE || Math.abs(stored - Math.rint(stored)) > 1e-6) {
        throw new IllegalArgumentException(field + " " + i + " must be a finite whole multiple of the coordinate unit "
            + "set by scalar " + scalar + " within the 4-byte range, but was " + m + " m");
      }
    }
  }
}
