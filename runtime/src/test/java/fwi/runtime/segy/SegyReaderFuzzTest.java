package fwi.runtime.segy;

import static fwi.runtime.segy.SegyTestFiles.evenlySpaced;
import static fwi.runtime.segy.SegyTestFiles.gathers;
import static fwi.runtime.segy.SegyTestFiles.metres;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.tensor.Shape;
import fwi.testing.Fuzz;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile SEG-Y files (the agent's watched directory, {@code pruner dataset render}): the reader
 * either returns gathers of the requested layout or throws {@link SegyFormatException} with a
 * message; nothing else, no hang, no allocation beyond what the file's size pays for.
 * {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class SegyReaderFuzzTest {
  private static final int TRIES = 300;
  private static final SegyReadOptions LAYOUT = new SegyReadOptions(2, 3, 40, 1000);

  @TempDir
  Path dir;

  private List<byte[]> seeds() throws IOException {
    List<byte[]> seeds = new ArrayList<>();
    for (SegySampleFormat format : SegySampleFormat.values()) {
      for (int intervalUs : new int[] {1000, 2000, 500}) {
        Path f = dir.resolve("seed.sgy");
        new SegyWriter(new SegyWriteOptions(format, intervalUs, metres(0, 170), evenlySpaced(3, 10), -100))
            .write(gathers(2, 40, 3), f);
        seeds.add(Files.readAllBytes(f));
      }
    }
    seeds.add(revision2(seeds.get(0)));
    seeds.add(withEndTextHeader(seeds.get(1)));
    return seeds;
  }

  /** Rev 2: zero sample count and interval in the short fields, the extended fields set instead. */
  private static byte[] revision2(byte[] rev1) {
    ByteBuffer b = ByteBuffer.wrap(rev1.clone());
    b.putShort(3500, (short) 0x0200);
    b.putShort(3220, (short) 0);
    b.putInt(3268, 40);
    b.putShort(3216, (short) 0);
    b.putDouble(3272, 1000.0);
    b.putInt(3506, 0);
    return b.array();
  }

  /** One extended textual header ending in ((SEG: EndText)), announced by -1. */
  private static byte[] withEndTextHeader(byte[] rev1) {
    byte[] ext = ("C" + " ".repeat(3183) + "((SEG: EndText))").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[rev1.length + ext.length];
    System.arraycopy(rev1, 0, out, 0, 3600);
    System.arraycopy(ext, 0, out, 3600, ext.length);
    System.arraycopy(rev1, 3600, out, 3600 + ext.length, rev1.length - 3600);
    ByteBuffer.wrap(out).putShort(3504, (short) -1);
    return out;
  }

  private Fuzz.Campaign reader() {
    return Fuzz.campaign("segy", input -> {
      Path f = dir.resolve("case.sgy");
      Files.write(f, input);
      SegyFile all = new SegyReader(LAYOUT).readTraces(f);
      assertTrue(all.sampleIntervalUs() > 0 && Double.isFinite(all.sampleIntervalUs()),
          "sample interval " + all.sampleIntervalUs());
      ShotGathers g = new SegyReader(LAYOUT).read(f);
      assertEquals(Shape.of(2, 40, 3), g.tensor().shape());
    }).documented(SegyFormatException.class)
        // binary header: interval, samples, format, revision, extended headers, additional trace headers,
        // rev 2 samples and interval; first trace header: record, source X, group X, samples, interval
        .hotOffsets(3216, 3220, 3224, 3500, 3504, 3506, 3268, 3272, 3600 + 8, 3600 + 72, 3600 + 80, 3600 + 114,
            3600 + 116, 3600 + 70);
  }

  @Test
  void refusesHostileFilesByName() throws IOException {
    reader().seeds(seeds()).run(TRIES);
  }

  private byte[] patched(byte[] seed, int at, long value, int width) {
    ByteBuffer b = ByteBuffer.wrap(seed.clone());
    switch (width) {
      case 4 -> b.putInt(at, (int) value);
      case 8 -> b.putLong(at, value);
      default -> throw new IllegalArgumentException("width " + width);
    }
    return b.array();
  }

  /** Rev 2 additional trace headers (bytes 3507-3510) so many that 240 x (1 + count) overflows an int. */
  @Test
  void refusesMoreAdditionalTraceHeadersThanTheFileHolds() throws IOException {
    byte[] rev2 = revision2(seeds().get(0));
    for (long count : new long[] {8_947_849, 0x7fffffff, 1000}) {
      reader().check(patched(rev2, 3506, count, 4));
    }
  }

  /** Rev 2 sample interval as a double (bytes 3273-3280): NaN, infinite, negative, or so small that the filter never ends. */
  @Test
  void refusesASampleIntervalThatIsNotAPositiveFiniteNumber() throws IOException {
    byte[] rev2 = revision2(seeds().get(0));
    for (double us : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1000, 1e-300, Double.MIN_VALUE}) {
      reader().check(patched(rev2, 3272, Double.doubleToRawLongBits(us), 8));
    }
  }
}
