package fwi.runtime.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RgbImageTest {
  @Test
  void startsFilledWithTheBackgroundIgnoringAlpha() {
    RgbImage img = new RgbImage(3, 2, 0xFF102030);
    assertEquals(0x102030, img.get(2, 1));
    assertEquals(6, img.pixels().length);
  }

  @Test
  void refusesEmptyOrHugeSides() {
    IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> new RgbImage(0, 5));
    assertEquals("image width must be in [1, 16384], but was 0", w.getMessage());
    IllegalArgumentException h = assertThrows(IllegalArgumentException.class, () -> new RgbImage(5, 20000));
    assertEquals("image height must be in [1, 16384], but was 20000", h.getMessage());
    IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> new RgbImage(16384, 16384));
    assertEquals("image must have at most 67108864 pixels, but was 16384 x 16384", n.getMessage());
  }

  @Test
  void setAndGetInsistOnPixelsInside() {
    RgbImage img = new RgbImage(4, 3);
    img.set(3, 2, 0xABCDEF);
    assertEquals(0xABCDEF, img.get(3, 2));
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> img.set(4, 0, 1));
    assertEquals("pixel (4, 0) is outside the 4 x 3 image", e.getMessage());
  }

  @Test
  void fillRectClipsToTheImage() {
    RgbImage img = new RgbImage(4, 4, 0);
    img.fillRect(-2, 2, 4, 10, 0x00FF00);
    img.fillRect(3, 3, Integer.MAX_VALUE, Integer.MAX_VALUE, 0xFF0000);
    assertEquals(0x00FF00, img.get(0, 3));
    assertEquals(0x00FF00, img.get(1, 2));
    assertEquals(0, img.get(2, 2));
    assertEquals(0, img.get(1, 1));
    assertEquals(0xFF0000, img.get(3, 3));
  }

  @Test
  void textIsScaledByWholePixelBlocks() {
    RgbImage img = new RgbImage(20, 20, 0xFFFFFF);
    int w = img.drawText(2, 3, "1", 2, 0x000000);
    assertEquals(10, w);
    // the top of '1' is the single pixel in column 2 of row 0: a 2 x 2 block at (6, 3)
    assertEquals(0, img.get(6, 3));
    assertEquals(0, img.get(7, 4));
    assertEquals(0xFFFFFF, img.get(5, 3));
    assertEquals(0xFFFFFF, img.get(8, 3));
  }

  @Test
  void upwardTextReadsFromBottomToTop() {
    RgbImage img = new RgbImage(10, 20, 0xFFFFFF);
    int h = img.drawTextUp(1, 2, "L-", 1, 0);
    assertEquals(11, h);
    // the upright stroke of 'L' (its column 0) becomes the bottom row of the box
    for (int r = 0; r < 7; r++) {
      assertEquals(0, img.get(1 + r, 2 + 10), "row " + r);
    }
    // the bar of '-' (row 3, columns 0-4) becomes a vertical line near the top
    for (int c = 0; c < 5; c++) {
      assertEquals(0, img.get(1 + 3, 2 + 10 - 6 - c), "column " + c);
    }
    assertEquals(0xFFFFFF, img.get(1, 2));
  }
}
