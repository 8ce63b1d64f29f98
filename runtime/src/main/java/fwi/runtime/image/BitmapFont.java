package fwi.runtime.image;

/**
 * A fixed-pitch 5 x 7 pixel bitmap font drawn for this project, used by {@link RgbImage} to
 * label pictures without {@code java.awt}.
 *
 * <p>Covers digits, upper- and lower-case ASCII letters, space and {@code .,:-+/=()%#} plus
 * {@code _!?'*<>[]|}. Each glyph sits in a {@value #ADVANCE} x {@value #LINE_HEIGHT} cell (one
 * blank column and row of spacing); lower-case letters use rows 2 to 6 and descenders are
 * folded into the cell, so a line never needs more than {@value #LINE_HEIGHT} rows. Any other
 * character is drawn as a hollow box, never an exception. All sizes are multiplied by an integer
 * scale. Stateless and thread-safe.
 */
public final class BitmapFont {
  /** Glyph width in font pixels. */
  public static final int GLYPH_WIDTH = 5;
  /** Glyph height in font pixels, capital top to baseline. */
  public static final int GLYPH_HEIGHT = 7;
  /** Horizontal distance from one character to the next, in font pixels. */
  public static final int ADVANCE = 6;
  /** Vertical distance from one line to the next, in font pixels. */
  public static final int LINE_HEIGHT = 8;
  /** Largest accepted scale factor. */
  public static final int MAX_SCALE = 64;

  private static final int[][] GLYPHS = new int[128][];
  private static final int[] BOX = rows("##### #...# #...# #...# #...# #...# #####");

