package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxTest {
  @TempDir
  Path dir;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] payload(int size, int fill) {
    byte[] b = new byte[size];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  private static List<Outbox.Entry> drain(Outbox outbox) {
    List<Outbox.Entry> out = new ArrayList<>();
    for (Optional<Outbox.Entry> e = outbox.next(); e.isPresent(); e = outbox.next()) {
      out.add(e.get());
    }
    return out;
  }

  private static List<String> labels(List<Outbox.Entry> entries) {
    return entries.stream().map(e -> e.stream() + "#" + e.sequence()).collect(Collectors.toList());
  }

  private Outbox open(long maxBytes) throws IOException {
    return Outbox.open(dir, maxBytes, FsyncPolicy.never());
  }

  private List<Path> segmentFiles() throws IOException {
    try (var l = Files.list(dir)) {
      return l.filter(p -> p.getFileName().toString().matches("segment-\\d{20}\\.log")).sorted()
          .collect(Collectors.toList());
    }
  }

  @Test
  void handsOutEntriesInEnqueueOrderAcrossAndWithinStreams() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      outbox.append(Stream.TELEMETRY, 1, bytes("t1"));
      outbox.append(Stream.RESULT, 1, bytes("r1"));
      outbox.append(Stream.TELEMETRY, 2, bytes("t2"));
      outbox.append(Stream.OTA_STATUS, 1, bytes("s1"));
      outbox.append(Stream.RESULT, 2, bytes("r2"));

      List<Outbox.Entry> entries = drain(outbox);

      assertEquals(List.of("TELEMETRY#1", "RESULT#1", "TELEMETRY#2", "OTA_STATUS#1", "RESULT#2"), labels(entries));
      assertEquals("r2", new String(entries.get(4).payload(), StandardCharsets.UTF_8));
      assertEquals(5, outbox.size());
      assertEquals(Optional.empty(), outbox.next());
    }
  }

  @Test
  void reopenHandsOutUnackedEntriesAgainButNotAckedOnes() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      for (int i = 1; i <= 5; i++) {
        outbox.append(Stream.TELEMETRY, i, bytes("t" + i));
      }
      List<Outbox.Entry> handed = List.of(outbox.next().get(), outbox.next().get(), outbox.next().get());
      assertTrue(outbox.ack(handed.get(2).id()), "out of order acknowledgement");
      assertTrue(outbox.ack(handed.get(0).id()));
      assertFalse(outbox.ack(handed.get(0).id()), "second acknowledgement of the same entry");
    }
    try (Outbox outbox = open(1 << 20)) {
      assertEquals(List.of("TELEMETRY#2", "TELEMETRY#4", "TELEMETRY#5"), labels(drain(outbox)));
      assertEquals(3, outbox.size());
    }
  }

  @Test
  void rewindHandsOutUnackedEntriesAgainFromTheOldest() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      for (int i = 1; i <= 4; i++) {
        outbox.append(Stream.RESULT, i, bytes("r" + i));
      }
      outbox.ack(outbox.next().get().id());
      outbox.next();
      outbox.next();

      outbox.rewind();

      assertEquals(List.of("RESULT#2", "RESULT#3", "RESULT#4"), labels(drain(outbox)));
    }
  }

  @Test
  void tornTailWriteIsTruncatedOnOpenAndLaterAppendsSurvive() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      for (int i = 1; i <= 3; i++) {
        outbox.append(Stream.TELEMETRY, i, payload(100, i));
      }
    }
    Path segment = segmentFiles().get(0);
    long full = Files.size(segment);
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      f.setLength(full - 7); // the crash came in the middle of the third record
    }

    try (Outbox outbox = open(1 << 20)) {
      assertEquals(List.of("TELEMETRY#1", "TELEMETRY#2"), labels(drain(outbox)));
      assertEquals(full - 125, Files.size(segment), "torn record cut off");
      outbox.append(Stream.TELEMETRY, 4, payload(100, 4));
    }
    try (Outbox outbox = open(1 << 20)) {
      List<Outbox.Entry> entries = drain(outbox);
      assertEquals(List.of("TELEMETRY#1", "TELEMETRY#2", "TELEMETRY#4"), labels(entries));
      assertArrayEquals(payload(100, 4), entries.get(2).payload());
    }
  }

  @Test
  void recordFailingItsCrcIsTruncatedWithEverythingAfterIt() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      for (int i = 1; i <= 3; i++) {
        outbox.append(Stream.RESULT, i, payload(100, i));
      }
    }
    Path segment = segmentFiles().get(0);
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      long lastByte = Files.size(segment) - 1;
      f.seek(lastByte);
      int b = f.read();
      f.seek(lastByte);
      f.write(b ^ 0xff); // a bit flip in the last payload
    }

    try (Outbox outbox = open(1 << 20)) {
      assertEquals(List.of("RESULT#1", "RESULT#2"), labels(drain(outbox)));
    }
  }

  @Test
  void tornRemovalLogOnlyBringsAcknowledgedEntriesBack() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      for (int i = 1; i <= 3; i++) {
        outbox.append(Stream.TELEMETRY, i, bytes("t" + i));
      }
      outbox.ack(outbox.next().get().id());
      outbox.ack(outbox.next().get().id());
    }
    Path log = dir.resolve(RemovalLog.FILE_NAME);
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(Files.size(log) - 3); // the second acknowledgement cut short
    }

    try (Outbox outbox = open(1 << 20)) {
      assertEquals(List.of("TELEMETRY#2", "TELEMETRY#3"), labels(drain(outbox)));
    }
  }

  @Test
  void fullOutboxDropsOldestResultsFirstThenTelemetryAndOtaStatusLast() throws IOException {
    int record = 200 + SegmentFile.RECORD_OVERHEAD_BYTES;
    long maxBytes = 6L * record; // room for six entries
    try (Outbox outbox = open(maxBytes)) {
      outbox.append(Stream.OTA_STATUS, 1, payload(200, 1));
      outbox.append(Stream.TELEMETRY, 1, payload(200, 2));
      outbox.append(Stream.RESULT, 1, payload(200, 3));
      outbox.append(Stream.TELEMETRY, 2, payload(200, 4));
      outbox.append(Stream.RESULT, 2, payload(200, 5));
      outbox.append(Stream.OTA_STATUS, 2, payload(200, 6));

      outbox.append(Stream.TELEMETRY, 3, payload(200, 7)); // drops RESULT#1
      outbox.append(Stream.TELEMETRY, 4, payload(200, 8)); // drops RESULT#2
      outbox.append(Stream.RESULT, 3, payload(200, 9)); // no result left before it: drops TELEMETRY#1

      assertEquals(List.of("OTA_STATUS#1", "TELEMETRY#2", "OTA_STATUS#2", "TELEMETRY#3", "TELEMETRY#4", "RESULT#3"),
          labels(drain(outbox)));
      assertEquals(2, outbox.droppedCount(Stream.RESULT));
      assertEquals(1, outbox.droppedCount(Stream.TELEMETRY));
      assertEquals(0, outbox.droppedCount(Stream.OTA_STATUS));
      assertEquals(3, outbox.droppedCount());
      assertEquals(maxBytes, outbox.bytes());
    }
    try (Outbox outbox = open(maxBytes)) {
      assertEquals(2, outbox.droppedCount(Stream.RESULT), "drop counts survive a restart");
      assertEquals(1, outbox.droppedCount(Stream.TELEMETRY));
      assertEquals(List.of("OTA_STATUS#1", "TELEMETRY#2", "OTA_STATUS#2", "TELEMETRY#3", "TELEMETRY#4", "RESULT#3"),
          labels(drain(outbox)));

      // Only OTA status left to drop once results and telemetry are gone.
      for (int i = 0; i < 6; i++) {
        outbox.append(Stream.OTA_STATUS, 10 + i, payload(200, 10 + i));
      }
      assertEquals(List.of("OTA_STATUS#10", "OTA_STATUS#11", "OTA_STATUS#12", "OTA_STATUS#13", "OTA_STATUS#14",
          "OTA_STATUS#15"), labels(drainAfterRewind(outbox)));
      assertEquals(3, outbox.droppedCount(Stream.RESULT));
      assertEquals(4, outbox.droppedCount(Stream.TELEMETRY));
      assertEquals(2, outbox.droppedCount(Stream.OTA_STATUS));
    }
  }

  private static List<Outbox.Entry> drainAfterRewind(Outbox outbox) {
    outbox.rewind();
    return drain(outbox);
  }

  @Test
  void entryLargerThanTheBoundIsRefusedNamingSizeAndBound() throws IOException {
    try (Outbox outbox = open(1024)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> outbox.append(Stream.RESULT, 1, new byte[1000]));
      assertEquals("outbox entry of 1025 bytes (1000 payload + 25 record header) exceeds the outbox bound of 1024 bytes",
          e.getMessage());
      assertEquals(0, outbox.size());
      assertEquals(0, outbox.droppedCount(), "nothing dropped for an entry that cannot fit anyway");
    }
  }

  @Test
  void segmentsRollOverAndAreDeletedOnceEveryEntryIsAcknowledged() throws IOException {
    try (Outbox outbox = Outbox.open(dir, 1 << 20, 2048, FsyncPolicy.never())) {
      for (int i = 1; i <= 100; i++) {
        outbox.append(Stream.TELEMETRY, i, payload(200, i));
      }
      assertTrue(segmentFiles().size() >= 10, "segments: " + segmentFiles());
      for (Outbox.Entry e : drain(outbox)) {
        outbox.ack(e.id());
      }
      assertEquals(1, segmentFiles().size(), "only the segment taking appends remains");
      assertEquals(0, outbox.size());
      outbox.append(Stream.TELEMETRY, 101, payload(200, 101));
    }
    try (Outbox outbox = Outbox.open(dir, 1 << 20, 2048, FsyncPolicy.never())) {
      assertEquals(List.of("TELEMETRY#101"), labels(drain(outbox)));
    }
  }

  @Test
  void dropsCompactFragmentedSegmentsSoDiskUseStaysBounded() throws IOException {
    long maxBytes = 64 * 1024;
    long segmentBytes = 8 * 1024;
    List<String> kept;
    try (Outbox outbox = Outbox.open(dir, maxBytes, segmentBytes, FsyncPolicy.never())) {
      // Hours offline: results overflow the outbox while a little telemetry pins every segment.
      for (int i = 1; i <= 2000; i++) {
        outbox.append(Stream.RESULT, i, payload(1000, i));
        if (i % 10 == 0) {
          outbox.append(Stream.TELEMETRY, i / 10, payload(50, i));
        }
        assertTrue(outbox.bytes() <= maxBytes);
        long segmentsOnDisk = outbox.diskBytes() - Files.size(dir.resolve(RemovalLog.FILE_NAME));
        assertTrue(segmentsOnDisk <= maxBytes + 2 * segmentBytes + 1100, "segment bytes " + segmentsOnDisk);
      }
      assertTrue(outbox.droppedCount(Stream.RESULT) > 1900);
      assertEquals(0, outbox.droppedCount(Stream.TELEMETRY), "telemetry is kept while results can be dropped");
      kept = labels(drain(outbox));
      assertEquals(200, kept.stream().filter(l -> l.startsWith("TELEMETRY")).count());
    }
    try (Outbox outbox = Outbox.open(dir, maxBytes, segmentBytes, FsyncPolicy.never())) {
      assertEquals(kept, labels(drain(outbox)), "compacted segments reopen with the same entries");
    }
  }

  @Test
  void removalLogIsCompactedAsItGrows() throws IOException {
    try (Outbox outbox = Outbox.open(dir, 1 << 20, 64 * 1024, FsyncPolicy.never())) {
      for (int i = 1; i <= 60_000; i++) {
        outbox.append(Stream.TELEMETRY, i, payload(10, i));
        outbox.ack(outbox.next().get().id());
      }
      long logBytes = Files.size(dir.resolve(RemovalLog.FILE_NAME));
      assertTrue(logBytes < 60_000L * RemovalLog.RECORD_BYTES / 2, "removal log bytes " + logBytes);
      outbox.append(Stream.TELEMETRY, 60_001, payload(10, 1));
    }
    try (Outbox outbox = Outbox.open(dir, 1 << 20, 64 * 1024, FsyncPolicy.never())) {
      assertEquals(List.of("TELEMETRY#60001"), labels(drain(outbox)));
    }
  }

  @Test
  void concurrentAppendersKeepEachStreamsOrder() throws Exception {
    int perStream = 2000;
    List<Stream> streams = List.of(Stream.TELEMETRY, Stream.RESULT, Stream.OTA_STATUS);
    try (Outbox outbox = Outbox.open(dir, 64 << 20, FsyncPolicy.never())) {
      ExecutorService pool = Executors.newFixedThreadPool(streams.size());
      List<Future<?>> done = new ArrayList<>();
      for (Stream s : streams) {
        done.add(pool.submit(() -> {
          for (int i = 1; i <= perStream; i++) {
            outbox.append(s, i, payload(64, i));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();

      EnumMap<Stream, Long> last = new EnumMap<>(Stream.class);
      long lastId = 0;
      for (Outbox.Entry e : drain(outbox)) {
        assertTrue(e.id() > lastId);
        lastId = e.id();
        assertEquals(last.getOrDefault(e.stream(), 0L) + 1, e.sequence(), "order of " + e.stream());
        last.put(e.stream(), e.sequence());
      }
      for (Stream s : streams) {
        assertEquals(perStream, last.get(s));
      }
    }
  }

  @Test
  void segmentOfUnknownFormatVersionIsRefusedByName() throws IOException {
    try (Outbox outbox = open(1 << 20)) {
      outbox.append(Stream.TELEMETRY, 1, bytes("t1"));
    }
    Path segment = segmentFiles().get(0);
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      f.seek(SegmentFile.MAGIC.length);
      f.writeInt(3);
    }
    IOException e = assertThrows(IOException.class, () -> open(1 << 20));
    assertEquals("outbox segment " + segment + " has format version 3, but this agent reads versions 1 and 2 only",
        e.getMessage());
  }

  @Test
  void readsAFormatOneSegmentWithoutHighWaterMarks() throws IOException {
    byte[] body = java.nio.ByteBuffer.allocate(8 + 1 + 8 + 2).putLong(7).put(Stream.RESULT.code()).putLong(42)
        .put(bytes("r4")).array();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(body);
    byte[] file = java.nio.ByteBuffer.allocate(SegmentFile.HEADER_BYTES + 8 + body.length).put(SegmentFile.MAGIC)
        .putInt(1).putInt(body.length).putInt((int) crc.getValue()).put(body).array();
    Files.write(dir.resolve(SegmentFile.fileName(7)), file);

    try (Outbox outbox = open(1 << 20)) {
      assertEquals(List.of("RESULT#42"), labels(drain(outbox)));
      assertEquals(42, outbox.highestSequence(Stream.RESULT));
      outbox.append(Stream.RESULT, 43, bytes("r5"));
    }
    try (Outbox outbox = open(1 << 20)) {
      assertEquals(List.of("RESULT#42", "RESULT#43"), labels(drain(outbox)));
    }
  }

  @Test
  void highestSequenceOfEachStreamSurvivesAcknowledgementSegmentDeletionAndRestart() throws IOException {
    try (Outbox outbox = Outbox.open(dir, 1 << 20, 2048, FsyncPolicy.never())) {
      assertEquals(0, outbox.highestSequence(Stream.RESULT));
      for (int i = 1; i <= 60; i++) {
        outbox.append(Stream.RESULT, i, payload(200, i));
      }
      outbox.append(Stream.OTA_STATUS, 5, payload(200, 0));
      for (int i = 61; i <= 100; i++) {
        outbox.append(Stream.TELEMETRY, i, payload(200, i));
      }
      for (Outbox.Entry e : drain(outbox)) {
        outbox.ack(e.id());
      }
      assertEquals(1, segmentFiles().size(), "every segment holding a result or the OTA status is gone");
      assertEquals(60, outbox.highestSequence(Stream.RESULT));
    }
    // Reopened as after a crash: the marks come from the remaining segment's header and records.
    try (Outbox outbox = Outbox.open(dir, 1 << 20, 2048, FsyncPolicy.never())) {
      assertEquals(60, outbox.highestSequence(Stream.RESULT));
      assertEquals(5, outbox.highestSequence(Stream.OTA_STATUS));
      assertEquals(100, outbox.highestSequence(Stream.TELEMETRY));
      assertEquals(0, outbox.highestSequence(Stream.OTA_GET));
    }
  }

  @Test
  void secondOutboxOnTheSameDirectoryIsRefusedUntilTheFirstCloses() throws IOException {
    try (Outbox first = open(1 << 20)) {
      IOException e = assertThrows(IOException.class, () -> open(1 << 20));
      assertEquals("outbox " + dir + " is in use by another outbox (this or another process)", e.getMessage());
    }
    open(1 << 20).close();
  }

  @Test
  void boundBelowOneKibibyteIsRefusedNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(100));
    assertEquals("outbox max bytes must be at least 1024, but was 100", e.getMessage());
  }
}
