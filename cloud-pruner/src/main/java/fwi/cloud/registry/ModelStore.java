package fwi.cloud.registry;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Content-addressed store of ONNX files on disk: each file lives at
 * {@code <dir>/blobs/<sha256>.onnx}, named by the lower-case hex SHA-256 of its bytes, and never
 * changes once written. Writes go to a temporary file in the same directory, are forced to disk
 * and renamed into place, so a reader sees a whole file or none; storing the same bytes again is
 * a no-op. Reads are positional ({@link FileChannel#read(ByteBuffer, long)}), so serving a block
 * never loads the whole file.
 *
 * <p>Thread-safe; several processes may share the directory (renames are atomic and files are
 * immutable), though one registry owns the index of what is in it.
 */
public final class ModelStore {
  private static final String SUFFIX = ".onnx";
  private static final int COPY_BUFFER_BYTES = 1 << 16;
  private static final long STALE_TEMPORARY_MS = 3_600_000;

  private final Path blobs;

  /**
   * Opens (and creates if needed) the store under {@code dir}.
   *
   * @throws IOException if {@code dir/blobs} cannot be created
   */
  public ModelStore(Path dir) throws IOException {
    this.blobs = Files.createDirectories(dir.resolve("blobs"));
    removeStaleTemporaryFiles();
  }

  /** Temporary files a crash left behind; an hour old, so no other process is still writing them. */
  private void removeStaleTemporaryFiles() throws IOException {
    long cutoff = System.currentTimeMillis() - STALE_TEMPORARY_MS;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(blobs, ".*.tmp")) {
      for (Path p : s) {
        if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /**
   * Stores {@code onnx} under its SHA-256.
   *
   * @return the SHA-256, 64 lower-case hex digits
   * @throws IllegalArgumentException if {@code onnx} is empty
   */
  public String put(byte[] onnx) throws IOException {
    if (onnx.length == 0) {
      throw new IllegalArgumentException("model bytes must not be empty, but were 0 bytes");
    }
    String sha = Sha256.hex(Sha256.of(onnx, 0, onnx.length));
    if (storedWithSize(sha, onnx.length)) {
      return sha;
    }
    Path tmp = Files.createTempFile(blobs, "." + sha, ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(onnx);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      DurableFiles.moveDurably(tmp, path(sha));
    } finally {
      Files.deleteIfExists(tmp);
    }
    return sha;
  }

  /**
   * Stores a copy of the file {@code onnx} under its SHA-256, hashing while copying (the file is
   * read once and never held in memory whole).
   *
   * @return the SHA-256, 64 lower-case hex digits
   * @throws IllegalArgumentException if the file is empty
   */
  public String put(Path onnx) throws IOException {
    Path tmp = Files.createTempFile(blobs, ".incoming", ".tmp");
    try {
      MessageDigest digest = Sha256.digest();
      long size = 0;
      try (InputStream in = Files.newInputStream(onnx); FileChannel out = FileChannel.open(tmp, WRITE)) {
        byte[] buf = new byte[COPY_BUFFER_BYTES];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
          digest.update(buf, 0, n);
          ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
          while (bb.hasRemaining()) {
            out.write(bb);
          }
          size += n;
        }
        out.force(true);
      }
      if (size == 0) {
        throw new IllegalArgumentException("model file " + onnx + " must not be empty, but was 0 bytes");
      }
      String sha = Sha256.hex(digest.digest());
      if (!storedWithSize(sha, size)) {
        DurableFiles.moveDurably(tmp, path(sha));
      }
      return sha;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Whether a file with this SHA-256 is stored. */
  public boolean exists(String sha256Hex) {
    return Files.isRegularFile(path(sha256Hex));
  }

  /** Size of the stored file in bytes; empty if it is not stored. */
  public OptionalLong size(String sha256Hex) throws IOException {
    try {
      return OptionalLong.of(Files.size(path(sha256Hex)));
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Where the file with this SHA-256 is (or would be) stored. Read it, never write it.
   *
   * @throws IllegalArgumentException if {@code sha256Hex} is not 64 lower-case hex digits (so no
   *     caller-supplied text ever becomes a path outside the store)
   */
  public Path path(String sha256Hex) {
    return blobs.resolve(Sha256.checkHex("model sha256", sha256Hex) + SUFFIX);
  }

  /**
   * Reads {@code length} bytes at {@code offset} of a stored file.
   *
   * @throws NoSuchFileException if no file with this SHA-256 is stored
   * @throws EOFException if the range runs past the end of the file
   * @throws IllegalArgumentException if {@code offset} or {@code length} is negative
   */
  public byte[] read(String sha256Hex, long offset, int length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be at least 0, but were " + offset + " and " + length);
    }
    Path file = path(sha256Hex);
    try (FileChannel ch = FileChannel.open(file, READ)) {
      ByteBuffer buf = ByteBuffer.allocate(length);
      long pos = offset;
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new EOFException(file + ": bytes [" + offset + ", " + (offset + length) + ") run past the end of the "
              + ch.size() + "-byte file");
        }
        pos += n;
      }
      return buf.array();
    }
  }

  /**
   * Reads a stored file whole and checks it against its address.
   *
   * @throws ModelIntegrityException if its bytes no longer hash to {@code sha256Hex}
   * @throws NoSuchFileException if it is not stored
   */
  public byte[] readVerified(String sha256Hex) throws IOException {
    Path file = path(sha256Hex);
    byte[] bytes = Files.readAllBytes(file);
    String actual = Sha256.hex(Sha256.of(bytes, 0, bytes.length));
    if (!actual.equals(sha256Hex)) {
      throw new ModelIntegrityException(file.toString(), sha256Hex, actual);
    }
    return bytes;
  }

  /**
   * SHA-256 of each block of a stored file, in one streaming pass that also checks the whole file
   * against its address.
   *
   * @throws ModelIntegrityException if the file no longer hashes to {@code sha256Hex}
   * @throws NoSuchFileException if it is not stored
   */
  List<com.google.protobuf.ByteString> blockSha256(String sha256Hex, int blockSizeBytes) throws IOException {
    Path file = path(sha256Hex);
    MessageDigest whole = Sha256.digest();
    MessageDigest block = Sha256.digest();
    List<com.google.protobuf.ByteString> digests = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, READ)) {
      ByteBuffer buf = ByteBuffer.allocate(blockSizeBytes);
      long pos = 0;
      long size = ch.size();
      while (pos < size) {
        buf.clear();
        buf.limit((int) Math.min(blockSizeBytes, size - pos));
        while (buf.hasRemaining()) {
          int n = ch.read(buf, pos + buf.position());
          if (n < 0) {
            throw new EOFException(file + " shrank while being read at byte " + (pos + buf.position()));
          }
        }
        whole.update(buf.array(), 0, buf.limit());
        block.update(buf.array(), 0, buf.limit());
        digests.add(com.google.protobuf.ByteString.copyFrom(block.digest()));
        pos += buf.limit();
      }
    }
    String actual = Sha256.hex(whole.digest());
    if (!actual.equals(sha256Hex)) {
      throw new ModelIntegrityException(file.toString(), sha256Hex, actual);
    }
    return List.copyOf(digests);
  }

  /** SHA-256s of every stored file, sorted. */
  public List<String> list() throws IOException {
    List<String> shas = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(blobs, "*" + SUFFIX)) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        String sha = name.substring(0, name.length() - SUFFIX.length());
        if (Sha256.HEX.matcher(sha).matches()) {
          shas.add(sha);
        }
      }
    }
    shas.sort(null);
    return shas;
  }

  /**
   * A stored file of the right size is kept: the name is its digest and files are written only by
   * rename, so only a disk fault could make it differ (caught by {@link #readVerified} before a
   * manifest is signed); one of another size is a leftover of such a fault and is replaced.
   */
  private boolean storedWithSize(String sha, long size) throws IOException {
    OptionalLong existing = size(sha);
    return existing.isPresent() && existing.getAsLong() == size;
  }

  @Override
  public String toString() {
    return "ModelStore[" + blobs + "]";
  }
}
