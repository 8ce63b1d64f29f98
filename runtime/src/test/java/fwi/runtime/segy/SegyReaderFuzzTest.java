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
    }).documented(SegyFormatException.class);
  }

  @Test
  void refusesHostileFilesByName() throws IOException {
    reader().seeds(seeds()).run(TRIES);
  }
}
