package fwi.runtime.image;

import java.util.Arrays;

/**
 * A mutable 8-bit RGB raster, row-major from the top-left corner, one {@code int} per pixel
 * packed as {@code 0xRRGGBB}. Pure Java (no {@code java.awt}) so it works in a native image.
 *
 * <p>Invariants: width and height in [1, {@value #MAX_SIDE}] and at most
 * {@value #MAX_PIXELS} pixels. Colours passed in have their top 8 bits ignored, so ARGB values
 * can be used as they are. Drawing methods clip to the raster; only {@link #get} and {@link #set}
 * insist on coordinates inside it. Not thread-safe.
 */
public final class RgbImage {
  /** Largest width or height, in pixels. */
  public static final int MAX_SIDE = 16_384;
  /** Largest pixel count: 64 Mi pixels, 256 MiB of {@code int}s, already too much for a Pi. */
  public static final int MAX_PIXELS = 1 << 26;

  private final int width;
  private final int height;
  private final int[] rgb;

  /**
   * A raster filled with {@code background}.
   *
   * @throws IllegalArgumentException if a side is outside [1, {@value #MAX_SIDE}] or the pixel
   *     count exceeds {@value #MAX_PIXELS}
   */
  public RgbImage(int width, int height, int background) {
    if (width < 1 || width > MAX_SIDE) {
      throw new IllegalArgumentException("image width must be in [1, " + MAX_SIDE + "], but was " + width);
    }
    if (height < 1 || height > MAX_SIDE) {
      throw new IllegalArgumentException("image height must be in [1, " + MAX_SIDE + "], but was " + height);
    }
    if ((long) width * height > MAX_PIXELS) {
      throw new IllegalArgumentException(
          "image must have at most " + MAX_PIXELS + " pixels, but was " + width + " x " + height);
    }
    this.width = width;
    this.height = height;
    this.rgb = new int[width * height];
    Arrays.fill(rgb, background & 0xFFFFFF);
  }

  /** A black raster; see {@link #RgbImage(int, int, int)}. */
  public RgbImage(int width, int height) {
    this(width, height, 0x000000);
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  /**
   * The colour at column {@code x}, row {@code y}, as {@code 0xRRGGBB}.
   *
   * @throws IndexOutOfBoundsException if the pixel is outside the raster
   */
  public int get(int x, int y) {
    return rgb[index(x, y)];
  }

  /**
   * Sets one pixel.
   *
   * @throws IndexOutOfBoundsException if the pixel is outside the raster
   */
  public void set(int x, int y, int colour) {
    rgb[index(x, y)] = colour & 0xFFFFFF;
  }

  /** Fills the rectangle at ({@code x}, {@code y}) of {@code w} x {@code h} pixels, clipped. */
  public void fillRect(int x, int y, int w, int h, int colour) {
    int x0 = Math.max(0, x);
    int y0 = Math.max(0, y);
    // long arithmetic so a huge w or h cannot wrap round and paint nothing
    int x1 = (int) Math.min(width, (long) x + Math.max(0, w));
    int y1 = (int) Math.min(height, (long) y + Math.max(0, h));
    int c = colour & 0xFFFFFF;
    for (int yy = y0; yy < y1; yy++) {
      Arrays.fill(rgb, yy * width + x0, Math.max(yy * width + x0, yy * width + x1), c);
    }
  }

  /** Draws the 1-pixel outline of the rectangle at ({@code x}, {@code y}), {@code w} x {@code h}, clipped. */
  public void drawRect(int x, int y, int w, int h, int colour) {
    if (w < 1 || h < 1) {
      return;
    }
    fillRect(x, y, w, 1, colour);
    fillRect(x, y + h - 1, w, 1, colour);
    fillRect(x, y, 1, h, colour);
    fillRect(x + w - 1, y, 1, h, colour);
  }

  /**
   * Draws {@code text} left to right in {@link BitmapFont} with its top-left corner at
   * ({@code x}, {@code y}), each font pixel a {@code scale} x {@code scale} block; clipped.
   * Characters the font lacks are drawn as a box.
   *
   * @return the width the text occupies, {@link BitmapFont#width(String, int)}
   * @throws IllegalArgumentException if {@code scale} is outside [1, {@value BitmapFont#MAX_SCALE}]
   */
  public int drawText(int x, int y, String text, int scale, int colour) {
    BitmapFont.checkScale(scale);
    for (int i = 0; i < text.length(); i++) {
      int[] rows = BitmapFont.glyph(text.charAt(i));
      int gx = x + i * BitmapFont.ADVANCE * scale;
      for (int r = 0; r < BitmapFont.GLYPH_HEIGHT; r++) {
        for (int c = 0; c < BitmapFont.GLYPH_WIDTH; c++) {
          if (BitmapFont.isSet(rows, c, r)) {
            fillRect(gx + c * scale, y + r * scale, scale, scale, colour);
          }
        }
      }
    }
    return BitmapFont.width(text, scale);
  }

  /**
   * Draws {@code text} turned 90 degrees anticlockwise (reading bottom to top, as a vertical
   * axis label), so that it fills the box whose top-left corner is ({@code x}, {@code y}), of
   * {@link BitmapFont#lineHeight(int)} x {@link BitmapFont#width(String, int)} pixels; clipped.
   *
   * @return the height the text occupies, {@link BitmapFont#width(String, int)}
   * @throws IllegalArgumentException if {@code scale} is outside [1, {@value BitmapFont#MAX_SCALE}]
   */
  public int drawTextUp(int x, int y, String text, int scale, int colour) {
    BitmapFont.checkScale(scale);
    int length = BitmapFont.width(text, 1);
    for (int i = 0; i < text.length(); i++) {
      int[] rows = BitmapFont.glyph(text.charAt(i));
      for (int r = 0; r < BitmapFont.GLYPH_HEIGHT; r++) {
        for (int c = 0; c < BitmapFont.GLYPH_WIDTH; c++) {
          if (BitmapFont.isSet(rows, c, r)) {
            int along = i * BitmapFont.ADVANCE + c;
            fillRect(x + r * scale, y + (length - 1 - along) * scale, scale, scale, colour);
          }
        }
      }
    }
    return BitmapFont.width(text, scale);
  }

  /** A copy of the pixels, row-major, {@code 0xRRGGBB}. */
  public int[] pixels() {
    return rgb.clone();
  }

  /** The backing array, not copied, so the encoder avoids a 4-byte-per-pixel copy. */
  int[] buffer() {
    return rgb;
  }

  private int index(int x, int y) {
    if (x < 0 || x >= width || y < 0 || y >= height) {
      throw new IndexOutOfBoundsException(
          "pixel (" + x + ", " + y + ") is outside the " + width + " x " + height + " image");
    }
    return y * width + x;
  }

  @Override
  public String toString() {
    return "RgbImage[" + width + " x " + height + "]";
  }
}
