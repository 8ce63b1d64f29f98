package fwi.edge.publish;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.jboss.logging.Logger;

/**
 * The {@link Outbox}'s log of removed entries, {@code removed.log}: which ids were acknowledged
 * or dropped, and the running drop count of each stream.
 *
 * <pre>
 * file    = header record*
 * header  = "FWIOBXRM" (8 ASCII bytes) formatVersion (int32 = 1)
 * record  = id (int64) kind (int8) stream (int8, Stream.code) reserved (int16 = 0)
 *           dropTotal (int64) crc32 (int32, CRC-32 of the 20 bytes before it)   -- 24 bytes
 * kind    = 1 acknowledged | 2 dropped | 3 drop total (id 0; written when the log is compacted)
 * </pre>
 *
 * A dropped record carries the stream's drop count including itself, so the count survives
 * restarts as the largest total seen, and compaction (which writes the totals first) cannot count
 * a drop twice. Losing records (a torn tail, a power cut before write-back) is safe: a lost
 * acknowledgement or drop only brings its entry back, to be sent again.
 *
 * <p>Not thread-safe: the owning {@link Outbox} serializes all access.
 */
final class RemovalLog implements Closeable {
  private static final Logger LOG = Logger.getLogger(RemovalLog.class);
  static final String FILE_NAME = "removed.log";
  static final byte[] MAGIC = "FWIOBXRM".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 1;
  static final int HEADER_BYTES = MAGIC.length + 4;
  static final int RECORD_BYTES = 24;
  static final byte ACKED = 1;
  static final byte DROPPED = 2;
  static final byte DROP_TOTAL = 3;

  /** One record. */
  record Removal(long id, byte kind, byte streamCode, long dropTotal) {
  }

  private final Path path;
  private FileChannel channel;
  private long size;
  private final ByteBuffer record = ByteBuffer.allocate(RECORD_BYTES);
  private final CRC32 crc = new CRC32();

  private RemovalLog(Path path, FileChannel channel, long size) {
    this.path = path;
    this.channel = channel;
    this.size = size;
  }

  /**
   * Opens (or creates) the log in {@code dir}, truncating a torn or corrupt tail with a warning.
   *
   * @throws IOException if the log has a format version this agent cannot read, or on I/O errors
   */
  static RemovalLog open(Path dir, List<Removal> out) throws IOException {
    Path path = dir.resolve(FILE_NAME);
    if (Files.exists(path)) {
      byte[] head = new byte[HEADER_BYTES];
      int n;
      try (var in = Files.newInputStream(path)) {
        n = in.readNBytes(head, 0, HEADER_BYTES);
      }
      if (n == HEADER_BYTES && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
        int version = ByteBuffer.wrap(head, MAGIC.length, 4).getInt();
        if (version != FORMAT_VERSION) {
          throw new IOException("outbox removal log " + path + " has format version " + version
              + ", but this agent reads version " + FORMAT_VERSION + " only");
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long good = read(ch, path, out);
        return new RemovalLog(path, ch, good);
      }
      Path aside = path.resolveSibling(FILE_NAME + ".corrupt");
      LOG.warnf("outbox removal log %s has no valid header; moved aside to %s (its entries will be sent again)",
          path, aside.getFileName());
      Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
    }
    writeFresh(path, List.of());
    return new RemovalLog(path, FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE),
        Files.size(path));
  }

  private static long read(FileChannel ch, Path path, List<Removal> out) throws IOException {
    long fileSize = ch.size();
    long pos = HEADER_BYTES;
    ByteBuffer all = ByteBuffer.allocate((int) Math.min(fileSize - HEADER_BYTES, 1 << 20));
    CRC32 crc = new CRC32();
    String torn = null;
    while (pos < fileSize && torn == null) {
      all.clear();
      long want = Math.min(all.capacity(), fileSize - pos);
      all.limit((int) want);
      DurableFiles.readFully(ch, all, pos);
      all.flip();
      while (all.remaining() >= RECORD_BYTES) {
        crc.reset();
        crc.update(all.array(), all.position(), RECORD_BYTES - 4);
        long id = all.getLong();
        byte kind = all.get();
        byte stream = all.get();
        all.getShort();
        long total = all.getLong();
        int expected = all.getInt();
        if ((int) crc.getValue() != expected || kind < ACKED || kind > DROP_TOTAL) {
          torn = "record failing its CRC-32";
          break;
        }
        out.add(new Removal(id, kind, stream, total));
        pos += RECORD_BYTES;
      }
      if (torn == null && all.remaining() > 0 && pos + all.remaining() >= fileSize) {
        torn = "record cut short";
      }
    }
    if (torn != null) {
      LOG.warnf("outbox removal log %s: %s at offset %d; truncated the last %d bytes (those entries will be sent"
          + " again)", path, torn, pos, fileSize - pos);
      ch.truncate(pos);
      ch.force(false);
    }
    return pos;
  }

  private static void writeFresh(Path path, List<Removal> records) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + records.size() * RECORD_BYTES);
    buf.put(MAGIC).putInt(FORMAT_VERSION);
    CRC32 crc = new CRC32();
    for (Removal r : records) {
      put(buf, crc, r.id(), r.kind(), r.streamCode(), r.dropTotal());
    }
    DurableFiles.replace(path, buf.array());
  }

  private static void put(ByteBuffer buf, CRC32 crc, long id, byte kind, byte stream, long total) {
    int start = buf.position();
    buf.putLong(id).put(kind).put(stream).putShort((short) 0).putLong(total);
    crc.reset();
    crc.update(buf.array(), start, RECORD_BYTES - 4);
    buf.putInt((int) crc.getValue());
  }

  /** Records in the log. */
  long records() {
    return (size - HEADER_BYTES) / RECORD_BYTES;
  }

  long sizeBytes() {
    return size;
  }

  /** Appends one record (not forced; see the class comment). */
  void append(long id, byte kind, Stream stream, long dropTotal) throws IOException {
    record.clear();
    put(record, crc, id, kind, stream.code(), dropTotal);
    record.flip();
    DurableFiles.writeFully(channel, record, size);
    size += RECORD_BYTES;
  }

  /** Every record now in the log. */
  List<Removal> readAll() throws IOException {
    List<Removal> out = new ArrayList<>((int) records());
    read(channel, path, out);
    return out;
  }

  /** Replaces the log with {@code records}, atomically. */
  void rewrite(List<Removal> records) throws IOException {
    channel.close();
    writeFresh(path, records);
    channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    size = channel.size();
  }

  void force() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
