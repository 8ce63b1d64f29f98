package fwi.runtime.npy;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@code .npy} file opened for random access to its samples (slices along the first
 * dimension) without reading it whole: the data region is memory-mapped, so a folder of
 * 700 MB OpenFWI files costs address space, not heap. Only the samples asked for are copied.
 *
 * <p>Thread-safety: {@link #samples} may be called from several threads at once (each call
 * reads through its own view of the mapping). {@link #close} must not race a read.
 */
public final class NpyFile implements AutoCloseable {
  /** Largest region one mapping covers; several mappings serve larger files. */
  static final long MAX_MAPPING_BYTES = 1L << 30;

  private final Path path;
  private final FileChannel channel;
  private final NpyHeader header;
  private final long sampleBytes;
  private final int samplesPerMapping;
  private final MappedByteBuffer[] mappings;

  private NpyFile(Path path, FileChannel channel, NpyHeader header, long maxMappingBytes) throws IOException {
    this.path = path;
    this.channel = channel;
    this.header = header;
    Shape s = header.shape();
    this.sampleBytes = (long) (s.elementCount() / s.dim(0)) * header.bytesPerElement();
    long expected = header.dataOffset() + header.dataBytes();
    if (channel.size() != expected) {
      throw new NpyFormatException(path + ": file has " + channel.size() + " bytes, but its header (shape " + s + ", "
          + header.descr() + ") needs " + expected);
    }
    this.samplesPerMapping = (int) Math.max(1, maxMappingBytes / sampleBytes);
    int count = (s.dim(0) + samplesPerMapping - 1) / samplesPerMapping;
    this.mappings = new MappedByteBuffer[count];
    for (int m = 0; m < count; m++) {
      long first = (long) m * samplesPerMapping;
      long n = Math.min(samplesPerMapping, s.dim(0) - first);
      mappings[m] = channel.map(FileChannel.MapMode.READ_ONLY, header.dataOffset() + first * sampleBytes, n * sampleBytes);
    }
  }

  /**
   * Opens and validates a file: header, element type and that the file size matches the shape.
   *
   * @throws NpyFormatException naming the file when it is not a float array we accept
   */
  public static NpyFile open(Path path) throws IOException {
    return open(path, MAX_MAPPING_BYTES);
  }

  /** As {@link #open(Path)}, with mappings of at most {@code maxMappingBytes} (tests use small ones). */
  static NpyFile open(Path path, long maxMappingBytes) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    try {
      InputStream in = Channels.newInputStream(ch);
      NpyHeader h = Npy.readHeader(in, path.toString());
      return new NpyFile(path, ch, h, maxMappingBytes);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  /** Shape of the whole array, e.g. {@code [500, 5, 1000, 70]}. */
  public Shape shape() {
    return header.shape();
  }

  /** Number of samples: the first dimension. */
  public int count() {
    return header.shape().dim(0);
  }

  /**
   * Copies samples {@code [from, from + n)} into a new tensor shaped {@code [n, ...]}.
   *
   * @throws IndexOutOfBoundsException naming the range and the file's sample count
   */
  public FloatTensor samples(int from, int n) {
    if (from < 0 || n < 1 || from + n > count()) {
      throw new IndexOutOfBoundsException(path + ": samples [" + from + ", " + (from + n) + ") requested, but the file holds "
          + count());
    }
    int per = (int) (sampleBytes / header.bytesPerElement());
    float[] out = new float[n * per];
    for (int i = 0; i < n; i++) {
      int sample = from + i;
      ByteBuffer view = mappings[sample / samplesPerMapping].duplicate().order(header.order());
      view.position((int) ((sample % samplesPerMapping) * sampleBytes));
      if (header.bytesPerElement() == 4) {
        FloatBuffer fb = view.asFloatBuffer();
        fb.get(out, i * per, per);
      } else {
        for (int k = 0; k < per; k++) {
          out[i * per + k] = (float) view.getDouble();
        }
      }
    }
    return new FloatTensor(header.shape().withBatch(n), out);
  }

  /** Closes the file; mapped pages are released when the mappings are collected. */
  @Override
  public void close() throws IOException {
    channel.close();
  }
}
