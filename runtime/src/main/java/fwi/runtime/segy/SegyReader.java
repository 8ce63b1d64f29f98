package fwi.runtime.segy;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads SEG-Y rev 0, 1 and 2 files of shot gathers into the InversionNet input layout
 * {@code [shots, samples, receivers]}, by default {@code [5, 1000, 70]} at 1 ms.
 *
 * <p>Accepted files: big-endian; 3200-byte textual header (EBCDIC, or ASCII when it starts with an
 * ASCII 'C'); 400-byte binary header; for rev 1 and later, the extended textual headers counted in
 * bytes 3505-3506 are skipped (-1 means: skip 3200-byte blocks up to the one holding
 * {@code ((SEG: EndText))}); for rev 2, the additional 240-byte trace headers counted in bytes
 * 3507-3510 are skipped, and a zero sample count or interval in bytes 3221-3222 / 3217-3218 falls
 * back to the extended fields at 3269-3272 / 3273-3280. Samples are format 1 (IBM float) or 5
 * (IEEE float). Every trace must have the binary header's sample count (a trace header value of 0
 * means "as the binary header") and sample interval; variable-length traces are refused.
 *
 * <p>Selection and ordering rules of {@link #read}:
 * <ul>
 *   <li>the file must hold exactly shots × receivers traces;
 *   <li>traces are grouped into shots by field record number (trace bytes 9-12), or by source X
 *       (bytes 73-76) when every record number is 0;
 *   <li>shots are ordered by source X, taken from each shot's first trace in the file; ties keep
 *       file order; receivers within a shot are ordered by group X (bytes 81-84), ties keep file order;
 *   <li>each trace is put onto the target time axis by {@link Resampler} rules: linear
 *       interpolation, with a zero-phase box pre-filter of floor(ratio) samples when downsampling
 *       by a factor of 2 or more (low-pass beforehand for anything better than that);
 *   <li>samples past the output window are truncated; output samples past the end of the recorded
 *       trace are zero and counted in {@link ShotGathers#zeroPaddedSamples()}.
 * </ul>
 *
 * <p>The whole file is read into memory (a 5 × 70 × 1000 file is 1.5 MB). Stateless, so
 * thread-safe. Error messages name trace positions by 0-based index in the file.
 */
public final class SegyReader {
  static final int TEXTUAL_HEADER_BYTES = 3200;
  static final int BINARY_HEADER_BYTES = 400;
  static final int TRACE_HEADER_BYTES = 240;
  private static final int HEADERS_BYTES = TEXTUAL_HEADER_BYTES + BINARY_HEADER_BYTES;
  private static final Charset EBCDIC = Charset.forName("IBM037");
  private static final String END_TEXT = "((SEG: EndText))";
  /** Bounds of the rev 2 extended (floating-point) sample interval; the 16-bit field gives [1, 65535]. */
  static final double MIN_SAMPLE_INTERVAL_US = 1;
  static final double MAX_SAMPLE_INTERVAL_US = 1e9;

  private final SegyReadOptions options;

  /** A reader for the InversionNet layout, {@link SegyReadOptions#inversionNet()}. */
  public SegyReader() {
    this(SegyReadOptions.inversionNet());
  }

  public SegyReader(SegyReadOptions options) {
    if (options == null) {
      throw new IllegalArgumentException("options must not be null");
    }
    this.options = options;
  }

  /**
   * Reads the shot gathers of {@code file} into {@code [shots, samples, receivers]} per the rules
   * in the class description.
   *
   * @throws SegyFormatException if the file is malformed or does not hold the expected shots and receivers
   * @throws IOException if the file cannot be read
   */
  public ShotGathers read(Path file) throws IOException {
    SegyFile segy = readTraces(file);
    String name = file.toString();
    List<SegyTrace> traces = segy.traces();
    int expectedTraces = options.shots() * options.receivers();
    if (traces.size() != expectedTraces) {
      throw new SegyFormatException(name + ": expected " + expectedTraces + " traces (" + options.shots()
          + " shots × " + options.receivers() + " receivers), but found " + traces.size());
    }
    List<List<SegyTrace>> shots = groupIntoShots(name, traces);
    int samples = options.samples();
    int receivers = options.receivers();
    float[] data = new float[options.shots() * samples * receivers];
    int zeroPadded = 0;
    int truncated = 0;
    List<Double> sourceX = new ArrayList<>();
    for (int s = 0; s < shots.size(); s++) {
      List<SegyTrace> shot = shots.get(s);
      sourceX.add(shot.get(0).sourceX());
      for (int r = 0; r < receivers; r++) {
        Resampler.Result resampled = Resampler.resample(
            shot.get(r).samples(), segy.sampleIntervalUs(), options.targetSampleIntervalUs(), samples);
        zeroPadded = resampled.zeroPadded();
        truncated = resampled.truncated();
        float[] values = resampled.samples();
        for (int k = 0; k < samples; k++) {
          data[(s * samples + k) * receivers + r] = values[k];
        }
      }
    }
    FloatTensor tensor = new FloatTensor(Shape.of(options.shots(), samples, receivers), data);
    return new ShotGathers(tensor, sourceX, segy.sampleIntervalUs(), segy.samplesPerTrace(), zeroPadded, truncated);
  }

  private List<List<SegyTrace>> groupIntoShots(String name, List<SegyTrace> traces) throws SegyFormatException {
    boolean byRecord = traces.stream().anyMatch(t -> t.recordNumber() != 0);
    Map<Object, List<SegyTrace>> groups = new LinkedHashMap<>();
    for (SegyTrace t : traces) {
      Object key = byRecord ? (Object) t.recordNumber() : (Object) t.sourceX();
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(t);
    }
    String grouping = byRecord ? "field record number, trace bytes 9-12" : "source X, trace bytes 73-76";
    if (groups.size() != options.shots()) {
      throw new SegyFormatException(name + ": expected " + options.shots() + " shots (traces grouped by "
          + grouping + "), but found " + groups.size());
    }
    List<List<SegyTrace>> shots = new ArrayList<>();
    for (Map.Entry<Object, List<SegyTrace>> e : groups.entrySet()) {
      List<SegyTrace> shot = new ArrayList<>(e.getValue());
      if (shot.size() != options.receivers()) {
        throw new SegyFormatException(name + ": shot " + (byRecord ? "with field record number " : "at source X ")
            + e.getKey() + ": expected " + options.receivers() + " receivers, but found " + shot.size());
      }
      shot.sort(Comparator.comparingDouble(SegyTrace::groupX));
      shots.add(shot);
    }
    shots.sort(Comparator.comparingDouble(shot -> shot.get(0).sourceX()));
    return shots;
  }

  /**
   * Reads every trace of {@code file} with its header fields, in file order and at the file's own
   * sample interval, for diagnostics. Does not check the expected shots and receivers.
   *
   * @throws SegyFormatException if the file is malformed
   * @throws IOException if the file cannot be read
   */
  public SegyFile readTraces(Path file) throws IOException {
    String name = file.toString();
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(bytes); // big-endian by default, as SEG-Y is
    if (bytes.length < HEADERS_BYTES) {
      throw new SegyFormatException(name + ": file is " + bytes.length + " bytes, but a SEG-Y file needs at least "
          + HEADERS_BYTES + " bytes (3200-byte textual header + 400-byte binary header)");
    }
    String textual = decodeText(bytes, 0);
    int revision = b.getShort(3500) & 0xffff;
    int major = revision >>> 8;
    if (major > 2) {
      throw new SegyFormatException(name + ": binary header bytes 3501-3502 (SEG-Y revision): revision " + major
          + "." + (revision & 0xff) + " is not supported; supported: 0, 1, 2");
    }
    SegySampleFormat format = SegySampleFormat.fromCode(b.getShort(3224), name);
    int samplesPerTrace = b.getShort(3220) & 0xffff;
    if (samplesPerTrace == 0 && major >= 2) {
      samplesPerTrace = b.getInt(3268);
    }
    if (samplesPerTrace <= 0) {
      throw new SegyFormatException(name + ": binary header bytes 3221-3222 (samples per trace) must be at least 1, "
          + "but was " + samplesPerTrace);
    }
    double binaryIntervalUs = b.getShort(3216) & 0xffff;
    if (binaryIntervalUs == 0 && major >= 2) {
      binaryIntervalUs = b.getDouble(3272);
      // 0 still means "see the trace headers"; anything else must be a usable interval, since the
      // resampler's work grows with the ratio of the output interval to this one
      if (binaryIntervalUs != 0 && !(binaryIntervalUs >= MIN_SAMPLE_INTERVAL_US && binaryIntervalUs <= MAX_SAMPLE_INTERVAL_US)) {
        throw new SegyFormatException(name + ": binary header bytes 3273-3280 (extended sample interval) must be in ["
            + (int) MIN_SAMPLE_INTERVAL_US + ", " + (long) MAX_SAMPLE_INTERVAL_US + "] us, but was " + binaryIntervalUs);
      }
    }
    int extendedHeaders = major >= 1 ? b.getShort(3504) : 0;
    int extraTraceHeaders = major >= 2 ? b.getInt(3506) : 0;
    if (extraTraceHeaders < 0) {
      throw new SegyFormatException(name + ": binary header bytes 3507-3510 (additional trace headers) must be at "
          + "least 0, but was " + extraTraceHeaders);
    }
    if (extraTraceHeaders > 0 && (long) TRACE_HEADER_BYTES * extraTraceHeaders > bytes.length - HEADERS_BYTES) {
      throw new SegyFormatException(name + ": binary header bytes 3507-3510 (additional trace headers) declare "
          + extraTraceHeaders + " additional 240-byte headers per trace, more than the " + (bytes.length - HEADERS_BYTES)
          + " bytes after the binary header hold");
    }
    long pos = HEADERS_BYTES;
    int skipped = 0;
    if (extendedHeaders == -1) {
      boolean ended = false;
      while (!ended) {
        requireExtendedHeader(name, bytes.length, pos, skipped);
        ended = decodeText(bytes, (int) pos).contains(END_TEXT)
            || new String(bytes, (int) pos, TEXTUAL_HEADER_BYTES, StandardCharsets.US_ASCII).contains(END_TEXT);
        pos += TEXTUAL_HEADER_BYTES;
        skipped++;
      }
    } else if (extendedHeaders < 0) {
      throw new SegyFormatException(name + ": binary header bytes 3505-3506 (extended textual headers) must be "
          + "at least -1, but was " + extendedHeaders);
    } else {
      long needed = (long) extendedHeaders * TEXTUAL_HEADER_BYTES;
      if (bytes.length - pos < needed) {
        throw new SegyFormatException(name + ": binary header bytes 3505-3506 declare " + extendedHeaders
            + " extended textual headers (" + needed + " bytes), but only " + (bytes.length - pos)
            + " bytes follow the binary header");
      }
      pos += needed;
      skipped = extendedHeaders;
    }

    long dataStart = pos;
    int headerBytes = TRACE_HEADER_BYTES * (1 + extraTraceHeaders);
    long traceBytes = headerBytes + (long) samplesPerTrace * format.bytesPerSample();
    double intervalUs = binaryIntervalUs;
    List<SegyTrace> traces = new ArrayList<>();
    while (pos < bytes.length) {
      if (bytes.length - pos < traceBytes) {
        throw new SegyFormatException(name + ": trace data after the " + dataStart + "-byte headers is "
            + (bytes.length - dataStart) + " bytes, expected a whole number of " + traceBytes + "-byte traces ("
            + headerBytes + "-byte header + " + samplesPerTrace + " samples × " + format.bytesPerSample()
            + " bytes), but " + (bytes.length - pos) + " bytes are left over");
      }
      int h = (int) pos;
      int index = traces.size();
      int traceSamples = b.getShort(h + 114) & 0xffff;
      if (traceSamples != 0 && traceSamples != samplesPerTrace) {
        throw new SegyFormatException(name + ": trace at index " + index + ", header bytes 115-116 (samples in this "
            + "trace): expected " + samplesPerTrace + " (binary header bytes 3221-3222), but was " + traceSamples);
      }
      int traceIntervalUs = b.getShort(h + 116) & 0xffff;
      if (intervalUs == 0) {
        intervalUs = traceIntervalUs;
      } else if (traceIntervalUs != 0 && Math.abs(traceIntervalUs - intervalUs) >= 0.5) {
        throw new SegyFormatException(name + ": trace at index " + index + ", header bytes 117-118 (sample interval): "
            + "expected " + formatUs(intervalUs) + " us (binary header bytes 3217-3218), but was " + traceIntervalUs);
      }
      short scalar = b.getShort(h + 70);
      float[] samples = new float[samplesPerTrace];
      int s = h + headerBytes;
      for (int k = 0; k < samplesPerTrace; k++, s += 4) {
        samples[k] = format == SegySampleFormat.IBM_FLOAT ? IbmFloat.toFloat(b.getInt(s)) : b.getFloat(s);
      }
      traces.add(new SegyTrace(index, b.getInt(h + 8), b.getInt(h + 12), b.getInt(h + 16),
          applyScalar(b.getInt(h + 72), scalar), applyScalar(b.getInt(h + 80), scalar), samples));
      pos += traceBytes;
    }
    if (intervalUs <= 0) {
      throw new SegyFormatException(name + ": binary header bytes 3217-3218 (sample interval) must be at least 1 us, "
          + "but was 0, and the first trace header (bytes 117-118) does not give one either");
    }
    return new SegyFile(textual, revision, format, intervalUs, samplesPerTrace, skipped, traces);
  }

  private static void requireExtendedHeader(String name, int length, long pos, int skipped)
      throws SegyFormatException {
    if (length - pos < TEXTUAL_HEADER_BYTES) {
      throw new SegyFormatException(name + ": binary header bytes 3505-3506 are -1 (extended textual headers end "
          + "with " + END_TEXT + "), but the file ended after " + skipped + " extended headers without it");
    }
  }

  /** SEG-Y coordinate scalar: positive multiplies, negative divides, 0 means 1. */
  static double applyScalar(int raw, short scalar) {
    if (scalar > 0) {
      return (double) raw * scalar;
    }
    if (scalar < 0) {
      return (double) raw / -scalar;
    }
    return raw;
  }

  private static String decodeText(byte[] bytes, int offset) {
    Charset charset = bytes[offset] == 'C' ? StandardCharsets.US_ASCII : EBCDIC;
    return new String(bytes, offset, TEXTUAL_HEADER_BYTES, charset);
  }

  private static String formatUs(double us) {
    return us == Math.rint(us) ? Long.toString((long) us) : Double.toString(us);
  }
}
