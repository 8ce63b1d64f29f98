package fwi.cloud.registry;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Files that survive a power cut whole or not at all: written to a temporary file beside the
 * target, forced to disk, renamed over the target, and the directory forced so the rename itself
 * is durable.
 */
final class DurableFiles {
  private DurableFiles() {
  }

  /** Replaces {@code target} with {@code bytes} atomically and durably. */
  static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      moveDurably(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Renames a complete, forced file over {@code target} and forces the directory. */
  static void moveDurably(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + source + " to " + target + " atomically (different file systems?): "
          + e.getMessage(), e);
    }
    syncDirectory(target.toAbsolutePath().getParent());
  }

  /** Forces a directory's entries to disk; a no-op where the platform cannot open directories. */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows")) {
        throw e;
      }
    }
  }
}
