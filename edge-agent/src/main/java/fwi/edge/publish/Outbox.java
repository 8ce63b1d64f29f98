package fwi.edge.publish;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * A disk-backed, crash-safe, bounded FIFO of outgoing messages: what the agent has published but
 * the broker has not yet acknowledged. Entries are handed out in the order they were appended
 * (across all streams, so per-stream order holds too) and stay on disk until {@link #ack}ed, so
 * after a reconnect ({@link #rewind()}) or a restart every unacknowledged entry is handed out
 * again: at-least-once, readers drop duplicates by sequence number.
 *
 * <h2>Files</h2>
 * A directory, locked while open ({@code outbox.lock}: one outbox per directory), of append-only
 * segments ({@code segment-<first id>.log}, see {@link SegmentFile}
 * for the record format: length, CRC-32, id, stream, sequence, payload) plus {@code removed.log}
 * (see {@link RemovalLog}), which lists acknowledged and dropped ids and the drop counters. A
 * segment whose entries are all removed is deleted; the newest segment takes the appends and
 * rolls over at {@code segmentBytes}. On open, a record cut short or failing its CRC (a crash
 * mid-append) is truncated with a warning; the open never fails for it.
 *
 * <h2>Bound and drop policy</h2>
 * {@code maxBytes} bounds the live records (payload plus 25
 * bytes of record header each). An append that would exceed it first drops the oldest entries of
 * the lowest-priority stream present: {@link Stream#RESULT} first (large, and the device keeps the
 * gathers to recompute a map), then {@link Stream#TELEMETRY}, then {@link Stream#OTA_GET}, and
 * {@link Stream#OTA_STATUS} last. Drops are counted per stream, and the counts survive restarts.
 * An entry dropped while in flight is still counted as dropped, even if its acknowledgement
 * arrives later. Segments that drops and out-of-order acknowledgements leave mostly empty are
 * rewritten with their live records only, so the files stay below about
 * {@code maxBytes + 2 * segmentBytes} plus the removal log.
 *
 * <h2>High-water marks</h2>
 * {@link #highestSequence} tells the highest sequence of each stream ever appended, which the
 * publisher uses after a crash to tell exactly which reserved sequence numbers were never used: the
 * append is the point where a message becomes durable.
 *
 * <h2>Durability</h2>
 * See {@link FsyncPolicy}: every append reaches the page cache before {@link #append} returns
 * (survives a killed process); the policy decides what survives a power cut.
 *
 * <p>Thread-safe: any thread may append; one consumer is expected to call {@link #next()},
 * {@link #ack} and {@link #rewind()}. Every method holds one lock, including for its disk I/O.
 * Heap use is about 150 bytes per buffered entry (the payloads stay on disk).
 */
public final class Outbox implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Outbox.class);
  private static final List<Stream> DROP_ORDER = java.util.Arrays.stream(Stream.values())
      .sorted(Comparator.comparingInt(Stream::dropRank)).collect(Collectors.toUnmodifiableList());
  /** Removal records kept after the last compaction of the removal log may grow by this before the next one. */
  private static final long REMOVAL_LOG_SLACK = 16_384;
  static final String LOCK_FILE = "outbox.lock";

  /**
   * An entry handed out by {@link #next()}.
   *
   * @param id position in the global enqueue order (strictly increasing, opaque)
   * @param stream the stream the message belongs to
   * @param sequence the message's {@code Header.sequence}
   * @param payload the serialized message
   */
  public record Entry(long id, Stream stream, long sequence, byte[] payload) {
    public Entry {
      if (stream == null) {
        throw new IllegalArgumentException("entry stream must be set, but was null");
      }
      if (payload == null) {
        throw new IllegalArgumentException("entry payload must be set, but was null");
      }
    }
  }

  private static final class Meta {
    final long id;
    final Stream stream;
    final long sequence;
    final SegmentFile segment;
    long offset;
    final int recordBytes;

    Meta(long id, Stream stream, long sequence, SegmentFile segment, long offset, int recordBytes) {
      this.id = id;
      this.stream = stream;
      this.sequence = sequence;
      this.segment = segment;
      this.offset = offset;
      this.recordBytes = recordBytes;
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  private final FsyncPolicy fsync;
  private final TreeMap<Long, SegmentFile> segments = new TreeMap<>();
  private final EnumMap<Stream, TreeMap<Long, Meta>> live = new EnumMap<>(Stream.class);
  private final EnumMap<Stream, Long> dropped = new EnumMap<>(Stream.class);
  /** Highest sequence ever appended per stream code (unknown codes from a newer agent kept as they are). */
  private final Map<Byte, Long> highWater = new TreeMap<>();
  private final RemovalLog removals;
  /** Held (with its lock) while open: one outbox per directory. */
  private final FileChannel lockFile;
  private long removalBaseline;
  private SegmentFile tail;
  private long nextId;
  /** Entries with ids up to this one were handed out since the last open or rewind. */
  private long cursor;
  private long liveBytes;
  private int liveCount;
  private boolean dirty;
  private long lastSyncNanos = System.nanoTime();
  private boolean closed;

  private Outbox(Path dir, long maxBytes, long segmentBytes, FsyncPolicy fsync, RemovalLog removals,
      FileChannel lockFile) {
    this.lockFile = lockFile;
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = segmentBytes;
    this.fsync = fsync;
    this.removals = removals;
    for (Stream s : Stream.values()) {
      live.put(s, new TreeMap<>());
      dropped.put(s, 0L);
    }
  }

  /**
   * Opens the outbox in {@code dir} (created if missing) with segments of
   * {@code clamp(maxBytes / 8, 64 KiB, 4 MiB)}.
   *
   * @param maxBytes bound on the live records, at least 1024 bytes
   * @throws IllegalArgumentException if {@code maxBytes} is below 1024
   * @throws IOException if the directory cannot be read or written, or holds files of a format
   *     version this agent cannot read
   */
  public static Outbox open(Path dir, long maxBytes, FsyncPolicy fsync) throws IOException {
    return open(dir, maxBytes, Math.max(64 * 1024, Math.min(4L * 1024 * 1024, maxBytes / 8)), fsync);
  }

  static Outbox open(Path dir, long maxBytes, long segmentBytes, FsyncPolicy fsync) throws IOException {
    if (maxBytes < 1024) {
      throw new IllegalArgumentException("outbox max bytes must be at least 1024, but was " + maxBytes);
    }
    if (segmentBytes < 1024) {
      throw new IllegalArgumentException("outbox segment bytes must be at least 1024, but was " + segmentBytes);
    }
    if (fsync == null) {
      throw new IllegalArgumentException("outbox fsync policy must be set, but was null");
    }
    Files.createDirectories(dir);
    FileChannel lockFile = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockFile.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockFile.close();
      throw new IOException("outbox " + dir + " is in use by another outbox (this or another process)");
    }
    try {
      return openLocked(dir, maxBytes, segmentBytes, fsync, lockFile);
    } catch (IOException | RuntimeException e) {
      lockFile.close();
      throw e;
    }
  }

  private static Outbox openLocked(Path dir, long maxBytes, long segmentBytes, FsyncPolicy fsync, FileChannel lockFile)
      throws IOException {
    try (var listing = Files.list(dir)) {
      for (Path p : listing.filter(p -> p.getFileName().toString().endsWith(".log.tmp")).collect(Collectors.toList())) {
        Files.delete(p); // a compaction cut short; the original is intact
      }
    }
    List<RemovalLog.Removal> removed = new ArrayList<>();
    RemovalLog log = RemovalLog.open(dir, removed);
    Outbox outbox = new Outbox(dir, maxBytes, segmentBytes, fsync, log, lockFile);
    try {
      outbox.load(removed);
    } catch (IOException | RuntimeException e) {
      outbox.closeFiles();
      throw e;
    }
    return outbox;
  }

  private void load(List<RemovalLog.Removal> removed) throws IOException {
    TreeMap<Long, Path> files = new TreeMap<>();
    try (var listing = Files.list(dir)) {
      listing.forEach(p -> {
        OptionalLong first = SegmentFile.firstIdOf(p.getFileName().toString());
        if (first.isPresent()) {
          files.put(first.getAsLong(), p);
        }
      });
    }
    long maxId = 0;
    for (Map.Entry<Long, Path> f : files.entrySet()) {
      List<SegmentFile.Scanned> scanned = new ArrayList<>();
      Optional<SegmentFile> opened = SegmentFile.open(f.getValue(), f.getKey(), scanned::add);
      if (opened.isEmpty()) {
        continue;
      }
      SegmentFile segment = opened.get();
      segments.put(f.getKey(), segment);
      maxId = Math.max(maxId, segment.lastId);
      segment.marks.forEach((code, seq) -> highWater.merge(code, seq, Math::max));
      for (SegmentFile.Scanned r : scanned) {
        highWater.merge(r.streamCode(), r.sequence(), Math::max);
        Optional<Stream> stream = Stream.ofCode(r.streamCode());
        if (stream.isEmpty()) {
          LOG.warnf("outbox segment %s: entry %d has unknown stream code %d (written by a newer agent?); skipped",
              segment.path, r.id(), r.streamCode());
          continue;
        }
        addLive(new Meta(r.id(), stream.get(), r.sequence(), segment, r.offset(), r.recordBytes()));
      }
    }
    for (RemovalLog.Removal r : removed) {
      maxId = Math.max(maxId, r.id());
      Optional<Stream> stream = Stream.ofCode(r.streamCode());
      if (stream.isEmpty()) {
        continue;
      }
      if (r.kind() == RemovalLog.DROPPED || r.kind() == RemovalLog.DROP_TOTAL) {
        dropped.merge(stream.get(), r.dropTotal(), Math::max);
      }
      if (r.kind() != RemovalLog.DROP_TOTAL) {
        Meta m = live.get(stream.get()).remove(r.id());
        if (m != null) {
          unaccount(m);
        }
      }
    }
    nextId = maxId + 1;
    if (segments.isEmpty()) {
      segments.put(nextId, SegmentFile.create(dir, nextId, highWater, durable()));
    }
    tail = segments.lastEntry().getValue();
    for (SegmentFile s : new ArrayList<>(segments.values())) {
      deleteIfEmpty(s);
    }
    removalBaseline = 0; // compact a log grown over many runs right away
    compactRemovalLogIfGrown();
    if (liveCount > 0) {
      LOG.infof("outbox %s: %d entries (%d bytes) waiting from before the restart", dir, liveCount, liveBytes);
    }
  }

  private boolean durable() {
    return fsync.kind() != FsyncPolicy.Kind.NEVER;
  }

  private void addLive(Meta m) {
    live.get(m.stream).put(m.id, m);
    m.segment.liveCount++;
    m.segment.liveBytes += m.recordBytes;
    liveCount++;
    liveBytes += m.recordBytes;
  }

  private void unaccount(Meta m) {
    m.segment.liveCount--;
    m.segment.liveBytes -= m.recordBytes;
    liveCount--;
    liveBytes -= m.recordBytes;
  }

  /**
   * Appends an entry, first dropping old entries if the bound requires it (see the class comment).
   *
   * @return the entry's id (its place in the global order)
   * @throws IllegalArgumentException if the entry alone is larger than the bound, or the sequence
   *     is negative
   * @throws UncheckedIOException if the segment cannot be written (the entry is then not stored)
   * @throws IllegalStateException if the outbox is closed
   */
  public long append(Stream stream, long sequence, byte[] payload) {
    if (stream == null) {
      throw new IllegalArgumentException("outbox stream must be set, but was null");
    }
    if (sequence < 0) {
      throw new IllegalArgumentException("outbox entry sequence must be at least 0, but was " + sequence);
    }
    long recordBytes = SegmentFile.RECORD_OVERHEAD_BYTES + (long) payload.length;
    if (recordBytes > maxBytes || payload.length > SegmentFile.MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException("outbox entry of " + recordBytes + " bytes (" + payload.length
          + " payload + " + SegmentFile.RECORD_OVERHEAD_BYTES + " record header) exceeds the outbox bound of "
          + maxBytes + " bytes");
    }
    synchronized (this) {
      ensureOpen();
      try {
        boolean droppedAny = false;
        while (liveBytes + recordBytes > maxBytes) {
          dropOldestOfLowestRank();
          droppedAny = true;
        }
        if (tail.size > tail.headerBytes && tail.size + recordBytes > segmentBytes) {
          roll();
        }
        long id = nextId;
        long offset = tail.append(id, stream, sequence, payload);
        nextId++;
        highWater.merge(stream.code(), sequence, Math::max);
        addLive(new Meta(id, stream, sequence, tail, offset, (int) recordBytes));
        dirty = true;
        if (fsync.kind() == FsyncPolicy.Kind.EVERY_APPEND) {
          sync();
        } else if (fsync.kind() == FsyncPolicy.Kind.INTERVAL) {
          syncIfDue();
        }
        if (droppedAny) {
            compactIfBloated();
        }
        return id;
      } catch (IOException e) {
        throw new UncheckedIOException("outbox " + dir + ": cannot append a " + stream + " entry", e);
      }
    }
  }

  private void roll() throws IOException {
    if (dirty && durable()) {
      tail.force();
    }
    SegmentFile old = tail;
    tail = SegmentFile.create(dir, nextId, highWater, durable());
    segments.put(tail.firstId, tail);
    deleteIfEmpty(old);
  }

  private void dropOldestOfLowestRank() throws IOException {
    for (Stream s : DROP_ORDER) {
      Map.Entry<Long, Meta> oldest = live.get(s).pollFirstEntry();
      if (oldest != null) {
        long total = dropped.merge(s, 1L, Long::sum);
        remove(oldest.getValue(), RemovalLog.DROPPED, total);
        return;
      }
    }
    throw new IllegalStateException("outbox " + dir + " is over its bound with no entry left to drop");
  }

  private void remove(Meta m, byte kind, long dropTotal) throws IOException {
    unaccount(m);
    removals.append(m.id, kind, m.stream, dropTotal);
    deleteIfEmpty(m.segment);
  }

  private void deleteIfEmpty(SegmentFile s) throws IOException {
    if (s != tail && s.liveCount == 0) {
      segments.remove(s.firstId);
      s.delete();
    }
  }

  /**
   * The oldest entry not handed out since the outbox was opened or last {@link #rewind() rewound},
   * or empty if there is none; it stays in the outbox until {@link #ack}ed.
   *
   * @throws UncheckedIOException if the payload cannot be read
   */
  public synchronized Optional<Entry> next() {
    ensureOpen();
    Meta best = null;
    for (TreeMap<Long, Meta> byId : live.values()) {
      Map.Entry<Long, Meta> e = byId.higherEntry(cursor);
      if (e != null && (best == null || e.getKey() < best.id)) {
        best = e.getValue();
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    try {
      byte[] payload = best.segment.readPayload(best.offset, best.recordBytes);
      cursor = best.id;
      return Optional.of(new Entry(best.id, best.stream, best.sequence, payload));
    } catch (IOException e) {
      throw new UncheckedIOException("outbox " + dir + ": cannot read entry " + best.id, e);
    }
  }

  /**
   * Removes an entry once the broker has acknowledged it.
   *
   * @return true if the entry was in the outbox; false if it was acknowledged before or dropped
   * @throws UncheckedIOException if the removal cannot be recorded
   */
  public synchronized boolean ack(long id) {
    ensureOpen();
    for (TreeMap<Long, Meta> byId : live.values()) {
      Meta m = byId.remove(id);
      if (m != null) {
        try {
          remove(m, RemovalLog.ACKED, 0);
          compactRemovalLogIfGrown();
        } catch (IOException e) {
          throw new UncheckedIOException("outbox " + dir + ": cannot record the acknowledgement of entry " + id, e);
        }
        return true;
      }
    }
    return false;
  }

  /** Makes {@link #next()} start again from the oldest unacknowledged entry (after a reconnect). */
  public synchronized void rewind() {
    cursor = 0;
  }

  /** Forces appended entries to the device if the {@link FsyncPolicy} interval has passed since the last sync. */
  public synchronized void syncIfDue() {
    if (dirty && fsync.kind() == FsyncPolicy.Kind.INTERVAL
        && System.nanoTime() - lastSyncNanos >= fsync.interval().toNanos()) {
      try {
        sync();
      } catch (IOException e) {
        throw new UncheckedIOException("outbox " + dir + ": cannot sync", e);
      }
    }
  }

  private void sync() throws IOException {
    tail.force();
    dirty = false;
    lastSyncNanos = System.nanoTime();
  }

  /**
   * Rewrites the emptiest older segments while the files exceed the bound by more than two
   * segments, so drops and out-of-order acknowledgements cannot grow the disk use without limit.
   */
  private void compactIfBloated() throws IOException {
    if (segmentFileBytes() <= maxBytes + 2 * segmentBytes) {
      return;
    }
    List<SegmentFile> candidates = segments.values().stream().filter(s -> s != tail)
        .sorted(Comparator.comparingDouble(s -> (double) s.liveBytes / s.size)).collect(Collectors.toList());
    for (SegmentFile s : candidates) {
      if (segmentFileBytes() <= maxBytes + segmentBytes) {
        break;
      }
      Long upper = segments.higherKey(s.firstId);
      List<Meta> keep = new ArrayList<>();
      for (TreeMap<Long, Meta> byId : live.values()) {
        keep.addAll(byId.subMap(s.firstId, true, upper, false).values());
      }
      keep.sort(Comparator.comparingLong(m -> m.id));
      List<SegmentFile.Slice> slices = keep.stream().map(m -> new SegmentFile.Slice(m.offset, m.recordBytes))
          .collect(Collectors.toList());
      long before = s.size;
      long[] offsets = s.rewrite(slices);
      for (int i = 0; i < offsets.length; i++) {
        keep.get(i).offset = offsets[i];
      }
      LOG.debugf("outbox %s: compacted %s from %d to %d bytes", dir, s.path.getFileName(), before, s.size);
    }
  }

  private void compactRemovalLogIfGrown() throws IOException {
    if (removals.records() <= 2 * removalBaseline + REMOVAL_LOG_SLACK) {
      return;
    }
    List<RemovalLog.Removal> keep = new ArrayList<>();
    for (Map.Entry<Stream, Long> d : dropped.entrySet()) {
      if (d.getValue() > 0) {
        keep.add(new RemovalLog.Removal(0, RemovalLog.DROP_TOTAL, d.getKey().code(), d.getValue()));
      }
    }
    for (RemovalLog.Removal r : removals.readAll()) {
      // Only removals of records still in a file matter; the rest name ids that are gone for good.
      Map.Entry<Long, SegmentFile> holder = segments.floorEntry(r.id());
      if (r.kind() != RemovalLog.DROP_TOTAL && holder != null && r.id() <= holder.getValue().lastId) {
        keep.add(r);
      }
    }
    removals.rewrite(keep);
    removalBaseline = removals.records();
  }

  private long segmentFileBytes() {
    long total = 0;
    for (SegmentFile s : segments.values()) {
      total += s.size;
    }
    return total;
  }

  /**
   * The highest sequence of {@code stream} ever appended to this outbox directory (acknowledged,
   * dropped or waiting), 0 if none: the last number of the stream that was made durable. Exact
   * across restarts and a killed process, since every segment's header carries the marks at its
   * creation and the newest segment is never deleted (see {@link SegmentFile}); an append a crash
   * cut short does not count. Segments written by an agent before these marks existed count only
   * with the records they still hold.
   */
  public synchronized long highestSequence(Stream stream) {
    return highWater.getOrDefault(stream.code(), 0L);
  }

  /** Entries waiting (handed out or not) for an acknowledgement. */
  public synchronized int size() {
    return liveCount;
  }

  /** Bytes of the waiting entries' records, the quantity {@code maxBytes} bounds. */
  public synchronized long bytes() {
    return liveBytes;
  }

  /** Bytes of all outbox files on disk: segments and the removal log. */
  public synchronized long diskBytes() {
    return segmentFileBytes() + removals.sizeBytes();
  }

  /** Entries of {@code stream} dropped to respect the bound, since the outbox was first created. */
  public synchronized long droppedCount(Stream stream) {
    return dropped.get(stream);
  }

  /** Entries of all streams dropped to respect the bound, since the outbox was first created. */
  public synchronized long droppedCount() {
    return dropped.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The bound on {@link #bytes()}. */
  public long maxBytes() {
    return maxBytes;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("outbox " + dir + " is closed");
    }
  }

  /** Forces everything to the device and closes the files. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (dirty) {
        tail.force();
      }
      removals.force();
    } catch (IOException e) {
      LOG.warnf(e, "outbox %s: cannot sync on close; the last entries may be sent again or lost in a power cut", dir);
    }
    closeFiles();
  }

  private void closeFiles() {
    for (SegmentFile s : segments.values()) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.debugf(e, "outbox %s: closing %s", dir, s.path);
      }
    }
    try {
      removals.close();
    } catch (IOException e) {
      LOG.debugf(e, "outbox %s: closing the removal log", dir);
    }
    try {
      lockFile.close(); // releases the lock
    } catch (IOException e) {
      LOG.debugf(e, "outbox %s: closing the lock file", dir);
    }
  }
}
