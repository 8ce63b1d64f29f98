package fwi.edge.ota;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * File operations that survive a power cut: a file is either the old or the new version, never a
 * torn one. The recipe: write a sibling {@code *.tmp}, fsync it, rename it over the target, fsync
 * the directory (the rename lives in the directory). Stray {@code *.tmp} files are what a crash
 * leaves; {@link #deleteTempFiles} removes them on start.
 */
final class DurableFiles {
  static final String TEMP_SUFFIX = ".tmp";
  private static final HexFormat HEX = HexFormat.of();

  private DurableFiles() {}

  /** Replaces {@code target} with {@code content} atomically and durably. */
  static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
    try (FileChannel ch = FileChannel.open(tmp, CREATE, TRUNCATE_EXISTING, WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
    syncDirectory(target.getParent());
  }

  /**
   * Moves a complete file to {@code target} (same file system) atomically and durably: the data is
   * on disk before the name appears, and the name survives a crash once this returns.
   */
  static void moveDurably(Path source, Path target) throws IOException {
    try (FileChannel ch = FileChannel.open(source, READ, WRITE)) {
      ch.force(true);
    }
    Files.move(source, target, ATOMIC_MOVE, REPLACE_EXISTING);
    syncDirectory(target.getParent());
    if (!source.getParent().equals(target.getParent())) {
      syncDirectory(source.getParent());
    }
  }

  /** Copies {@code source} to {@code target} through a temp file, so {@code target} is never partial. */
  static void copyDurably(Path source, Path target) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
    Files.copy(source, tmp, REPLACE_EXISTING);
    moveDurably(tmp, target);
  }

  /** Makes renames and deletions in {@code dir} durable (Linux: fsync on the directory). */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, READ)) {
      ch.force(true);
    }
  }

  /** Deletes the {@code *.tmp} files a crash left in {@code dir}; returns how many. */
  static int deleteTempFiles(Path dir) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
      for (Path p : s) {
        Files.deleteIfExists(p);
        n++;
      }
    }
    return n;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  static byte[] sha256(byte[] data) {
    return sha256().digest(data);
  }

  /** SHA-256 of a file, streamed. */
  static byte[] sha256(Path file) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  static byte[] unhex(String hex) {
    return HEX.parseHex(hex);
  }
}
