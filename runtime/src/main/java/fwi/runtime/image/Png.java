package fwi.runtime.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A minimal PNG encoder: 8-bit truecolour RGB (colour type 2), no interlacing, one IDAT chunk,
 * no ancillary chunks. Each row gets the PNG filter (None, Sub, Up, Average or Paeth) with the
 * smallest sum of absolute residuals, the usual heuristic; flat plot areas then compress to
 * almost nothing. Pure Java ({@code java.util.zip}), no {@code javax.imageio}. Stateless and
 * thread-safe.
 */
public final class Png {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  private static final int BYTES_PER_PIXEL = 3;

  private Png() {}

  /** The PNG file of {@code image}. */
  public static byte[] encode(RgbImage image) {
    int w = image.width();
    int h = image.height();
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + w * h / 4);
    out.writeBytes(SIGNATURE);
    ByteBuffer ihdr = ByteBuffer.allocate(13);
    ihdr.putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array(), 13);
    byte[] idat = deflate(filtered(image));
    chunk(out, "IDAT", idat, idat.length);
    chunk(out, "IEND", new byte[0], 0);
    return out.toByteArray();
  }

  /**
   * Encodes {@code image} and writes it to {@code file} atomically; see {@link #writeAtomically}.
   *
   * @throws IOException if the folder is not writable or the move fails
   */
  public static void write(Path file, RgbImage image) throws IOException {
    writeAtomically(file, encode(image));
  }

  /**
   * Writes {@code bytes} to {@code file} so that readers see either the old file or the whole
   * new one, never a half-written picture: the bytes go to a hidden temporary file in the same
   * folder, are flushed to the device, and the file is moved over {@code file} atomically. Where
   * the file system cannot move atomically, it falls back to a plain replacing move. The
   * temporary file gets the default permissions for new files, and is deleted on failure.
   *
   * @throws IOException if the folder is not writable or the move fails
   */
  public static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null) {
      throw new IOException(file + ": cannot write to a file system root");
    }
    // Same folder, so the rename never crosses file systems; random so concurrent writers
    // of the same picture do not collide.
    Path tmp = dir.resolve("." + target.getFileName() + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        // An SD card losing power after the rename must not leave an empty picture behind.
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The raw scanlines, each prefixed by its filter type byte. */
  private static byte[] filtered(RgbImage image) {
    int w = image.width();
    int h = image.height();
    int[] px = image.buffer();
    int stride = w * BYTES_PER_PIXEL;
    byte[] out = new byte[h * (stride + 1)];
    byte[] prev = new byte[stride];
    byte[] cur = new byte[stride];
    byte[][] candidates = new byte[5][stride];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int c = px[y * w + x];
        cur[3 * x] = (byte) (c >> 16);
        cur[3 * x + 1] = (byte) (c >> 8);
        cur[3 * x + 2] = (byte) c;
      }
      int best = 0;
      long bestCost = Long.MAX_VALUE;
      for (int f = 0; f < 5; f++) {
        long cost = filterRow(f, cur, prev, candidates[f]);
        if (cost < bestCost) {
          bestCost = cost;
          best = f;
        }
      }
      int o = y * (stride + 1);
      out[o] = (byte) best;
      System.arraycopy(candidates[best], 0, out, o + 1, stride);
      byte[] t = prev;
      prev = cur;
      cur = t;
    }
    return out;
  }

  /** Applies filter {@code type} to one row and returns the sum of |residual| as signed bytes. */
  static long filterRow(int type, byte[] cur, byte[] prev, byte[] out) {
    long cost = 0;
    for (int i = 0; i < cur.length; i++) {
      int x = cur[i] & 0xFF;
      int a = i >= BYTES_PER_PIXEL ? cur[i - BYTES_PER_PIXEL] & 0xFF : 0;
      int b = prev[i] & 0xFF;
      int c = i >= BYTES_PER_PIXEL ? prev[i - BYTES_PER_PIXEL] & 0xFF : 0;
      int predicted = switch (type) {
        case 0 -> 0;
        case 1 -> a;
        case 2 -> b;
        case 3 -> (a + b) >>> 1;
        default -> paeth(a, b, c);
      };
      byte r = (byte) (x - predicted);
      out[i] = r;
      cost += Math.abs(r);
    }
    return cost;
  }

  private static int paeth(int a, int b, int c) {
    int p = a + b - c;
    int pa = Math.abs(p - a);
    int pb = Math.abs(p - b);
    int pc = Math.abs(p - c);
    if (pa <= pb && pa <= pc) {
      return a;
    }
    return pb <= pc ? b : c;
  }

  private static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION);
    try {
      d.setInput(raw);
      d.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, raw.length / 8));
      byte[] buf = new byte[1 << 16];
      while (!d.finished()) {
        int n = d.deflate(buf);
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } finally {
      // Deflater holds native zlib memory until ended; do not wait for the GC on a Pi.
      d.end();
    }
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data, int length) {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data, 0, length);
    ByteBuffer b = ByteBuffer.allocate(4);
    out.writeBytes(b.putInt(length).array());
    out.writeBytes(t);
    out.write(data, 0, length);
    out.writeBytes(b.clear().putInt((int) crc.getValue()).array());
  }
}
