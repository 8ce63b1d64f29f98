package fwi.edge.ota;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import com.google.protobuf.ByteString;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import org.jboss.logging.Logger;

/**
 * One model file being received in blocks, resumable after a disconnect or a restart. Files in the
 * downloads directory, named by the model's SHA-256:
 * <pre>
 * &lt;sha&gt;.part      the file, each block written at its offset (positional writes)
 * &lt;sha&gt;.manifest  the SignedManifest bytes as received, so a restart can resume before the
 *                 retained manifest is delivered again (it is verified again then)
 * &lt;sha&gt;.progress  which blocks are on disk (bitset) and the attempt number; replaced atomically
 * </pre>
 * Each accepted block is forced to disk before the progress file records it, so the progress
 * never claims a block that a power cut lost. That costs two fsyncs and a rename per block (some
 * milliseconds on an SD card, small next to a 64 KiB block over MQTT); blocks recorded lost are
 * simply fetched again. On resume, blocks with a signed per-block digest are checked again.
 *
 * <p>Not thread-safe: owned by the OTA client's thread.
 */
final class Download implements Closeable {
  private static final Logger LOG = Logger.getLogger(Download.class);
  private static final byte[] MAGIC = "FWIOTAPR".getBytes(StandardCharsets.US_ASCII);
  private static final int PROGRESS_FORMAT = 1;
  static final String PART = ".part";
  static final String MANIFEST = ".manifest";
  static final String PROGRESS = ".progress";

  /** What {@link #accept} did with a response. */
  enum Kind {
    /** The block was new and is now on disk. */
    STORED,
    /** The block was already on disk. */
    DUPLICATE,
    /** The response is for another model or a block index this model does not have. */
    IGNORED,
    /** The data failed a check and was discarded; the block must be requested again. */
    BAD
  }

  record Outcome(Kind kind, int block, String detail) {
  }

  /** A download found on disk. */
  record Pending(String shaHex, byte[] signedManifest) {
  }

  private final Path dir;
  private final ManifestBody body;
  private final String shaHex;
  private final FileChannel channel;
  private final BitSet received;
  private final int blockCount;
  private final long blockSize;
  private long receivedBytes;
  private int attempt;

  private Download(Path dir, ManifestBody body, FileChannel channel, BitSet received, int attempt) {
    this.dir = dir;
    this.body = body;
    this.shaHex = DurableFiles.hex(body.getSha256().toByteArray());
    this.channel = channel;
    this.received = received;
    this.blockCount = body.getBlockCount();
    this.blockSize = Integer.toUnsignedLong(body.getBlockSizeBytes());
    this.attempt = attempt;
    for (int i = received.nextSetBit(0); i >= 0; i = received.nextSetBit(i + 1)) {
      receivedBytes += blockLength(i);
    }
  }

