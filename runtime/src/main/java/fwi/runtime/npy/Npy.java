package fwi.runtime.npy;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes numpy {@code .npy} arrays of floats (format versions 1.0, 2.0 and 3.0).
 *
 * <p>Accepted element types: {@code <f4}, {@code >f4}, {@code <f8}, {@code >f8} (float64 is
 * narrowed to float32 on read). Only C order is accepted. Writing always produces version 1.0
 * little-endian float32, which every numpy reads. Stateless and thread-safe.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** Headers longer than this are refused: real ones are under 200 bytes. */
  static final int MAX_HEADER_BYTES = 64 * 1024;
  /** Values a stream read allocates before any data arrived: 1 MiB; it grows by doubling up to the header's count. */
  static final int INITIAL_STREAM_ELEMENTS = 1 << 18;

  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /**
   * Reads a whole {@code .npy} file.
   *
   * @throws NpyFormatException naming the file when it is not a float array we accept, or when
   *     its size does not match its header
   */
  public static FloatTensor read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      NpyHeader h = readHeader(in, file.toString());
      long available = Files.size(file) - h.dataOffset();
      if (available < h.dataBytes()) {
        throw new NpyFormatException(file + ": data ends after " + Math.max(0, available) + " of " + h.dataBytes()
            + " bytes expected for shape " + h.shape() + " " + h.descr());
      }
      FloatTensor t = readData(in, h, file.toString(), h.shape().elementCount());
      if (in.read() != -1) {
        throw new NpyFormatException(file + ": trailing bytes after the " + t.shape() + " array");
      }
      return t;
    }
  }

  /**
   * Reads one array from a stream (for example an HTTP body); {@code source} names it in errors.
   * Memory grows with the bytes that actually arrive, not with the size the header claims, so a
   * short body with a huge shape costs nothing before it is refused.
   *
   * @throws NpyFormatException when the stream is not a float array we accept or ends early
   */
  public static FloatTensor read(InputStream in, String source) throws IOException {
    NpyHeader h = readHeader(in, source);
    return readData(in, h, source, Math.min(h.shape().elementCount(), INITIAL_STREAM_ELEMENTS));
  }

  /** Reads the data section after {@code h}, starting with room for {@code capacity} values and growing as data arrives. */
  private static FloatTensor readData(InputStream in, NpyHeader h, String source, int capacity) throws IOException {
    int n = h.shape().elementCount();
    float[] out = new float[capacity];
    ReadableByteChannel ch = Channels.newChannel(in);
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(h.order());
    int done = 0;
    long remaining = h.dataBytes();
    while (remaining > 0) {
      buf.clear();
      if (remaining < buf.capacity()) {
        buf.limit((int) remaining);
      }
      while (buf.hasRemaining()) {
        if (ch.read(buf) < 0) {
          throw new NpyFormatException(source + ": data ends after " + (h.dataBytes() - remaining + buf.position())
              + " of " + h.dataBytes() + " bytes expected for shape " + h.shape() + " " + h.descr());
        }
      }
      remaining -= buf.limit();
      buf.flip();
      int k = buf.remaining() / h.bytesPerElement();
      if (done + k > out.length) {
        out = Arrays.copyOf(out, (int) Math.min(n, Math.max(2L * out.length, done + k)));
      }
      if (h.bytesPerElement() == 4) {
        buf.asFloatBuffer().get(out, done, k);
        done += k;
      } else {
        while (buf.hasRemaining()) {
          out[done++] = (float) buf.getDouble();
        }
      }
    }
    return new FloatTensor(h.shape(), out);
  }

  /**
   * Reads and validates the header, leaving the stream at the first data byte.
   *
   * @throws NpyFormatException naming {@code source} and the offending value
   */
  public static NpyHeader readHeader(InputStream in, String source) throws IOException {
    byte[] pre = in.readNBytes(8);
    if (pre.length < 8) {
      throw new NpyFormatException(source + ": too short for a .npy header (" + pre.length + " bytes)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (pre[i] != MAGIC[i]) {
        throw new NpyFormatException(source + ": not a .npy file (magic string \\x93NUMPY missing)");
      }
    }
    int major = pre[6] & 0xff;
    long headerLen;
    int prefix;
    if (major == 1) {
      byte[] l = in.readNBytes(2);
      if (l.length < 2) {
        throw new NpyFormatException(source + ": truncated header length");
      }
      headerLen = (l[0] & 0xff) | ((l[1] & 0xff) << 8);
      prefix = 10;
    } else if (major == 2 || major == 3) {
      byte[] l = in.readNBytes(4);
      if (l.length < 4) {
        throw new NpyFormatException(source + ": truncated header length");
      }
      headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
      prefix = 12;
    } else {
      throw new NpyFormatException(source + ": unsupported .npy format version " + major + "." + (pre[7] & 0xff)
          + " (supported: 1.0, 2.0, 3.0)");
    }
    if (headerLen > MAX_HEADER_BYTES) {
      throw new NpyFormatException(source + ": header length " + headerLen + " exceeds " + MAX_HEADER_BYTES + " bytes");
    }
    byte[] hb = in.readNBytes((int) headerLen);
    if (hb.length < headerLen) {
      throw new NpyFormatException(source + ": header ends after " + hb.length + " of " + headerLen + " bytes");
    }
    String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    String descr = group(DESCR, header, "descr", source);
    String fortran = group(FORTRAN, header, "fortran_order", source);
    String shapeText = group(SHAPE, header, "shape", source);
    if (fortran.equals("True")) {
      throw new NpyFormatException(source + ": Fortran-order arrays are not supported (fortran_order: True)");
    }
    ByteOrder order;
    int width;
    switch (descr) {
      case "<f4" -> { order = ByteOrder.LITTLE_ENDIAN; width = 4; }
      case ">f4" -> { order = ByteOrder.BIG_ENDIAN; width = 4; }
      case "<f8" -> { order = ByteOrder.LITTLE_ENDIAN; width = 8; }
      case ">f8" -> { order = ByteOrder.BIG_ENDIAN; width = 8; }
      default -> throw new NpyFormatException(
          source + ": element type must be float32 or float64 (<f4, >f4, <f8, >f8), but was '" + descr + "'");
    }
    Shape shape = parseShape(shapeText, source);
    return new NpyHeader(width, order, shape, prefix + headerLen);
  }

  private static String group(Pattern p, String header, String key, String source) throws NpyFormatException {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new NpyFormatException(source + ": header has no valid '" + key + "' entry: " + header.strip());
    }
    return m.group(1);
  }

  private static Shape parseShape(String text, String source) throws NpyFormatException {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      if (p.endsWith("L")) {
        p = p.substring(0, p.length() - 1);
      }
      try {
        dims.add(Long.parseLong(p));
      } catch (NumberFormatException e) {
        throw new NpyFormatException(source + ": shape entry '" + p + "' is not an integer in (" + text + ")");
      }
    }
    if (dims.isEmpty()) {
      throw new NpyFormatException(source + ": scalar arrays (shape ()) are not supported");
    }
    long[] d = dims.stream().mapToLong(Long::longValue).toArray();
    try {
      return Shape.of(d);
    } catch (IllegalArgumentException e) {
      throw new NpyFormatException(source + ": " + e.getMessage());
    }
  }

  /** Writes {@code t} as a version 1.0 little-endian float32 {@code .npy} file, replacing it. */
  public static void write(Path file, FloatTensor t) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      write(out, t);
    }
  }

  /** Writes {@code t} as a version 1.0 little-endian float32 {@code .npy} array. */
  public static void write(OutputStream out, FloatTensor t) throws IOException {
    out.write(header(t.shape()));
    float[] data = t.data();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    while (i < data.length) {
      buf.clear();
      int k = Math.min(buf.capacity() / 4, data.length - i);
      buf.asFloatBuffer().put(data, i, k);
      out.write(buf.array(), 0, k * 4);
      i += k;
    }
  }

  /** The encoded header of a little-endian float32 array of this shape, padded to 64 bytes. */
  static byte[] header(Shape shape) {
    StringBuilder s = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < shape.rank(); i++) {
      s.append(shape.dim(i)).append(shape.rank() == 1 ? "," : (i + 1 < shape.rank() ? ", " : ""));
    }
    s.append("), }");
    int unpadded = 10 + s.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    s.append(" ".repeat(pad)).append('\n');
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(MAGIC);
    b.write(1);
    b.write(0);
    int len = s.length();
    b.write(len & 0xff);
    b.write((len >> 8) & 0xff);
    b.writeBytes(s.toString().getBytes(StandardCharsets.ISO_8859_1));
    return b.toByteArray();
  }
}
