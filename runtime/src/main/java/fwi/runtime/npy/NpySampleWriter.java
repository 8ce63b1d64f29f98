package fwi.runtime.npy;

import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a float32 {@code .npy} file sample by sample, in any order, without holding the array in
 * memory: a 700 MB OpenFWI data file is produced by many threads, each writing its own samples at
 * their offsets. The file is built under a temporary name next to the target and appears under
 * its real name only on {@link #commit()}, so a crash never leaves a truncated file that looks
 * complete.
 *
 * <p>Thread-safety: {@link #write} may be called from several threads at once (positional writes
 * on one channel); {@link #commit} and {@link #close} must not race a write.
 */
public final class NpySampleWriter implements AutoCloseable {
  private final Path target;
  private final Path temp;
  private final Shape shape;
  private final FileChannel channel;
  private final long dataOffset;
  private final int sampleValues;
  private boolean committed;

  private NpySampleWriter(Path target, Shape shape) throws IOException {
    this.target = target;
    this.shape = shape;
    this.temp = target.resolveSibling(target.getFileName() + ".partial");
    this.sampleValues = shape.elementCount() / shape.dim(0);
    byte[] header = Npy.header(shape);
    this.dataOffset = header.length;
    this.channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ);
    channel.write(ByteBuffer.wrap(header), 0);
    // Size the file up front so unwritten samples read as zeros and the size check of readers holds.
    channel.write(ByteBuffer.wrap(new byte[1]), dataOffset + 4L * shape.elementCount() - 1);
  }

  /**
   * Starts {@code target} with the given shape (the first dimension counts samples).
   *
   * @throws IOException when the temporary file cannot be created
   */
  public static NpySampleWriter create(Path target, Shape shape) throws IOException {
    return new NpySampleWriter(target, shape);
  }

  /** Shape of the array being written. */
  public Shape shape() {
    return shape;
  }

  /**
   * Writes sample {@code index} (all of its values, C order).
   *
   * @throws IllegalArgumentException if the index is outside the array or the value count is wrong
   */
  public void write(int index, float[] values) throws IOException {
    write(index, 0, values);
  }

  /**
   * Writes {@code values} into sample {@code index} starting at value {@code offset} within the
   * sample, e.g. one shot of a (5, 1000, 70) gather at offset {@code shot * 70000}.
   *
   * @throws IllegalArgumentException if the range falls outside the sample or the array
   */
  public void write(int index, int offset, float[] values) throws IOException {
    if (index < 0 || index >= shape.dim(0)) {
      throw new IllegalArgumentException("sample index must be in [0, " + shape.dim(0) + "), but was " + index);
    }
    if (offset < 0 || offset + values.length > sampleValues) {
      throw new IllegalArgumentException("values [" + offset + ", " + (offset + values.length)
          + ") do not fit in a sample of " + sampleValues + " values of shape " + shape);
    }
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    long pos = dataOffset + 4L * ((long) index * sampleValues + offset);
    while (buf.hasRemaining()) {
      pos += channel.write(buf, pos);
    }
  }

  /** Flushes to disk and moves the file to its real name, replacing any older file. */
  public void commit() throws IOException {
    channel.force(true);
    channel.close();
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    committed = true;
  }

  /** Abandons an uncommitted file (deletes the temporary file); no-op after {@link #commit()}. */
  @Override
  public void close() throws IOException {
    if (!committed) {
      channel.close();
      Files.deleteIfExists(temp);
    }
  }
}