  static {
    // Each glyph: seven rows top to bottom, '#' ink, '.' paper, leftmost column first.
    put(' ', "..... ..... ..... ..... ..... ..... .....");
    put('0', ".###. #...# #..## #.#.# ##..# #...# .###.");
    put('1', "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.");
    put('2', ".###. #...# ....# ...#. ..#.. .#... #####");
    put('3', "####. ....# ....# .###. ....# ....# ####.");
    put('4', "...#. ..##. .#.#. #..#. ##### ...#. ...#.");
    put('5', "##### #.... ####. ....# ....# #...# .###.");
    put('6', "..##. .#... #.... ####. #...# #...# .###.");
    put('7', "##### ....# ...#. ..#.. .#... .#... .#...");
    put('8', ".###. #...# #...# .###. #...# #...# .###.");
    put('9', ".###. #...# #...# .#### ....# ...#. .##..");
    put('A', ".###. #...# #...# ##### #...# #...# #...#");
    put('B', "####. #...# #...# ####. #...# #...# ####.");
    put('C', ".###. #...# #.... #.... #.... #...# .###.");
    put('D', "####. #...# #...# #...# #...# #...# ####.");
    put('E', "##### #.... #.... ####. #.... #.... #####");
    put('F', "##### #.... #.... ####. #.... #.... #....");
    put('G', ".###. #...# #.... #.### #...# #...# .####");
    put('H', "#...# #...# #...# ##### #...# #...# #...#");
    put('I', ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.");
    put('J', "..### ...#. ...#. ...#. ...#. #..#. .##..");
    put('K', "#...# #..#. #.#.. ##... #.#.. #..#. #...#");
    put('L', "#.... #.... #.... #.... #.... #.... #####");
    put('M', "#...# ##.## #.#.# #.#.# #...# #...# #...#");
    put('N', "#...# #...# ##..# #.#.# #..## #...# #...#");
    put('O', ".###. #...# #...# #...# #...# #...# .###.");
    put('P', "####. #...# #...# ####. #.... #.... #....");
    put('Q', ".###. #...# #...# #...# #.#.# #..#. .##.#");
    put('R', "####. #...# #...# ####. #.#.. #..#. #...#");
    put('S', ".#### #.... #.... .###. ....# ....# ####.");
    put('T', "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..");
    put('U', "#...# #...# #...# #...# #...# #...# .###.");
    put('V', "#...# #...# #...# #...# #...# .#.#. ..#..");
    put('W', "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.");
    put('X', "#...# #...# .#.#. ..#.. .#.#. #...# #...#");
    put('Y', "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..");
    put('Z', "##### ....# ...#. ..#.. .#... #.... #####");
    put('a', "..... ..... .###. ....# .#### #...# .####");
    put('b', "#.... #.... #.##. ##..# #...# #...# ####.");
    put('c', "..... ..... .###. #.... #.... #...# .###.");
    put('d', "....# ....# .##.# #..## #...# #...# .####");
    put('e', "..... ..... .###. #...# ##### #.... .###.");
    put('f', "..##. .#..# .#... ###.. .#... .#... .#...");
    put('g', "..... ..... .#### #...# .#### ....# .###.");
    put('h', "#.... #.... #.##. ##..# #...# #...# #...#");
    put('i', "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.");
    put('j', "...#. ..... ..##. ...#. ...#. #..#. .##..");
    put('k', "#.... #.... #..#. #.#.. ##... #.#.. #..#.");
    put('l', ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.");
    put('m', "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#");
    put('n', "..... ..... #.##. ##..# #...# #...# #...#");
    put('o', "..... ..... .###. #...# #...# #...# .###.");
    put('p', "..... ..... ####. #...# ####. #.... #....");
    put('q', "..... ..... .#### #...# .#### ....# ....#");
    put('r', "..... ..... #.##. ##..# #.... #.... #....");
    put('s', "..... ..... .#### #.... .###. ....# ####.");
    put('t', ".#... .#... ###.. .#... .#... .#..# ..##.");
    put('u', "..... ..... #...# #...# #...# #..## .##.#");
    put('v', "..... ..... #...# #...# #...# .#.#. ..#..");
    put('w', "..... ..... #...# #...# #.#.# #.#.# .#.#.");
    put('x', "..... ..... #...# .#.#. ..#.. .#.#. #...#");
    put('y', "..... ..... #...# #...# .#### ....# .###.");
    put('z', "..... ..... ##### ...#. ..#.. .#... #####");
    put('.', "..... ..... ..... ..... ..... .##.. .##..");
    put(',', "..... ..... ..... ..... .##.. ..#.. .#...");
    put(':', "..... .##.. .##.. ..... .##.. .##.. .....");
    put('-', "..... ..... ..... ##### ..... ..... .....");
    put('+', "..... ..#.. ..#.. ##### ..#.. ..#.. .....");
    put('/', "..... ....# ...#. ..#.. .#... #.... .....");
    put('=', "..... ..... ##### ..... ##### ..... .....");
    put('(', "...#. ..#.. .#... .#... .#... ..#.. ...#.");
    put(')', ".#... ..#.. ...#. ...#. ...#. ..#.. .#...");
    put('%', "##... ##..# ...#. ..#.. .#... #..## ...##");
    put('#', ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.");
    put('_', "..... ..... ..... ..... ..... ..... #####");
    put('!', "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..");
    put('?', ".###. #...# ....# ...#. ..#.. ..... ..#..");
    put('\'', "..#.. ..#.. .#... ..... ..... ..... .....");
    put('*', "..... ..#.. #.#.# .###. #.#.# ..#.. .....");
    put('<', "...#. ..#.. .#... #.... .#... ..#.. ...#.");
    put('>', ".#... ..#.. ...#. ....# ...#. ..#.. .#...");
    put('[', ".###. .#... .#... .#... .#... .#... .###.");
    put(']', ".###. ...#. ...#. ...#. ...#. ...#. .###.");
    put('|', "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..");
  }

  private BitmapFont() {}

  /** Whether {@code c} has its own glyph; every other character is drawn as a box. */
  public static boolean covers(char c) {
    return c < GLYPHS.length && GLYPHS[c] != null;
  }

  /**
   * Width in pixels of {@code text} at {@code scale}: {@value #ADVANCE} font pixels a character,
   * without the spacing column after the last one; 0 for the empty string.
   *
   * @throws IllegalArgumentException if {@code scale} is outside [1, {@value #MAX_SCALE}]
   */
  public static int width(String text, int scale) {
    checkScale(scale);
    return text.isEmpty() ? 0 : (text.length() * ADVANCE - 1) * scale;
  }

  /**
   * Height in pixels of the glyphs at {@code scale}, {@value #GLYPH_HEIGHT} font pixels.
   *
   * @throws IllegalArgumentException if {@code scale} is outside [1, {@value #MAX_SCALE}]
   */
  public static int height(int scale) {
    checkScale(scale);
    return GLYPH_HEIGHT * scale;
  }

  /**
   * Line pitch in pixels at {@code scale}, {@value #LINE_HEIGHT} font pixels.
   *
   * @throws IllegalArgumentException if {@code scale} is outside [1, {@value #MAX_SCALE}]
   */
  public static int lineHeight(int scale) {
    checkScale(scale);
    return LINE_HEIGHT * scale;
  }

  /** The seven row masks of {@code c}'s glyph (bit 4 is the leftmost column); the box if unknown. */
  static int[] glyph(char c) {
    return covers(c) ? GLYPHS[c] : BOX;
  }

  static boolean isSet(int[] rows, int column, int row) {
    return (rows[row] & (1 << (GLYPH_WIDTH - 1 - column))) != 0;
  }

  static void checkScale(int scale) {
    if (scale < 1 || scale > MAX_SCALE) {
      throw new IllegalArgumentException("font scale must be in [1, " + MAX_SCALE + "], but was " + scale);
    }
  }

  private static void put(char c, String picture) {
    GLYPHS[c] = rows(picture);
  }

  private static int[] rows(String picture) {
    String[] lines = picture.split(" ");
    if (lines.length != GLYPH_HEIGHT) {
      throw new IllegalStateException("glyph needs " + GLYPH_HEIGHT + " rows, but had " + lines.length);
    }
    int[] out = new int[GLYPH_HEIGHT];
    for (int r = 0; r < GLYPH_HEIGHT; r++) {
      if (lines[r].length() != GLYPH_WIDTH) {
        throw new IllegalStateException("glyph row needs " + GLYPH_WIDTH + " columns, but was '" + lines[r] + "'");
      }
      for (int col = 0; col < GLYPH_WIDTH; col++) {
        if (lines[r].charAt(col) == '#') {
          out[r] |= 1 << (GLYPH_WIDTH - 1 - col);
        }
      }
    }
    return out;
  }
}
