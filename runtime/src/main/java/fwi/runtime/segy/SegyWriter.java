package fwi.runtime.segy;

import fwi.runtime.tensor.FloatTensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes shot gathers {@code [shots, samples, receivers]} as a SEG-Y rev 1 file: EBCDIC textual
 * header, binary header, then one trace per (shot, receiver), shot-major in tensor order. Each
 * trace header carries the trace sequence numbers (bytes 1-4, 5-8), field record number = shot
 * index + 1 (9-12), trace number within the record = receiver index + 1 (13-16), energy source
 * point = shot index + 1 (17-20), trace id 1 = seismic (29-30), coordinate scalar (71-72), source X
 * (73-76), group X (81-84), coordinate units 1 = length (89-90), sample count (115-116) and
 * interval (117-118). The binary header declares rev 1.0, fixed-length traces, no extended
 * textual headers and metres as measurement system. Stateless apart from its options; thread-safe.
 */
public final class SegyWriter {
  private static final Charset EBCDIC = Charset.forName("IBM037");

  private final SegyWriteOptions options;

  public SegyWriter(SegyWriteOptions options) {
    if (options == null) {
      throw new IllegalArgumentException("options must not be null");
    }
    this.options = options;
  }

  /**
   * Writes {@code gathers} to {@code file}, replacing it.
   *
   * @param gathers {@code [shots, samples, receivers]}; shots and receivers must match the option
   *     positions, samples at most 65535, every value finite
   * @throws IllegalArgumentException if the tensor does not fit the options or the format
   * @throws IOException if the file cannot be written
   */
  public void write(FloatTensor gathers, Path file) throws IOException {
    int[] dims = gathers.shape().dims();
    int shots = options.sourceXMetres().size();
    int receivers = options.receiverXMetres().size();
    if (dims.length != 3 || dims[0] != shots || dims[2] != receivers || dims[1] > 65535) {
      throw new IllegalArgumentException("gathers must be shaped [" + shots + ", samples <= 65535, " + receivers
          + "] to match the source and receiver positions, but was " + gathers.shape());
    }
    int bad = gathers.firstNonFinite();
    if (bad >= 0) {
      throw new IllegalArgumentException(
          "gathers must be finite to be written as SEG-Y, but value " + bad + " was " + gathers.data()[bad]);
    }
    int samples = dims[1];
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(textualHeader(shots, receivers, samples));
      out.write(binaryHeader(receivers, samples));
      float[] data = gathers.data();
      ByteBuffer trace = ByteBuffer.allocate(SegyReader.TRACE_HEADER_BYTES + 4 * samples);
      for (int s = 0; s < shots; s++) {
        for (int r = 0; r < receivers; r++) {
          trace.clear();
          writeTraceHeader(trace, s, r, samples);
          for (int k = 0; k < samples; k++) {
            float v = data[(s * samples + k) * receivers + r];
            if (options.format() == SegySampleFormat.IBM_FLOAT) {
              trace.putInt(IbmFloat.fromFloat(v));
            } else {
              trace.putFloat(v);
            }
          }
          out.write(trace.array());
        }
      }
    }
  }

  private byte[] textualHeader(int shots, int receivers, int samples) {
    String[] lines = {
      "SEG-Y REV1 SHOT GATHERS WRITTEN BY FWI RUNTIME",
      "SHOTS " + shots + "  RECEIVERS PER SHOT " + receivers,
      "SAMPLES PER TRACE " + samples + "  SAMPLE INTERVAL " + options.sampleIntervalUs() + " US",
      "SAMPLE FORMAT " + options.format(),
      "FIELD RECORD NUMBER = SHOT INDEX + 1 (BYTES 9-12)",
      "TRACE NUMBER = RECEIVER INDEX + 1 (BYTES 13-16)",
      "SOURCE X BYTES 73-76, GROUP X BYTES 81-84, METRES, SCALAR " + options.coordinateScalar() + " (BYTES 71-72)",
    };
    StringBuilder text = new StringBuilder(SegyReader.TEXTUAL_HEADER_BYTES);
    for (int i = 1; i <= 40; i++) {
      String body;
      if (i <= lines.length) {
        body = lines[i - 1];
      } else if (i == 39) {
        body = "SEG Y REV1";
      } else if (i == 40) {
        body = "END TEXTUAL HEADER";
      } else {
        body = "";
      }
      String line = String.format("C%2d %s", i, body);
      text.append(String.format("%-80.80s", line));
    }
    return text.toString().getBytes(EBCDIC);
  }

  private byte[] binaryHeader(int receivers, int samples) {
    ByteBuffer b = ByteBuffer.allocate(SegyReader.BINARY_HEADER_BYTES);
    b.putInt(0, 1); // 3201-3204 job identification number
    b.putInt(4, 1); // 3205-3208 line number
    b.putInt(8, 1); // 3209-3212 reel number
    b.putShort(12, (short) receivers); // 3213-3214 data traces per ensemble
    b.putShort(16, (short) options.sampleIntervalUs()); // 3217-3218
    b.putShort(18, (short) options.sampleIntervalUs()); // 3219-3220 original field recording
    b.putShort(20, (short) samples); // 3221-3222
    b.putShort(22, (short) samples); // 3223-3224 original field recording
    b.putShort(24, (short) options.format().code()); // 3225-3226
    b.putShort(26, (short) receivers); // 3227-3228 ensemble fold
    b.putShort(28, (short) 1); // 3229-3230 trace sorting: as recorded
    b.putShort(54, (short) 1); // 3255-3256 measurement system: metres
    b.putShort(300, (short) 0x0100); // 3501-3502 SEG-Y revision 1.0
    b.putShort(302, (short) 1); // 3503-3504 fixed-length traces
    b.putShort(304, (short) 0); // 3505-3506 no extended textual headers
    return b.array();
  }

  private void writeTraceHeader(ByteBuffer t, int shot, int receiver, int samples) {
    int sequence = shot * options.receiverXMetres().size() + receiver + 1;
    t.putInt(0, sequence); // 1-4 trace sequence number within line
    t.putInt(4, sequence); // 5-8 trace sequence number within file
    t.putInt(8, shot + 1); // 9-12 field record number
    t.putInt(12, receiver + 1); // 13-16 trace number within field record
    t.putInt(16, shot + 1); // 17-20 energy source point
    t.putShort(28, (short) 1); // 29-30 trace identification: seismic data
    t.putShort(70, (short) options.coordinateScalar()); // 71-72
    t.putInt(72, options.encode(options.sourceXMetres().get(shot))); // 73-76
    t.putInt(80, options.encode(options.receiverXMetres().get(receiver))); // 81-84
    t.putShort(88, (short) 1); // 89-90 coordinate units: length
    t.putShort(114, (short) samples); // 115-116
    t.putShort(116, (short) options.sampleIntervalUs()); // 117-118
    t.position(SegyReader.TRACE_HEADER_BYTES);
  }
}
