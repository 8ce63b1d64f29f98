package fwi.edge.publish;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The device's persistent message counters, in {@code sequences.properties}: the
 * {@code Header.sequence} of each message type (per sender and type: 1 for the first message
 * ever, never reused, see common.proto) and the Birth/Death {@code session_seq}.
 *
 * <p>Sequence numbers are reserved in blocks: the file holds, per counter, the end of the
 * reserved block, and is rewritten (temporary file, fsync, rename, fsync of the directory) only
 * when a block is used up, so a message costs no fsync. After a crash the counter continues at
 * the end of the block: up to {@code blockSize - 1} numbers are skipped (a gap readers see as
 * possibly lost messages), but none is ever reused. {@link #close()} stores the exact next
 * numbers, so a planned restart leaves no gap. The session counter is stored on every increment.
 *
 * <p>Thread-safe.
 */
final class SequenceStore implements AutoCloseable {
  static final String FILE_NAME = "sequences.properties";
  static final int FORMAT_VERSION = 1;
  static final String SESSION = "session";

  private static final class Counter {
    long next;
    long reservedEnd;

    Counter(long value) {
      next = value;
      reservedEnd = value;
    }
  }

  private final Path file;
  private final int blockSize;
  private final Map<String, Counter> counters = new TreeMap<>();
  private long session;
  private boolean closed;

  private SequenceStore(Path file, int blockSize) {
    this.file = file;
    this.blockSize = blockSize;
  }

  /**
   * Opens the counters stored in {@code dir} (all fresh if there is no file yet).
   *
   * @throws IOException if the file cannot be read or holds a value that is not a valid counter;
   *     the agent must not start then, or it could reuse numbers
   */
  static SequenceStore open(Path dir, int blockSize) throws IOException {
    if (blockSize < 1) {
      throw new IllegalArgumentException("sequence block size must be at least 1, but was " + blockSize);
    }
    Files.createDirectories(dir);
    SequenceStore store = new SequenceStore(dir.resolve(FILE_NAME), blockSize);
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(store.file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      return store;
    }
    String format = p.getProperty("format");
    if (!String.valueOf(FORMAT_VERSION).equals(format)) {
      throw new IOException(store.file + ": format must be " + FORMAT_VERSION + ", but was '" + format + "'");
    }
    for (String key : p.stringPropertyNames()) {
      if (key.equals("format")) {
        continue;
      }
      long value = parse(store.file, key, p.getProperty(key));
      if (key.equals(SESSION)) {
        store.session = value;
      } else if (key.startsWith("next.")) {
        if (value < 1) {
          throw new IOException(store.file + ": " + key + " must be at least 1, but was " + value);
        }
        store.counters.put(key.substring("next.".length()), new Counter(value));
      }
    }
    return store;
  }

  private static long parse(Path file, String key, String value) throws IOException {
    try {
      long v = Long.parseLong(value.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IOException(file + ": " + key + " must be a non-negative integer, but was '" + value + "'");
    }
  }

  /**
   * The number the next message of {@code type} will carry, reserved on disk but not used up
   * until {@link #commit}: a caller that fails to send the message leaves no gap.
   *
   * @throws UncheckedIOException if a new block cannot be stored
   */
  synchronized long peek(String type) {
    ensureOpen();
    Counter c = counters.computeIfAbsent(type, t -> new Counter(1));
    if (c.next >= c.reservedEnd) {
      long previous = c.reservedEnd;
      c.reservedEnd = c.next + blockSize;
      try {
        store(false);
      } catch (IOException e) {
        c.reservedEnd = previous;
        throw new UncheckedIOException(file + ": cannot reserve sequence numbers for " + type, e);
      }
    }
    return c.next;
  }

  /** Uses up {@code sequence}, which must be the number {@link #peek} returned last for {@code type}. */
  synchronized void commit(String type, long sequence) {
    Counter c = counters.get(type);
    if (c == null || c.next != sequence || sequence >= c.reservedEnd) {
      throw new IllegalStateException("sequence " + sequence + " of " + type + " was not reserved by peek");
    }
    c.next++;
  }

  /** Reserves and uses up the next number of {@code type}. */
  synchronized long next(String type) {
    long n = peek(type);
    commit(type, n);
    return n;
  }

  /**
   * Increments the session counter and stores it before returning, so every connect gets a new
   * {@code session_seq}: 1 for the first connect ever.
   *
   * @throws UncheckedIOException if it cannot be stored
   */
  synchronized long nextSession() {
    ensureOpen();
    session++;
    try {
      store(false);
    } catch (IOException e) {
      session--;
      throw new UncheckedIOException(file + ": cannot store the session counter", e);
    }
    return session;
  }

  /** The last session counter handed out, 0 if none. */
  synchronized long session() {
    return session;
  }

  private void store(boolean exact) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("# Message counters of the fwi edge agent (fwi.edge.publish.SequenceStore). Do not edit:\n")
        .append("# next.<type> is the next Header.sequence not yet reserved, session the last session_seq.\n")
        .append("format=").append(FORMAT_VERSION).append('\n')
        .append(SESSION).append('=').append(session).append('\n');
    for (Map.Entry<String, Counter> e : counters.entrySet()) {
      long value = exact ? e.getValue().next : e.getValue().reservedEnd;
      sb.append("next.").append(e.getKey()).append('=').append(value).append('\n');
    }
    DurableFiles.replace(file, sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(file + " is closed");
    }
  }

  /** Stores the exact next numbers (no gap on the next start). Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    store(true);
  }
}
