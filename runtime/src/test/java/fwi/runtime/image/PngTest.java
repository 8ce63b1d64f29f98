package fwi.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngTest {
  @TempDir
  Path dir;

  record Chunk(String type, byte[] data, int storedCrc) {}

  static List<Chunk> chunks(byte[] png) {
    ByteBuffer b = ByteBuffer.wrap(png);
    byte[] sig = new byte[8];
    b.get(sig);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, sig);
    List<Chunk> out = new ArrayList<>();
    while (b.hasRemaining()) {
      int len = b.getInt();
      byte[] type = new byte[4];
      b.get(type);
      byte[] data = new byte[len];
      b.get(data);
      out.add(new Chunk(new String(type, StandardCharsets.US_ASCII), data, b.getInt()));
    }
    return out;
  }

  static BufferedImage decode(byte[] png) throws IOException {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertTrue(img != null, "ImageIO could not read the PNG");
    return img;
  }

  private static RgbImage noise(int w, int h, long seed) {
    Random r = new Random(seed);
    RgbImage img = new RgbImage(w, h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        // mix smooth ramps and noise so that every filter type wins on some row
        int c = y % 3 == 0 ? r.nextInt(1 << 24) : (x * 7 + y * 3) << 8 | (x * 2) & 0xFF;
        img.set(x, y, c);
      }
    }
    return img;
  }

  @Test
  void headerDescribesEightBitRgbWithoutInterlace() {
    List<Chunk> c = chunks(Png.encode(new RgbImage(37, 11)));
    assertEquals(List.of("IHDR", "IDAT", "IEND"), c.stream().map(Chunk::type).toList());
    ByteBuffer ihdr = ByteBuffer.wrap(c.get(0).data());
    assertEquals(13, c.get(0).data().length);
    assertEquals(37, ihdr.getInt());
    assertEquals(11, ihdr.getInt());
    assertEquals(8, ihdr.get()); // bit depth
    assertEquals(2, ihdr.get()); // colour type: truecolour
    assertEquals(0, ihdr.get()); // compression
    assertEquals(0, ihdr.get()); // filter method
    assertEquals(0, ihdr.get()); // interlace
    assertEquals(0, c.get(2).data().length);
  }

  @Test
  void everyChunkCarriesTheCrcOfItsTypeAndData() {
    for (Chunk c : chunks(Png.encode(noise(50, 20, 1)))) {
      CRC32 crc = new CRC32();
      crc.update(c.type().getBytes(StandardCharsets.US_ASCII));
      crc.update(c.data());
      assertEquals((int) crc.getValue(), c.storedCrc(), c.type());
    }
  }

  @Test
  void imageIoDecodesExactlyThePixelsThatWereEncoded() throws IOException {
    RgbImage img = noise(61, 29, 7);
    BufferedImage back = decode(Png.encode(img));
    assertEquals(61, back.getWidth());
    assertEquals(29, back.getHeight());
    for (int y = 0; y < 29; y++) {
      for (int x = 0; x < 61; x++) {
        assertEquals(img.get(x, y), back.getRGB(x, y) & 0xFFFFFF, "pixel (" + x + ", " + y + ")");
      }
    }
  }

  @Test
  void onePixelImageRoundTrips() throws IOException {
    RgbImage img = new RgbImage(1, 1, 0x123456);
    assertEquals(0x123456, decode(Png.encode(img)).getRGB(0, 0) & 0xFFFFFF);
  }

  @Test
  void flatAreasCompressWell() {
    byte[] png = Png.encode(new RgbImage(600, 500, 0xFFFFFF));
    assertTrue(png.length < 5_000, "a blank 600 x 500 picture took " + png.length + " bytes");
  }

  @Test
  void everyFilterReconstructsItsRow() {
    byte[] prev = {10, 20, 30, (byte) 200, (byte) 250, 5};
    byte[] cur = {12, (byte) 140, 31, (byte) 199, 0, (byte) 255};
    byte[] out = new byte[6];
    for (int type = 0; type < 5; type++) {
      Png.filterRow(type, cur, prev, out);
      byte[] rebuilt = new byte[6];
      for (int i = 0; i < 6; i++) {
        int a = i >= 3 ? rebuilt[i - 3] & 0xFF : 0;
        int b = prev[i] & 0xFF;
        int c = i >= 3 ? prev[i - 3] & 0xFF : 0;
        int p = a + b - c;
        int predicted = switch (type) {
          case 0 -> 0;
          case 1 -> a;
          case 2 -> b;
          case 3 -> (a + b) / 2;
          default -> Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a
              : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        };
        rebuilt[i] = (byte) (out[i] + predicted);
      }
      assertArrayEquals(cur, rebuilt, "filter " + type);
    }
  }

  @Test
  void writeReplacesTheFileAndLeavesNoTemporaryFileBehind() throws IOException {
    Path f = dir.resolve("model.png");
    Files.writeString(f, "old picture");
    RgbImage img = noise(9, 4, 3);
    Png.write(f, img);
    assertArrayEquals(Png.encode(img), Files.readAllBytes(f));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(f), files.toList());
    }
  }

  @Test
  void writeIntoAMissingFolderFailsAndCreatesNothing() {
    Path f = dir.resolve("missing").resolve("model.png");
    assertThrows(NoSuchFileException.class, () -> Png.writeAtomically(f, new byte[] {1, 2, 3}));
    assertTrue(Files.notExists(f.getParent()));
  }
}
