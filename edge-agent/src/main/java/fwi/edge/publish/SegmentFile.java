package fwi.edge.publish;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.jboss.logging.Logger;

/**
 * One append-only segment of the {@link Outbox}: {@code segment-<first id, 20 digits>.log}.
 *
 * <pre>
 * file   = header record*
 * header = "FWIOUTBX" (8 ASCII bytes) formatVersion (int32 = 2) marks (int16 n)
 *          n * { stream (int8, Stream.code) highWater (int64) }
 * record = bodyLength (int32) crc32 (int32, CRC-32 of body) body
 * body   = id (int64, global enqueue order) stream (int8, Stream.code) sequence (int64) payload
 * </pre>
 *
 * All integers big-endian. The header's marks are the highest sequence of each stream appended to
 * the outbox before this segment was created: with the records of the newest segment (which is
 * never deleted) they give the outbox's exact high-water marks even after older segments are gone.
 * Format version 1 (the same without the marks) is still read, as a segment with no marks. Records hold strictly increasing ids, all at or above the first id in
 * the file name. A record cut short or failing its CRC ends the segment: it and everything after
 * it are truncated on open (a crash mid-append tears only the tail; anything else is damage that
 * truncation at least contains).
 *
 * <p>Not thread-safe: the owning {@link Outbox} serializes all access.
 */
final class SegmentFile implements Closeable {
  private static final Logger LOG = Logger.getLogger(SegmentFile.class);
  static final byte[] MAGIC = "FWIOUTBX".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 2;
  /** Magic and format version: the part of the header every version has. */
  static final int HEADER_BYTES = MAGIC.length + 4;
  private static final int MARK_BYTES = 1 + 8;
  /** Stream codes are 1 to 127, so a header holds at most 127 marks. */
  private static final int MAX_MARKS = 127;
  /** bodyLength + crc32 + id + stream + sequence. */
  static final int RECORD_OVERHEAD_BYTES = 4 + 4 + 8 + 1 + 8;
  static final int BODY_OVERHEAD_BYTES = 8 + 1 + 8;
  /** Largest payload a record may hold: MQTT's largest packet, 256 MiB. */
  static final int MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
  private static final Pattern NAME = Pattern.compile("segment-(\\d{20})\\.log");

  /** A record found by {@link #open}. */
  record Scanned(long id, byte streamCode, long sequence, long offset, int recordBytes) {
  }

  /** Where a record lies in the file. */
  record Slice(long offset, int recordBytes) {
  }

  final Path path;
  final long firstId;
  /** High-water marks of the header: stream code to highest sequence appended before this segment. */
  final Map<Byte, Long> marks;
  /** Bytes of the header, where the first record starts. */
  final int headerBytes;
  private FileChannel channel;
  /** Bytes in the file, header included. */
  long size;
  /** Records physically in the file. */
  int records;
  /** Largest id ever written to the file (firstId - 1 if none); compaction does not lower it. */
  long lastId;
  /** Records not yet acknowledged or dropped, and their bytes; kept by the Outbox. */
  int liveCount;
  long liveBytes;

  private SegmentFile(Path path, long firstId, Map<Byte, Long> marks, FileChannel channel, long size) {
    this.path = path;
    this.firstId = firstId;
    this.marks = Map.copyOf(marks);
    this.headerBytes = headerBytes(marks.size());
    this.channel = channel;
    this.size = size;
    this.lastId = firstId - 1;
  }

  static String fileName(long firstId) {
    return String.format("segment-%020d.log", firstId);
  }

