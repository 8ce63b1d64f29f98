package fwi.edge.publish;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The device's persistent message counters, in {@code sequences.properties}: the
 * {@code Header.sequence} of each message type (per sender and type: 1 for the first message
 * ever, never reused, see common.proto), the Birth/Death {@code session_seq}, and the ranges of
 * numbers skipped by unclean stops.
 *
 * <p>Sequence numbers are reserved in blocks: the file holds, per counter, the first number of the
 * reserved block ({@code from.<type>}) and the end of the block ({@code next.<type>}), and is
 * rewritten (temporary file, fsync, rename, fsync of the directory) only when a block is used up,
 * so a message costs no fsync. {@link #close()} stores the exact next numbers and marks the file
 * {@code clean=1}; every open marks it {@code clean=0} until then. A crash leaves the block's end on
 * disk and the counter continues there: numbers are never reused, but the unused rest of the block
 * is skipped.
 *
 * <h2>Exact skips</h2>
 * Which numbers of the block were used is not in this file (that would cost an fsync per message).
 * For a message type whose numbers are used up only once the message is durable elsewhere (the
 * {@link Outbox} append), the opener passes that place's high-water mark: after an unclean stop the
 * skip of the type is exactly {@code [max(from, highWater + 1), next - 1]}. Such skips are stored
 * here ({@code skipped.<type>=first-last ...}, the {@value #SKIPS_KEPT} most recent per type) until
 * they scroll out, so the agent can announce them again in every Birth. Types without a high-water
 * mark (sent unbuffered: ota/get, birth, death) skip silently.
 *
 * <p>A format 1 file (written before skips were tracked) is read as if cleanly closed: its next
 * numbers are used, and nothing is announced for it.
 *
 * <p>Thread-safe.
 */
final class SequenceStore implements AutoCloseable {
  static final String FILE_NAME = "sequences.properties";
  static final int FORMAT_VERSION = 2;
  static final String SESSION = "session";
  /** Skipped ranges kept (and announced) per message type; older ones are forgotten. */
  static final int SKIPS_KEPT = 16;

  /**
   * Numbers {@code first..last} (inclusive) of message type {@code type} that will never be sent.
   *
   * @param type the counter's name, the topic suffix of the type (e.g. {@code result})
   */
  record Skip(String type, long first, long last) {
    Skip {
      if (type == null || type.isEmpty()) {
        throw new IllegalArgumentException("skip type must be set, but was '" + type + "'");
      }
      if (first < 1 || last < first) {
        throw new IllegalArgumentException("skip of " + type + " must satisfy 1 <= first <= last, but was " + first
            + "-" + last);
      }
    }

    @Override
    public String toString() {
      return type + " " + first + ".." + last;
    }
  }

  private static final class Counter {
    long next;
    long reservedEnd;
    /** First number of the reserved block: every number below it was used or is a recorded skip. */
    long from;

    Counter(long value) {
      next = value;
      reservedEnd = value;
      from = value;
    }
  }

  private final Path file;
  private final int blockSize;
  private final Map<String, Counter> counters = new TreeMap<>();
  private final Map<String, Deque<Skip>> skips = new TreeMap<>();
  private final List<Skip> skippedAtOpen = new ArrayList<>();
  private long session;
  private boolean closed;

  private SequenceStore(Path file, int blockSize) {
    this.file = file;
    this.blockSize = blockSize;
  }

  /** Opens the counters stored in {@code dir} announcing no skips; see {@link #open(Path, int, Map)}. */
  static SequenceStore open(Path dir, int blockSize) throws IOException {
    return open(dir, blockSize, Map.of());
  }

  /**
   * Opens the counters stored in {@code dir} (all fresh if there is no file yet). If the last run
   * did not close them, records for each type in {@code durableHighWater} the numbers of its
   * reserved block above the high-water mark as a {@link Skip}.
   *
   * @param durableHighWater per message type whose numbers are used up only once durable: the
   *     highest number made durable (0 if none)
   * @throws IOException if the file cannot be read or written, or holds a value that is not a valid
   *     counter; the agent must not start then, or it could reuse numbers
   */
  static SequenceStore open(Path dir, int blockSize, Map<String, Long> durableHighWater) throws IOException {
    if (blockSize < 1) {
      throw new IllegalArgumentException("sequence block size must be at least 1, but was " + blockSize);
    }
    Files.createDirectories(dir);
    SequenceStore store = new SequenceStore(dir.resolve(FILE_NAME), blockSize);
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(store.file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      store.store(false);
      return store;
    }
    String format = p.getProperty("format");
    boolean clean;
    if ("1".equals(format)) {
      clean = true;
    } else if (String.valueOf(FORMAT_VERSION).equals(format)) {
      clean = "1".equals(p.getProperty("clean"));
    } else {
      throw new IOException(store.file + ": format must be 1 or " + FORMAT_VERSION + ", but was '" + format + "'");
    }
    Map<String, Long> from = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.equals("format") || key.equals("clean")) {
        continue;
      }
      if (key.startsWith("skipped.")) {
        store.skips.put(key.substring("skipped.".length()), parseSkips(store.file, key, p.getProperty(key)));
        continue;
      }
      long value = parse(store.file, key, p.getProperty(key));
      if (key.equals(SESSION)) {
        store.session = value;
      } else if (key.startsWith("next.") || key.startsWith("from.")) {
        if (value < 1) {
          throw new IOException(store.file + ": " + key + " must be at least 1, but was " + value);
        }
        if (key.startsWith("next.")) {
          store.counters.put(key.substring("next.".length()), new Counter(value));
        } else {
          from.put(key.substring("from.".length()), value);
        }
      }
    }
    if (!clean) {
      for (Map.Entry<String, Counter> e : store.counters.entrySet()) {
        Long highWater = durableHighWater.get(e.getKey());
        long end = e.getValue().reservedEnd;
        long first = Math.max(from.getOrDefault(e.getKey(), end), highWater == null ? end : highWater + 1);
        if (first < end) {
          Skip skip = new Skip(e.getKey(), first, end - 1);
          store.skippedAtOpen.add(skip);
          Deque<Skip> kept = store.skips.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>());
          kept.addLast(skip);
          while (kept.size() > SKIPS_KEPT) {
            kept.removeFirst();
          }
        }
      }
    }
    store.store(false); // running: an unclean stop from here on is told apart from a clean one
    return store;
  }

  private static Deque<Skip> parseSkips(Path file, String key, String value) throws IOException {
    Deque<Skip> out = new ArrayDeque<>();
    String type = key.substring("skipped.".length());
    for (String range : value.trim().split("\\s+")) {
      if (range.isEmpty()) {
        continue;
      }
      int dash = range.indexOf('-');
      try {
        if (dash < 1) {
          throw new NumberFormatException();
        }
        out.addLast(new Skip(type, Long.parseLong(range.substring(0, dash)), Long.parseLong(range.substring(dash + 1))));
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": " + key + " must be ranges 'first-last' with 1 <= first <= last, but holds '"
            + range + "'");
      }
    }
    return out;
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
      long previousFrom = c.from;
      c.reservedEnd = c.next + blockSize;
      c.from = c.next;
      try {
        store(false);
      } catch (IOException e) {
        c.reservedEnd = previous;
        c.from = previousFrom;
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

  /**
   * The skips of the most recent unclean stops ({@value #SKIPS_KEPT} per type at most), oldest
   * first per type, types in name order; empty if the agent never stopped uncleanly.
   */
  synchronized List<Skip> skipped() {
    List<Skip> out = new ArrayList<>();
    skips.values().forEach(out::addAll);
    return out;
  }

  /** The skips this open found, i.e. those of the stop just before it; empty after a clean stop. */
  synchronized List<Skip> skippedAtOpen() {
    return List.copyOf(skippedAtOpen);
  }

  private void store(boolean exact) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("# Message counters of the fwi edge agent (fwi.edge.publish.SequenceStore). Do not edit:\n")
        .append("# next.<type> is the next Header.sequence not yet reserved, from.<type> the first of the reserved\n")
        .append("# block, skipped.<type> the ranges unclean stops skipped, session the last session_seq, clean 1 if\n")
        .append("# the agent stopped cleanly.\n")
        .append("format=").append(FORMAT_VERSION).append('\n')
        .append("clean=").append(exact ? 1 : 0).append('\n')
        .append(SESSION).append('=').append(session).append('\n');
    for (Map.Entry<String, Counter> e : counters.entrySet()) {
      Counter c = e.getValue();
      sb.append("next.").append(e.getKey()).append('=').append(exact ? c.next : c.reservedEnd).append('\n');
      sb.append("from.").append(e.getKey()).append('=').append(exact ? c.next : c.from).append('\n');
    }
    for (Map.Entry<String, Deque<Skip>> e : skips.entrySet()) {
      if (e.getValue().isEmpty()) {
        continue;
      }
      sb.append("skipped.").append(e.getKey()).append('=');
      StringJoiner ranges = new StringJoiner(" ");
      e.getValue().forEach(k -> ranges.add(k.first() + "-" + k.last()));
      sb.append(ranges).append('\n');
    }
    DurableFiles.replace(file, sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(file + " is closed");
    }
  }

  /** Stores the exact next numbers and marks the file clean (no skip on the next start). Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    store(true);
  }
}
