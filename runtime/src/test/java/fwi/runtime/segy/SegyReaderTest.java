package fwi.runtime.segy;

import static fwi.runtime.segy.SegyTestFiles.evenlySpaced;
import static fwi.runtime.segy.SegyTestFiles.gathers;
import static fwi.runtime.segy.SegyTestFiles.metres;
import static fwi.runtime.segy.SegyTestFiles.patch;
import static fwi.runtime.segy.SegyTestFiles.traceOffset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegyReaderTest {
  @TempDir
  Path dir;

  private Path write(FloatTensor gathers, SegyWriteOptions options) throws Exception {
    Path file = dir.resolve("shots.sgy");
    new SegyWriter(options).write(gathers, file);
    return file;
  }

  private Path writeOpenFwi() throws Exception {
    return write(gathers(5, 1000, 70), SegyWriteOptions.openFwi(SegySampleFormat.IEEE_FLOAT));
  }

  private static SegyWriteOptions options(int sampleIntervalUs) {
    return new SegyWriteOptions(SegySampleFormat.IEEE_FLOAT, sampleIntervalUs,
        metres(0, 170, 340, 520, 690), evenlySpaced(70, 10), -100);
  }

  private SegyFormatException readFails(Path file) {
    return assertThrows(SegyFormatException.class, () -> new SegyReader().read(file));
  }

  @Test
  void roundTripsIeeeShotGathersExactly() throws Exception {
    FloatTensor written = gathers(5, 1000, 70);
    ShotGathers read = new SegyReader().read(write(written, SegyWriteOptions.openFwi(SegySampleFormat.IEEE_FLOAT)));

    assertEquals(Shape.of(5, 1000, 70), read.tensor().shape());
    assertArrayEquals(written.data(), read.tensor().data());
    assertEquals(List.of(0.0, 170.0, 340.0, 520.0, 690.0), read.sourceX());
    assertEquals(1000.0, read.fileSampleIntervalUs());
    assertEquals(1000, read.fileSamplesPerTrace());
    assertEquals(0, read.zeroPaddedSamples());
    assertEquals(0, read.truncatedSamples());
  }

  @Test
  void roundTripsIbmShotGathersWithinIbmPrecision() throws Exception {
    FloatTensor written = gathers(5, 1000, 70);
    ShotGathers read = new SegyReader().read(write(written, SegyWriteOptions.openFwi(SegySampleFormat.IBM_FLOAT)));

    float[] expected = written.data();
    float[] actual = read.tensor().data();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], Math.abs(expected[i]) * 1e-6, "value " + i);
    }
  }

  @Test
  void decodesIbmSamplesWrittenByHand() throws Exception {
    Path file = write(gathers(5, 1000, 70), SegyWriteOptions.openFwi(SegySampleFormat.IBM_FLOAT));
    patch(file, b -> b.putInt(traceOffset(0, 1000) + 240, 0xC276A000));

    assertEquals(-118.625f, new SegyReader().readTraces(file).traces().get(0).samples()[0]);
  }

  @Test
  void reportsRawTracesAndHeaderFieldsInFileOrder() throws Exception {
    SegyFile segy = new SegyReader().readTraces(writeOpenFwi());

    assertEquals(350, segy.traces().size());
    assertEquals(0x0100, segy.revision());
    assertEquals(SegySampleFormat.IEEE_FLOAT, segy.format());
    assertEquals(1000.0, segy.sampleIntervalUs());
    assertEquals(1000, segy.samplesPerTrace());
    assertEquals(0, segy.extendedTextualHeaders());
    assertEquals("C 1 SEG-Y REV1 SHOT GATHERS", segy.textualHeader().substring(0, 27));
    SegyTrace trace = segy.traces().get(71);
    assertEquals(71, trace.index());
    assertEquals(2, trace.recordNumber());
    assertEquals(2, trace.traceNumber());
    assertEquals(2, trace.energySourcePoint());
    assertEquals(170.0, trace.sourceX());
    assertEquals(10.0, trace.groupX());
    assertEquals(1000, trace.sampleCount());
  }

  @Test
  void interpolatesTwoMillisecondRampOntoOneMillisecondAxisAndZeroPadsTheLastSample() throws Exception {
    float[] data = new float[5 * 500 * 70];
    for (int s = 0; s < 5; s++) {
      for (int k = 0; k < 500; k++) {
        for (int r = 0; r < 70; r++) {
          data[(s * 500 + k) * 70 + r] = 2 * k * (r + 1); // time in ms × (r + 1)
        }
      }
    }
    ShotGathers read = new SegyReader().read(write(new FloatTensor(Shape.of(5, 500, 70), data), options(2000)));

    float[] out = read.tensor().data();
    for (int s = 0; s < 5; s++) {
      for (int r = 0; r < 70; r++) {
        for (int t = 0; t <= 998; t++) {
          assertEquals(t * (r + 1), out[(s * 1000 + t) * 70 + r], 1e-3, "shot " + s + " receiver " + r + " t " + t);
        }
        assertEquals(0.0f, out[(s * 1000 + 999) * 70 + r]);
      }
    }
    assertEquals(2000.0, read.fileSampleIntervalUs());
    assertEquals(500, read.fileSamplesPerTrace());
    assertEquals(1, read.zeroPaddedSamples());
  }

  @Test
  void interpolatesTwoMillisecondSineWithinLinearInterpolationError() throws Exception {
    double hz = 10;
    float[] data = new float[5 * 500 * 70];
    for (int i = 0; i < data.length; i++) {
      int k = (i / 70) % 500;
      data[i] = (float) Math.sin(2 * Math.PI * hz * k * 0.002);
    }
    ShotGathers read = new SegyReader().read(write(new FloatTensor(Shape.of(5, 500, 70), data), options(2000)));

    // Linear interpolation error is at most dt²/8 · max|f''| = 0.002²/8 · (2π·10)².
    double bound = 0.002 * 0.002 / 8 * Math.pow(2 * Math.PI * hz, 2) + 1e-6;
    float[] out = read.tensor().data();
    for (int t = 0; t <= 998; t++) {
      assertEquals(Math.sin(2 * Math.PI * hz * t * 0.001), out[(3 * 1000 + t) * 70 + 5], bound, "t " + t);
    }
  }

  @Test
  void downsamplesHalfMillisecondTracesThroughACentredBoxFilter() throws Exception {
    float[] data = new float[5 * 2000 * 70];
    for (int i = 0; i < data.length; i++) {
      int k = (i / 70) % 2000;
      int r = i % 70;
      // a ramp (time in ms) on even receivers, an oscillation at the input Nyquist frequency on odd ones
      data[i] = r % 2 == 0 ? 0.5f * k : (k % 2 == 0 ? 1 : -1);
    }
    ShotGathers read = new SegyReader().read(write(new FloatTensor(Shape.of(5, 2000, 70), data), options(500)));

    float[] out = read.tensor().data();
    for (int t = 1; t < 1000; t++) {
      assertEquals(t, out[(2 * 1000 + t) * 70 + 4], 1e-3, "ramp at t " + t);
      assertEquals(0, out[(2 * 1000 + t) * 70 + 5], 1e-6, "oscillation at t " + t);
    }
    assertEquals(0, read.zeroPaddedSamples());
  }

  @Test
  void truncatesTracesLongerThanTheOutputWindow() throws Exception {
    FloatTensor written = gathers(5, 1200, 70);
    ShotGathers read = new SegyReader().read(write(written, options(1000)));

    float[] expected = new float[5 * 1000 * 70];
    for (int s = 0; s < 5; s++) {
      System.arraycopy(written.data(), s * 1200 * 70, expected, s * 1000 * 70, 1000 * 70);
    }
    assertArrayEquals(expected, read.tensor().data());
    assertEquals(200, read.truncatedSamples());
  }

  @Test
  void ordersShotsBySourceXAndReceiversByGroupXWhenWrittenShuffled() throws Exception {
    Path file = writeShuffled();
    ShotGathers read = new SegyReader().read(file);
    assertShuffledComeBackOrdered(read);
  }

  @Test
  void groupsShotsBySourceXWhenRecordNumbersAreAbsent() throws Exception {
    Path file = writeShuffled();
    patch(file, b -> {
      for (int i = 0; i < 350; i++) {
        b.putInt(traceOffset(i, 3) + 8, 0);
      }
    });
    assertShuffledComeBackOrdered(new SegyReader().read(file));
  }

  /** Trace (shot s, receiver r) holds the constant s·100 + r; sources and receivers out of order. */
  private Path writeShuffled() throws Exception {
    float[] data = new float[5 * 3 * 70];
    for (int i = 0; i < data.length; i++) {
      data[i] = (i / (3 * 70)) * 100 + i % 70;
    }
    List<Double> receiversDescending = evenlySpaced(70, 10);
    java.util.Collections.reverse(receiversDescending);
    SegyWriteOptions shuffled = new SegyWriteOptions(
        SegySampleFormat.IEEE_FLOAT, 1000, metres(340, 0, 690, 170, 520), receiversDescending, -100);
    return write(new FloatTensor(Shape.of(5, 3, 70), data), shuffled);
  }

  private static void assertShuffledComeBackOrdered(ShotGathers read) {
    int[] writtenShotBySourceX = {1, 3, 0, 4, 2};
    assertEquals(List.of(0.0, 170.0, 340.0, 520.0, 690.0), read.sourceX());
    float[] out = read.tensor().data();
    for (int s = 0; s < 5; s++) {
      for (int r = 0; r < 70; r++) {
        assertEquals(writtenShotBySourceX[s] * 100 + (69 - r), out[(s * 1000) * 70 + r], "shot " + s + " receiver " + r);
      }
    }
    assertEquals(997, read.zeroPaddedSamples());
  }

  @Test
  void skipsCountedExtendedTextualHeaders() throws Exception {
    Path file = writeOpenFwi();
    FloatTensor expected = new SegyReader().read(file).tensor();
    insertExtendedHeaders(file, 2, "C 1 EXTENDED", (short) 2);

    ShotGathers read = new SegyReader().read(file);
    assertArrayEquals(expected.data(), read.tensor().data());
    assertEquals(2, new SegyReader().readTraces(file).extendedTextualHeaders());
  }

  @Test
  void skipsExtendedTextualHeadersUpToTheEndTextStanza() throws Exception {
    Path file = writeOpenFwi();
    FloatTensor expected = new SegyReader().read(file).tensor();
    insertExtendedHeaders(file, 3, "((SEG: EndText))", (short) -1);

    assertArrayEquals(expected.data(), new SegyReader().read(file).tensor().data());
    assertEquals(3, new SegyReader().readTraces(file).extendedTextualHeaders());
  }

  /** Inserts {@code count} ASCII blocks after the binary header, the last one holding {@code lastText}. */
  private static void insertExtendedHeaders(Path file, int count, String lastText, short declared) throws Exception {
    byte[] raw = Files.readAllBytes(file);
    java.nio.ByteBuffer.wrap(raw).putShort(3504, declared);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(raw, 0, 3600);
    for (int i = 1; i <= count; i++) {
      String text = String.format("%-3200s", i == count ? lastText : "C 1 MORE TEXT");
      out.write(text.getBytes(StandardCharsets.US_ASCII));
    }
    out.write(raw, 3600, raw.length - 3600);
    Files.write(file, out.toByteArray());
  }

  @Test
  void skipsRevision2AdditionalTraceHeadersAndReadsExtendedSampleCount() throws Exception {
    Path file = writeOpenFwi();
    FloatTensor expected = new SegyReader().read(file).tensor();
    byte[] raw = Files.readAllBytes(file);
    java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(raw);
    header.putShort(3500, (short) 0x0200).putInt(3506, 1);
    header.putShort(3220, (short) 0).putInt(3268, 1000); // rev 2: zero here defers to bytes 3269-3272
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(raw, 0, 3600);
    for (int i = 0; i < 350; i++) {
      int at = traceOffset(i, 1000);
      out.write(raw, at, 240);
      out.write(new byte[240]); // one additional trace header, all zero
      out.write(raw, at + 240, 4000);
    }
    Files.write(file, out.toByteArray());

    assertArrayEquals(expected.data(), new SegyReader().read(file).tensor().data());
  }

  @Test
  void rejectsFileShorterThanTheHeaders() throws Exception {
    Path file = dir.resolve("short.sgy");
    Files.write(file, new byte[100]);
    assertEquals(file + ": file is 100 bytes, but a SEG-Y file needs at least 3600 bytes "
        + "(3200-byte textual header + 400-byte binary header)", readFails(file).getMessage());
  }

  @Test
  void rejectsTwoByteIntegerSamples() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putShort(3224, (short) 3));
    assertEquals(file + ": binary header bytes 3225-3226 (data sample format code): format code 3 (2-byte integer) "
        + "is not supported; supported: 1 (IBM float), 5 (IEEE float)", readFails(file).getMessage());
  }

  @Test
  void rejectsUnknownRevision() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putShort(3500, (short) 0x0300));
    assertEquals(file + ": binary header bytes 3501-3502 (SEG-Y revision): revision 3.0 is not supported; "
        + "supported: 0, 1, 2", readFails(file).getMessage());
  }

  @Test
  void rejectsTraceCountOtherThanShotsTimesReceivers() throws Exception {
    Path file = write(gathers(4, 1000, 70), new SegyWriteOptions(
        SegySampleFormat.IEEE_FLOAT, 1000, metres(0, 1, 2, 3), evenlySpaced(70, 10), 1));
    assertEquals(file + ": expected 350 traces (5 shots × 70 receivers), but found 280", readFails(file).getMessage());
  }

  @Test
  void rejectsMoreShotsThanExpected() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putInt(traceOffset(0, 1000) + 8, 99));
    assertEquals(file + ": expected 5 shots (traces grouped by field record number, trace bytes 9-12), but found 6",
        readFails(file).getMessage());
  }

  @Test
  void rejectsShotWithTheWrongNumberOfReceivers() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putInt(traceOffset(69, 1000) + 8, 2)); // the last trace of shot 1 moves to shot 2
    assertEquals(file + ": shot with field record number 1: expected 70 receivers, but found 69",
        readFails(file).getMessage());
  }

  @Test
  void rejectsTraceWhoseSampleCountDiffersFromTheBinaryHeader() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putShort(traceOffset(2, 1000) + 114, (short) 999));
    assertEquals(file + ": trace at index 2, header bytes 115-116 (samples in this trace): expected 1000 "
        + "(binary header bytes 3221-3222), but was 999", readFails(file).getMessage());
  }

  @Test
  void rejectsZeroSamplesPerTrace() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putShort(3220, (short) 0));
    assertEquals(file + ": binary header bytes 3221-3222 (samples per trace) must be at least 1, but was 0",
        readFails(file).getMessage());
  }

  @Test
  void rejectsZeroSampleInterval() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> {
      b.putShort(3216, (short) 0);
      for (int i = 0; i < 350; i++) {
        b.putShort(traceOffset(i, 1000) + 116, (short) 0);
      }
    });
    assertEquals(file + ": binary header bytes 3217-3218 (sample interval) must be at least 1 us, but was 0, "
        + "and the first trace header (bytes 117-118) does not give one either", readFails(file).getMessage());
  }

  @Test
  void takesTheSampleIntervalFromTraceHeadersWhenTheBinaryHeaderHasNone() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putShort(3216, (short) 0));
    assertEquals(1000.0, new SegyReader().readTraces(file).sampleIntervalUs());
  }

  @Test
  void rejectsTraceWhoseSampleIntervalDiffersFromTheBinaryHeader() throws Exception {
    Path file = writeOpenFwi();
    patch(file, b -> b.putShort(traceOffset(4, 1000) + 116, (short) 2000));
    assertEquals(file + ": trace at index 4, header bytes 117-118 (sample interval): expected 1000 us "
        + "(binary header bytes 3217-3218), but was 2000", readFails(file).getMessage());
  }

  @Test
  void rejectsFileThatIsNotAWholeNumberOfTraces() throws Exception {
    Path file = writeOpenFwi();
    Files.write(file, new byte[100], java.nio.file.StandardOpenOption.APPEND);
    assertEquals(file + ": trace data after the 3600-byte headers is 1484100 bytes, expected a whole number of "
        + "4240-byte traces (240-byte header + 1000 samples × 4 bytes), but 100 bytes are left over",
        readFails(file).getMessage());
  }

  @Test
  void rejectsMoreExtendedTextualHeadersThanTheFileHolds() throws Exception {
    Path file = dir.resolve("headers-only.sgy");
    byte[] raw = new byte[3600 + 100];
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw);
    b.putShort(3216, (short) 1000).putShort(3220, (short) 1000).putShort(3224, (short) 5);
    b.putShort(3500, (short) 0x0100).putShort(3504, (short) 2);
    Files.write(file, raw);
    assertEquals(file + ": binary header bytes 3505-3506 declare 2 extended textual headers (6400 bytes), "
        + "but only 100 bytes follow the binary header", readFails(file).getMessage());
  }
}