  /** The first id encoded in a segment file name, if {@code fileName} is one. */
  static OptionalLong firstIdOf(String fileName) {
    Matcher m = NAME.matcher(fileName);
    return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  private static int headerBytes(int marks) {
    return HEADER_BYTES + 2 + marks * MARK_BYTES;
  }

  /**
   * Creates an empty segment; with {@code durable} the file and its directory entry are forced.
   *
   * @param marks highest sequence per stream code appended to the outbox so far
   */
  static SegmentFile create(Path dir, long firstId, Map<Byte, Long> marks, boolean durable) throws IOException {
    Path path = dir.resolve(fileName(firstId));
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      DurableFiles.writeFully(ch, header(marks), 0);
      if (durable) {
        ch.force(false);
        DurableFiles.syncDirectory(dir);
      }
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new SegmentFile(path, firstId, marks, ch, headerBytes(marks.size()));
  }

  private static ByteBuffer header(Map<Byte, Long> marks) {
    ByteBuffer b = ByteBuffer.allocate(headerBytes(marks.size()));
    b.put(MAGIC).putInt(FORMAT_VERSION).putShort((short) marks.size());
    new TreeMap<>(marks).forEach((code, highWater) -> b.put(code).putLong(highWater));
    return b.flip();
  }

  /**
   * Opens an existing segment and reports its intact records to {@code sink} in file order,
   * truncating a torn or corrupt tail with a warning.
   *
   * @return the segment, or empty if the file is not a segment at all (bad magic); it is then
   *     renamed to {@code *.corrupt} and left for a human
   * @throws IOException if the segment has a format version this agent cannot read, or on I/O errors
   */
  static Optional<SegmentFile> open(Path path, long firstId, java.util.function.Consumer<Scanned> sink)
      throws IOException {
    long fileSize = Files.size(path);
    byte[] head = new byte[(int) Math.min(fileSize, headerBytes(MAX_MARKS))];
    int headBytes;
    try (InputStream in = Files.newInputStream(path)) {
      headBytes = in.readNBytes(head, 0, head.length);
    }
    boolean magic = Arrays.equals(head, 0, Math.min(headBytes, MAGIC.length), MAGIC, 0,
        Math.min(headBytes, MAGIC.length));
    int version = headBytes >= HEADER_BYTES ? ByteBuffer.wrap(head, MAGIC.length, 4).getInt() : -1;
    int marksCount = version == 2 && headBytes >= HEADER_BYTES + 2
        ? Short.toUnsignedInt(ByteBuffer.wrap(head, HEADER_BYTES, 2).getShort()) : -1;
    boolean cutShort = headBytes < HEADER_BYTES || (version == 2 && (marksCount < 0
        || marksCount <= MAX_MARKS && headBytes < headerBytes(marksCount)));
    if (magic && cutShort) {
      // Created, then the crash came before its header was complete: an empty segment. The marks it
      // was to carry are in the segment before it, which is deleted only after this one is complete.
      LOG.warnf("outbox segment %s: header cut short (%d bytes); rewritten as an empty segment", path, headBytes);
      FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      ch.truncate(0);
      DurableFiles.writeFully(ch, header(Map.of()), 0);
      ch.force(false);
      return Optional.of(new SegmentFile(path, firstId, Map.of(), ch, headerBytes(0)));
    }
    if (!magic) {
      Path aside = path.resolveSibling(path.getFileName() + ".corrupt");
      LOG.warnf("outbox segment %s does not start with %s; moved aside to %s and skipped", path,
          new String(MAGIC, StandardCharsets.US_ASCII), aside.getFileName());
      Files.move(path, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return Optional.empty();
    }
    if (version != 1 && version != FORMAT_VERSION) {
      throw new IOException("outbox segment " + path + " has format version " + version
          + ", but this agent reads versions 1 and " + FORMAT_VERSION + " only");
    }
    if (marksCount > MAX_MARKS) {
      throw new IOException("outbox segment " + path + " has " + marksCount + " high-water marks in its header, but a"
          + " header holds at most " + MAX_MARKS);
    }
    Map<Byte, Long> marks = new TreeMap<>();
    int headerLength = HEADER_BYTES;
    if (version == 2) {
      ByteBuffer m = ByteBuffer.wrap(head, HEADER_BYTES + 2, marksCount * MARK_BYTES);
      for (int i = 0; i < marksCount; i++) {
        marks.merge(m.get(), m.getLong(), Math::max);
      }
      headerLength = headerBytes(marksCount);
    }

    long pos = headerLength;
    long lastId = firstId - 1;
    int count = 0;
    String torn = null;
    CRC32 crc = new CRC32();
    byte[] body = new byte[4096];
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16))) {
      in.skipNBytes(headerLength);
      while (pos < fileSize) {
        if (fileSize - pos < 8) {
          torn = "record header cut short";
          break;
        }
        int bodyLength = in.readInt();
        int expectedCrc = in.readInt();
        if (bodyLength < BODY_OVERHEAD_BYTES || bodyLength - BODY_OVERHEAD_BYTES > MAX_PAYLOAD_BYTES) {
          torn = "implausible record length " + bodyLength;
          break;
        }
        if (fileSize - pos - 8 < bodyLength) {
          torn = "record of " + bodyLength + " bytes cut short at " + (fileSize - pos - 8);
          break;
        }
        if (body.length < bodyLength) {
          body = new byte[Math.max(bodyLength, body.length * 2)];
        }
        in.readFully(body, 0, bodyLength);
        crc.reset();
        crc.update(body, 0, bodyLength);
        if ((int) crc.getValue() != expectedCrc) {
          torn = "CRC-32 mismatch";
          break;
        }
        ByteBuffer b = ByteBuffer.wrap(body, 0, bodyLength);
        long id = b.getLong();
        byte stream = b.get();
        long sequence = b.getLong();
        if (id <= lastId) {
          torn = "record id " + id + " not above " + lastId;
          break;
        }
        sink.accept(new Scanned(id, stream, sequence, pos, 8 + bodyLength));
        lastId = id;
        count++;
        pos += 8 + bodyLength;
      }
    } catch (EOFException e) {
      torn = "file shrank while reading";
    }
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (torn != null) {
      LOG.warnf("outbox segment %s: %s at offset %d; truncated the last %d bytes (an append cut short by a crash"
          + " or a damaged file)", path, torn, pos, fileSize - pos);
      ch.truncate(pos);
      ch.force(false);
    }
    SegmentFile segment = new SegmentFile(path, firstId, marks, ch, pos);
    segment.records = count;
    segment.lastId = lastId;
    return Optional.of(segment);
  }

  /**
   * Appends one record at the end; on failure the segment is cut back to its previous end so a
   * half-written record never stays behind a later one.
   *
   * @return the offset of the record
   */
  long append(long id, Stream stream, long sequence, byte[] payload) throws IOException {
    int bodyLength = BODY_OVERHEAD_BYTES + payload.length;
    ByteBuffer buf = ByteBuffer.allocate(8 + bodyLength);
    buf.putInt(bodyLength).putInt(0).putLong(id).put(stream.code()).putLong(sequence).put(payload);
    CRC32 crc = new CRC32();
    crc.update(buf.array(), 8, bodyLength);
    buf.putInt(4, (int) crc.getValue()).flip();
    long offset = size;
    try {
      DurableFiles.writeFully(channel, buf, offset);
    } catch (IOException e) {
      try {
        channel.truncate(offset);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    size = offset + buf.limit();
    records++;
    lastId = id;
    return offset;
  }

  /** The payload of the record of {@code recordBytes} bytes at {@code offset}. */
  byte[] readPayload(long offset, int recordBytes) throws IOException {
    byte[] payload = new byte[recordBytes - RECORD_OVERHEAD_BYTES];
    DurableFiles.readFully(channel, ByteBuffer.wrap(payload), offset + RECORD_OVERHEAD_BYTES);
    return payload;
  }

  void force() throws IOException {
    channel.force(false);
  }

  /**
   * Rewrites the segment with only the records {@code keep} (in id order), atomically: a crash
   * leaves the old or the new file.
   *
   * @return the new offset of each kept record
   */
  long[] rewrite(List<Slice> keep) throws IOException {
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    long[] newOffsets = new long[keep.size()];
    long pos = headerBytes;
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      DurableFiles.writeFully(out, header(marks), 0);
      for (int i = 0; i < keep.size(); i++) {
        int bytes = keep.get(i).recordBytes();
        ByteBuffer record = ByteBuffer.allocate(bytes);
        DurableFiles.readFully(channel, record, keep.get(i).offset());
        record.flip();
        DurableFiles.writeFully(out, record, pos);
        newOffsets[i] = pos;
        pos += bytes;
      }
      out.force(false);
    }
    channel.close();
    DurableFiles.moveOver(tmp, path);
    channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    size = pos;
    records = keep.size();
    return newOffsets;
  }

  /** Closes and deletes the file. */
  void delete() throws IOException {
    channel.close();
    Files.deleteIfExists(path);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
