package fwi.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BitmapFontTest {
  private static final String REQUIRED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:-+/=()%#";
  private static final int[] BOX = {0b11111, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11111};

  @Test
  void coversDigitsLettersSpaceAndPlotPunctuation() {
    for (char c : REQUIRED.toCharArray()) {
      assertTrue(BitmapFont.covers(c), "no glyph for '" + c + "'");
    }
  }

  @Test
  void everyVisibleGlyphHasInkAndNoneLooksLikeAnotherOrTheBox() {
    Map<String, Character> seen = new HashMap<>();
    for (char c = 0; c < 128; c++) {
      if (!BitmapFont.covers(c) || c == ' ') {
        continue;
      }
      int[] rows = BitmapFont.glyph(c);
      assertTrue(Arrays.stream(rows).anyMatch(r -> r != 0), "glyph '" + c + "' is blank");
      assertFalse(Arrays.equals(BOX, rows), "glyph '" + c + "' is the unknown-character box");
      Character before = seen.put(Arrays.toString(rows), c);
      assertEquals(null, before, "glyphs '" + before + "' and '" + c + "' are identical");
    }
  }

  @Test
  void spaceIsBlank() {
    assertArrayEquals(new int[7], BitmapFont.glyph(' '));
  }

  @Test
  void unknownCharactersAreDrawnAsABox() {
    assertFalse(BitmapFont.covers('\u00b5'));
    assertArrayEquals(BOX, BitmapFont.glyph('\u00b5'));
    assertArrayEquals(BOX, BitmapFont.glyph('\t'));
    RgbImage img = new RgbImage(8, 9, 0xFFFFFF);
    img.drawText(1, 1, "\u20ac", 1, 0);
    assertEquals(0, img.get(1, 1));
    assertEquals(0, img.get(5, 7));
    assertEquals(0xFFFFFF, img.get(3, 4));
  }

  @Test
  void textWidthLeavesNoSpacingAfterTheLastCharacter() {
    assertEquals(0, BitmapFont.width("", 3));
    assertEquals(5, BitmapFont.width("m", 1));
    assertEquals(29 * 2, BitmapFont.width("m/s 1", 2));
    assertEquals(14, BitmapFont.height(2));
    assertEquals(16, BitmapFont.lineHeight(2));
  }

  @Test
  void refusesScaleOutsideOneToSixtyFour() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BitmapFont.width("x", 0));
    assertEquals("font scale must be in [1, 64], but was 0", e.getMessage());
  }
}