  /**
   * Starts the download of {@code body}'s file, or resumes it from the files a previous attempt
   * left (then the attempt number goes up by one).
   *
   * @param body a verified manifest body
   * @param signedManifest the SignedManifest it came in, saved for a resume after restart
   */
  static Download start(Path dir, ManifestBody body, byte[] signedManifest) throws IOException {
    String sha = DurableFiles.hex(body.getSha256().toByteArray());
    Path part = dir.resolve(sha + PART);
    Path manifest = dir.resolve(sha + MANIFEST);
    if (!Files.exists(manifest) || !Arrays.equals(Files.readAllBytes(manifest), signedManifest)) {
      DurableFiles.writeAtomically(manifest, signedManifest);
    }
    BitSet received = new BitSet(body.getBlockCount());
    int attempt = 1;
    boolean partExists = Files.exists(part);
    Optional<Progress> p = readProgress(dir.resolve(sha + PROGRESS), body.getBlockCount());
    if (p.isPresent()) {
      attempt = p.get().attempt + 1;
      if (partExists) {
        received = p.get().received;
      }
    }
    FileChannel ch = FileChannel.open(part, CREATE, READ, WRITE);
    Download d = new Download(dir, body, ch, received, attempt);
    try {
      d.recheckReceivedBlocks();
      d.saveProgress();
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return d;
  }

  /** Downloads whose manifest is on disk, to resume after a restart; stray files without a manifest are deleted. */
  static List<Pending> pending(Path dir) throws IOException {
    List<Pending> found = new ArrayList<>();
    List<Path> orphans = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path f : s) {
        String name = f.getFileName().toString();
        if (name.endsWith(MANIFEST)) {
          found.add(new Pending(name.substring(0, name.length() - MANIFEST.length()), Files.readAllBytes(f)));
        } else if (name.endsWith(PART) || name.endsWith(PROGRESS)) {
          String sha = name.substring(0, name.lastIndexOf('.'));
          if (!Files.exists(dir.resolve(sha + MANIFEST))) {
            orphans.add(f);
          }
        }
      }
    }
    for (Path f : orphans) {
      Files.deleteIfExists(f);
    }
    return found;
  }

  /** Deletes the files of the download of {@code shaHex}. */
  static void deleteFiles(Path dir, String shaHex) throws IOException {
    // Manifest last: while it exists, a restart still knows what the other files belong to.
    Files.deleteIfExists(dir.resolve(shaHex + PROGRESS));
    Files.deleteIfExists(dir.resolve(shaHex + PART));
    Files.deleteIfExists(dir.resolve(shaHex + MANIFEST));
    DurableFiles.syncDirectory(dir);
  }

  ManifestBody body() {
    return body;
  }

  String shaHex() {
    return shaHex;
  }

  /** 1 for the first attempt at this manifest, +1 for each resume. */
  int attempt() {
    return attempt;
  }

  int blockCount() {
    return blockCount;
  }

  long blockLength(int i) {
    return Math.min(blockSize, body.getSizeBytes() - i * blockSize);
  }

  long offset(int i) {
    return i * blockSize;
  }

  boolean has(int i) {
    return received.get(i);
  }

  /** The next block at or after {@code from} not yet on disk, or -1. */
  int nextMissing(int from) {
    int i = received.nextClearBit(from);
    return i < blockCount ? i : -1;
  }

  /** Indices of blocks not yet on disk, ascending. */
  List<Integer> missingBlocks() {
    List<Integer> l = new ArrayList<>();
    for (int i = nextMissing(0); i >= 0; i = nextMissing(i + 1)) {
      l.add(i);
    }
    return l;
  }

  long receivedBytes() {
    return receivedBytes;
  }

  boolean complete() {
    return received.cardinality() == blockCount;
  }

  /**
   * Checks a block response carrying data against the manifest and stores the block. The checks:
   * model SHA-256, index below block_count, offset = index x block size, data length = the
   * block's length, and the data's SHA-256 against {@code block_sha256[index]} of the signed
   * manifest when present (authoritative), otherwise against the response's own
   * {@code block_sha256} when sent.
   */
  Outcome accept(BlockResponse r) throws IOException {
    if (!r.getModelSha256().equals(body.getSha256())) {
      return new Outcome(Kind.IGNORED, -1, "response is for model " + DurableFiles.hex(r.getModelSha256().toByteArray())
          + ", not " + shaHex);
    }
    long index = Integer.toUnsignedLong(r.getBlockIndex());
    if (index >= blockCount) {
      return new Outcome(Kind.IGNORED, -1, "block index must be below " + blockCount + ", but was " + index);
    }
    int i = (int) index;
    if (received.get(i)) {
      return new Outcome(Kind.DUPLICATE, i, "block " + i + " is already on disk");
    }
    if (r.getOffsetBytes() != offset(i)) {
      return new Outcome(Kind.BAD, i, "block " + i + ": offset must be " + offset(i) + ", but was "
          + Long.toUnsignedString(r.getOffsetBytes()));
    }
    ByteString data = r.getData();
    if (data.size() != blockLength(i)) {
      return new Outcome(Kind.BAD, i, "block " + i + ": data must be " + blockLength(i) + " bytes, but was " + data.size());
    }
    byte[] actual = DurableFiles.sha256(data.toByteArray());
    ByteString expected = body.getBlockSha256Count() > 0 ? body.getBlockSha256(i) : r.getBlockSha256();
    if (!expected.isEmpty() && !Arrays.equals(expected.toByteArray(), actual)) {
      String source = body.getBlockSha256Count() > 0 ? "manifest" : "response";
      return new Outcome(Kind.BAD, i, "block " + i + ": sha256 must be " + DurableFiles.hex(expected.toByteArray())
          + " (" + source + "), but was " + DurableFiles.hex(actual));
    }
    ByteBuffer buf = data.asReadOnlyByteBuffer();
    long pos = offset(i);
    while (buf.hasRemaining()) {
      pos += channel.write(buf, pos);
    }
    channel.force(false);
    received.set(i);
    receivedBytes += data.size();
    saveProgress();
    return new Outcome(Kind.STORED, i, "");
  }

  /**
   * Checks the complete file against the manifest's SHA-256 and size.
   *
   * @return the part file, ready to be installed
   * @throws OtaException SHA256_MISMATCH naming expected and actual digest
   * @throws IllegalStateException if blocks are missing
   */
  Path verify() throws IOException, OtaException {
    if (!complete()) {
      throw new IllegalStateException("download of " + shaHex + " is missing " + (blockCount - received.cardinality())
          + " blocks");
    }
    channel.force(true);
    Path part = dir.resolve(shaHex + PART);
    long size = channel.size();
    if (size != body.getSizeBytes()) {
      throw new OtaException(OtaReason.OTA_REASON_SHA256_MISMATCH, "model file must be " + body.getSizeBytes()
          + " bytes, but was " + size);
    }
    String actual = DurableFiles.hex(DurableFiles.sha256(part));
    if (!actual.equals(shaHex)) {
      throw new OtaException(OtaReason.OTA_REASON_SHA256_MISMATCH, "model file sha256 must be " + shaHex
          + ", but was " + actual);
    }
    return part;
  }

  /** Deletes this download's files (closes it first). */
  void delete() throws IOException {
    close();
    deleteFiles(dir, shaHex);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Drops received blocks whose bytes on disk no longer match the signed per-block digest. */
  private void recheckReceivedBlocks() throws IOException {
    if (body.getBlockSha256Count() == 0 || received.isEmpty()) {
      return;
    }
    for (int i = received.nextSetBit(0); i >= 0; i = received.nextSetBit(i + 1)) {
      ByteBuffer buf = ByteBuffer.allocate((int) blockLength(i));
      long pos = offset(i);
      while (buf.hasRemaining()) {
        int n = channel.read(buf, pos);
        if (n < 0) {
          break;
        }
        pos += n;
      }
      buf.flip();
      byte[] bytes = new byte[buf.remaining()];
      buf.get(bytes);
      if (!Arrays.equals(DurableFiles.sha256(bytes), body.getBlockSha256(i).toByteArray())) {
        LOG.warnf("download %s: block %d on disk does not match its signed sha256; fetching it again", shaHex, i);
        received.clear(i);
        receivedBytes -= blockLength(i);
      }
    }
  }

  private record Progress(BitSet received, int attempt) {
  }

  private void saveProgress() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(MAGIC);
    out.writeInt(PROGRESS_FORMAT);
    out.writeInt(blockCount);
    out.writeInt(attempt);
    byte[] bits = received.toByteArray();
    out.writeInt(bits.length);
    out.write(bits);
    CRC32 crc = new CRC32();
    crc.update(bytes.toByteArray());
    out.writeLong(crc.getValue());
    out.flush();
    DurableFiles.writeAtomically(dir.resolve(shaHex + PROGRESS), bytes.toByteArray());
  }

  /** The saved progress; empty if absent or unusable (then the download starts over). */
  private static Optional<Progress> readProgress(Path file, int blockCount) throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      if (all.length < MAGIC.length + 24) {
        throw new IOException("too short: " + all.length + " bytes");
      }
      CRC32 crc = new CRC32();
      crc.update(all, 0, all.length - 8);
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all));
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IOException("not a progress file");
      }
      int format = in.readInt();
      if (format != PROGRESS_FORMAT) {
        throw new IOException("format must be " + PROGRESS_FORMAT + ", but was " + format);
      }
      int count = in.readInt();
      if (count != blockCount) {
        throw new IOException("block count must be " + blockCount + ", but was " + count);
      }
      int attempt = in.readInt();
      byte[] bits = in.readNBytes(in.readInt());
      if (in.readLong() != crc.getValue()) {
        throw new IOException("checksum mismatch");
      }
      BitSet received = BitSet.valueOf(bits);
      if (received.length() > blockCount) {
        throw new IOException("marks block " + (received.length() - 1) + " of " + blockCount);
      }
      return Optional.of(new Progress(received, Math.max(attempt, 1)));
    } catch (IOException | RuntimeException e) {
      LOG.warnf("download progress %s is unusable (%s); starting the download over", file, e.getMessage());
      return Optional.empty();
    }
  }
}
