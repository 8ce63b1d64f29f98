package fwi.runtime.image;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * PNG pictures of FWI data for dashboards and reports: velocity models and shot gathers, with
 * axes, tick labels and (for velocities) a colour bar. Pure Java, no {@code java.awt}, so it runs
 * in a native image on the Pi. Stateless and thread-safe.
 *
 * <p>Velocity maps: each cell becomes a square block of {@code max(1, 420 / max(H, W))} pixels
 * (6 for OpenFWI's 70 x 70), depth downward, x across, colours from {@link ColourMap#VELOCITY};
 * tick values are in metres with cell {@code i} centred at {@code i * cellMetres}.
 *
 * <p>Shot gathers: each receiver becomes a column {@code max(1, 280 / R)} pixels wide (4 for 70
 * receivers), time downward; 500 or more samples are averaged into 500 rows, fewer are repeated
 * a whole number of times (up to 500 rows). Several shots are drawn side by side, all with the
 * same clip so their amplitudes compare. Colours from {@link ColourMap#SEISMIC}, white at zero.
 */
public final class SeismicPictures {
  /** OpenFWI grid spacing: 10 m cells. */
  public static final double DEFAULT_CELL_METRES = 10.0;
  /** OpenFWI time sampling: 1 ms. */
  public static final double DEFAULT_SAMPLE_INTERVAL_MS = 1.0;
  /** Clip shot gathers at the 99th percentile of |amplitude|, so a few spikes do not wash out the rest. */
  public static final double DEFAULT_CLIP_PERCENTILE = 99.0;

  /** Aimed-for side of a velocity map in pixels: 70 cells of 6 px. */
  static final int MAP_TARGET_PX = 420;
  /** Aimed-for width of one shot panel in pixels: 70 receivers of 4 px. */
  static final int SHOT_TARGET_WIDTH_PX = 280;
  /** Aimed-for height of a shot panel in pixels. */
  static final int GATHER_TARGET_HEIGHT_PX = 500;
  static final int TEXT_SCALE = 2;
  static final int BACKGROUND = 0xFFFFFF;
  static final int INK = 0x1A1A1A;
  static final int PAD = 10;
  static final int GAP = 4;
  static final int TICK = 5;
  static final int BAR_GAP = 24;
  static final int BAR_WIDTH = 20;

  private SeismicPictures() {}

  /** A rectangle of pixels, top-left corner and size. */
  record Box(int x, int y, int width, int height) {
    boolean contains(int px, int py) {
      return px >= x && px < x + width && py >= y && py < y + height;
    }
  }

  /** A tick: pixel offset from the start of its axis, and its label. */
  record Tick(int offset, String label) {}

  /**
   * Where everything of a velocity map goes.
   *
   * @param cellPx side of one cell's block of pixels
   */
  record VelocityLayout(int width, int height, Box map, Box bar, int cellPx, List<Tick> xTicks,
      List<Tick> depthTicks, List<Tick> barTicks) {}

  /**
   * Where everything of a shot-gather picture goes.
   *
   * @param panels one box per shot, left to right
   * @param receiverPx width of one receiver's column of pixels
   * @param labelY top of the "receiver" axis label; the clip note is one line below it
   */
  record GatherLayout(int width, int height, List<Box> panels, int receiverPx, List<Tick> timeTicks,
      List<Tick> receiverTicks, int labelY) {}

  /**
   * PNG of velocity model {@code v} in m/s coloured over {@code [vMinMs, vMaxMs]} on the default
   * {@value #DEFAULT_CELL_METRES} m grid; see {@link #velocityMap(FloatTensor, VelocityMapStyle)}.
   *
   * @throws IllegalArgumentException if the range is empty or not finite, or as
   *     {@link #velocityMap(FloatTensor, VelocityMapStyle)}
   */
  public static byte[] velocityMap(FloatTensor v, double vMinMs, double vMaxMs) {
    return velocityMap(v, VelocityMapStyle.of(vMinMs, vMaxMs));
  }

  /**
   * PNG of velocity model {@code v} in m/s.
   *
   * @param v shape (H, W), (1, H, W) or (1, 1, H, W); row 0 is the surface
   * @throws IllegalArgumentException if the shape is not one of those, or a value is NaN or
   *     infinite (naming its index and value)
   */
  public static byte[] velocityMap(FloatTensor v, VelocityMapStyle style) {
    return Png.encode(velocityMapImage(v, style));
  }

  /**
   * The raster behind {@link #velocityMap(FloatTensor, VelocityMapStyle)}, for callers that
   * compose pictures; values outside the style's range take the end colours.
   *
   * @throws IllegalArgumentException as {@link #velocityMap(FloatTensor, VelocityMapStyle)}
   */
  public static RgbImage velocityMapImage(FloatTensor v, VelocityMapStyle style) {
    Shape s = v.shape();
    boolean ok = s.rank() == 2
        || (s.rank() == 3 && s.dim(0) == 1)
        || (s.rank() == 4 && s.dim(0) == 1 && s.dim(1) == 1);
    if (!ok) {
      throw new IllegalArgumentException(
          "velocity map must have shape (H, W), (1, H, W) or (1, 1, H, W), but was " + s);
    }
    checkFinite(v, "velocity map");
    int rows = s.dim(s.rank() - 2);
    int cols = s.dim(s.rank() - 1);
    VelocityLayout l = velocityLayout(rows, cols, style);
    RgbImage img = new RgbImage(l.width(), l.height(), BACKGROUND);
    float[] d = v.data();
    double range = style.vMaxMs() - style.vMinMs();
    Box m = l.map();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int colour = ColourMap.VELOCITY.colour((d[r * cols + c] - style.vMinMs()) / range);
        img.fillRect(m.x() + c * l.cellPx(), m.y() + r * l.cellPx(), l.cellPx(), l.cellPx(), colour);
      }
    }
    Box b = l.bar();
    for (int j = 0; j < b.height(); j++) {
      double t = b.height() == 1 ? 1 : 1 - j / (b.height() - 1.0);
      img.fillRect(b.x(), b.y() + j, b.width(), 1, ColourMap.VELOCITY.colour(t));
    }
    frame(img, m);
    frame(img, b);

    int gh = BitmapFont.height(TEXT_SCALE);
    int lh = BitmapFont.lineHeight(TEXT_SCALE);
    centred(img, "x (m)", m.x() + m.width() / 2, PAD);
    for (Tick t : l.xTicks()) {
      img.fillRect(m.x() + t.offset(), m.y() - 1 - TICK, 1, TICK, INK);
      centred(img, t.label(), m.x() + t.offset(), m.y() - 1 - TICK - GAP - gh);
    }
    leftAxis(img, m, l.depthTicks(), "depth (m)");
    img.drawText(b.x(), PAD + lh + GAP, "m/s", TEXT_SCALE, INK);
    for (Tick t : l.barTicks()) {
      img.fillRect(b.x() + b.width() + 1, b.y() + t.offset(), TICK, 1, INK);
      img.drawText(b.x() + b.width() + 1 + TICK + GAP, b.y() + t.offset() - gh / 2, t.label(), TEXT_SCALE, INK);
    }
    return img;
  }

  static VelocityLayout velocityLayout(int rows, int cols, VelocityMapStyle style) {
    int cell = Math.max(1, MAP_TARGET_PX / Math.max(rows, cols));
    int gh = BitmapFont.height(TEXT_SCALE);
    int lh = BitmapFont.lineHeight(TEXT_SCALE);
    double metres = style.cellMetres();
    List<Tick> xTicks = axisTicks(cols, metres, cell, true);
    List<Tick> depthTicks = axisTicks(rows, metres, cell, false);
    int mapH = rows * cell;
    List<Tick> barTicks = new ArrayList<>();
    int barTickCount = 5;
    for (int k = 0; k < barTickCount; k++) {
      double f = k / (barTickCount - 1.0);
      double value = style.vMinMs() + f * (style.vMaxMs() - style.vMinMs());
      barTicks.add(new Tick((int) Math.round((1 - f) * (mapH - 1)), label(value)));
    }
    int mapX = PAD + lh + GAP + widest(depthTicks) + GAP + TICK + 1;
    int mapY = PAD + lh + GAP + gh + GAP + TICK + 1;
    Box map = new Box(mapX, mapY, cols * cell, mapH);
    Box bar = new Box(mapX + map.width() + BAR_GAP, mapY, BAR_WIDTH, mapH);
    int width = bar.x() + bar.width() + 1 + TICK + GAP + Math.max(widest(barTicks), BitmapFont.width("m/s", TEXT_SCALE))
        + PAD;
    int height = Math.max(mapY + mapH + gh / 2 + PAD, mapY + BitmapFont.width("depth (m)", TEXT_SCALE) + PAD);
    return new VelocityLayout(width, height, map, bar, cell, xTicks, depthTicks, barTicks);
  }

  /**
   * PNG of shot gathers clipped at {@value #DEFAULT_CLIP_PERCENTILE}% with
   * {@value #DEFAULT_SAMPLE_INTERVAL_MS} ms sampling; see
   * {@link #shotGather(FloatTensor, ShotGatherStyle)}.
   */
  public static byte[] shotGather(FloatTensor g) {
    return shotGather(g, ShotGatherStyle.defaults());
  }

  /**
   * PNG of shot gathers clipped at {@code clipPercentile} of |amplitude| with
   * {@value #DEFAULT_SAMPLE_INTERVAL_MS} ms sampling; see
   * {@link #shotGather(FloatTensor, ShotGatherStyle)}.
   *
   * @throws IllegalArgumentException if {@code clipPercentile} is outside (0, 100]
   */
  public static byte[] shotGather(FloatTensor g, double clipPercentile) {
    return shotGather(g, ShotGatherStyle.clippedAt(clipPercentile));
  }

  /**
   * PNG of one or more shot gathers, side by side, labelled "shot 1" to "shot S". Amplitudes
   * within ± {@link #amplitudeClip(FloatTensor, double)} span the seismic colour map, larger ones
   * saturate; an all-zero gather is plain white.
   *
   * @param g shape (T, R), (S, T, R) or (1, S, T, R): shots, time samples, receivers
   * @throws IllegalArgumentException if the shape is not one of those, or a value is NaN or
   *     infinite (naming its index and value)
   */
  public static byte[] shotGather(FloatTensor g, ShotGatherStyle style) {
    return Png.encode(shotGatherImage(g, style));
  }

  /**
   * The raster behind {@link #shotGather(FloatTensor, ShotGatherStyle)}, for callers that compose
   * pictures.
   *
   * @throws IllegalArgumentException as {@link #shotGather(FloatTensor, ShotGatherStyle)}
   */
  public static RgbImage shotGatherImage(FloatTensor g, ShotGatherStyle style) {
    Shape s = g.shape();
    checkGatherShape(s);
    checkFinite(g, "shot gather");
    int shots = s.rank() == 2 ? 1 : s.dim(s.rank() - 3);
    int samples = s.dim(s.rank() - 2);
    int receivers = s.dim(s.rank() - 1);
    double clip = percentileOfMagnitude(g.data(), style.clipPercentile());
    String note = clipNote(style.clipPercentile(), clip);
    GatherLayout l = gatherLayout(shots, samples, receivers, style, note);
    RgbImage img = new RgbImage(l.width(), l.height(), BACKGROUND);
    float[] d = g.data();
    int rows = l.panels().get(0).height();
    int rp = l.receiverPx();
    int gh = BitmapFont.height(TEXT_SCALE);
    for (int shot = 0; shot < shots; shot++) {
      Box p = l.panels().get(shot);
      int base = shot * samples * receivers;
      for (int row = 0; row < rows; row++) {
        int from;
        int to;
        if (samples >= GATHER_TARGET_HEIGHT_PX) {
          from = (int) ((long) row * samples / rows);
          to = (int) ((long) (row + 1) * samples / rows);
        } else {
          from = row / (rows / samples);
          to = from + 1;
        }
        for (int r = 0; r < receivers; r++) {
          double sum = 0;
          for (int t = from; t < to; t++) {
            sum += d[base + t * receivers + r];
          }
          int colour = ColourMap.SEISMIC.colour(seismicPosition(sum / (to - from), clip));
          img.fillRect(p.x() + r * rp, p.y() + row, rp, 1, colour);
        }
      }
      frame(img, p);
      centred(img, "shot " + (shot + 1), p.x() + p.width() / 2, PAD);
      for (Tick t : l.receiverTicks()) {
        img.fillRect(p.x() + t.offset(), p.y() + p.height() + 1, 1, TICK, INK);
        centred(img, t.label(), p.x() + t.offset(), p.y() + p.height() + 1 + TICK + GAP);
      }
    }
    Box first = l.panels().get(0);
    Box last = l.panels().get(shots - 1);
    leftAxis(img, first, l.timeTicks(), "time (ms)");
    int lh = BitmapFont.lineHeight(TEXT_SCALE);
    centred(img, "receiver", (first.x() + last.x() + last.width()) / 2, l.labelY());
    img.drawText(first.x(), l.labelY() + lh + GAP, note, TEXT_SCALE, INK);
    return img;
  }

  static GatherLayout gatherLayout(int shots, int samples, int receivers, ShotGatherStyle style, String note) {
    int rp = Math.max(1, SHOT_TARGET_WIDTH_PX / receivers);
    int rows = samples >= GATHER_TARGET_HEIGHT_PX
        ? GATHER_TARGET_HEIGHT_PX
        : samples * (GATHER_TARGET_HEIGHT_PX / samples);
    int gh = BitmapFont.height(TEXT_SCALE);
    int lh = BitmapFont.lineHeight(TEXT_SCALE);
    List<Tick> timeTicks = axisTicks(samples, style.sampleIntervalMs(), rows / (double) samples, false);
    List<Tick> receiverTicks = axisTicks(receivers, 1, rp, true);
    int panelW = receivers * rp;
    // Room for a label hanging over the right edge of one panel and one over the left of the next.
    int shotGap = Math.max(BAR_GAP, widest(receiverTicks) + 2 * GAP);
    int x0 = PAD + lh + GAP + widest(timeTicks) + GAP + TICK + 1;
    int y0 = PAD + lh + GAP + 1;
    List<Box> panels = new ArrayList<>();
    for (int i = 0; i < shots; i++) {
      panels.add(new Box(x0 + i * (panelW + shotGap), y0, panelW, rows));
    }
    int labelY = y0 + rows + 1 + TICK + GAP + lh + GAP;
    int right = x0 + shots * panelW + (shots - 1) * shotGap;
    int width = Math.max(right, x0 + BitmapFont.width(note, TEXT_SCALE)) + PAD;
    int height = Math.max(labelY + lh + GAP + gh + PAD, y0 + BitmapFont.width("time (ms)", TEXT_SCALE) + PAD);
    return new GatherLayout(width, height, panels, rp, timeTicks, receiverTicks, labelY);
  }

  /**
   * The clip level of {@link #shotGather(FloatTensor, ShotGatherStyle)}: the {@code percentile}
   * of |amplitude| over all of {@code g}, interpolating linearly between the two nearest ranks as
   * {@code numpy.percentile} does by default. For example, |a| = 1, 2, 3, 4 at 50 gives 2.5.
   *
   * @throws IllegalArgumentException if {@code percentile} is outside (0, 100], or a value is NaN
   *     or infinite
   */
  public static double amplitudeClip(FloatTensor g, double percentile) {
    ShotGatherStyle.checkPercentile(percentile);
    checkFinite(g, "shot gather");
    return percentileOfMagnitude(g.data(), percentile);
  }

  /**
   * Writes a picture so that readers never see half of it; see {@link Png#writeAtomically}.
   *
   * @throws IOException if the folder is not writable or the move fails
   */
  public static void write(Path file, byte[] png) throws IOException {
    Png.writeAtomically(file, png);
  }

  private static double percentileOfMagnitude(float[] values, double percentile) {
    float[] a = new float[values.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.abs(values[i]);
    }
    Arrays.sort(a);
    double pos = percentile / 100.0 * (a.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(a.length - 1, lo + 1);
    return a[lo] + (a[hi] - (double) a[lo]) * (pos - lo);
  }

  /** Position on the seismic map: -clip at 0, zero at 0.5, +clip at 1; a zero clip saturates any non-zero value. */
  static double seismicPosition(double value, double clip) {
    if (clip > 0) {
      return 0.5 + 0.5 * value / clip;
    }
    return value > 0 ? 1 : value < 0 ? 0 : 0.5;
  }

  private static String clipNote(double percentile, double clip) {
    return "clip at " + label(percentile) + "% of |a|: " + String.format(Locale.ROOT, "%.3g", clip);
  }

  private static void checkGatherShape(Shape s) {
    boolean ok = s.rank() == 2 || s.rank() == 3 || (s.rank() == 4 && s.dim(0) == 1);
    if (!ok) {
      throw new IllegalArgumentException(
          "shot gather must have shape (T, R), (S, T, R) or (1, S, T, R), but was " + s);
    }
  }

  private static void checkFinite(FloatTensor t, String what) {
    int i = t.firstNonFinite();
    if (i >= 0) {
      throw new IllegalArgumentException(
          what + " value at " + index(t.shape(), i) + " must be finite, but was " + t.data()[i]);
    }
  }

  /** The C-order index of flat position {@code flat}, printed like {@link Shape}. */
  static String index(Shape shape, int flat) {
    int[] idx = new int[shape.rank()];
    for (int k = shape.rank() - 1; k >= 0; k--) {
      idx[k] = flat % shape.dim(k);
      flat /= shape.dim(k);
    }
    return Arrays.toString(idx);
  }

  /**
   * Ticks at round values (1, 2 or 5 times a power of ten) along an axis of {@code count} cells,
   * cell {@code i} at value {@code i * unit} and centred at pixel {@code (i + 0.5) * pxPerCell};
   * the step is the smallest that keeps labels apart.
   */
  static List<Tick> axisTicks(int count, double unit, double pxPerCell, boolean horizontal) {
    double extent = (count - 1) * unit;
    // No step below one line height can fit a label, so start there, not at 1 unit: a
    // million-sample trace would otherwise try a million ticks first.
    double step = Math.pow(10, Math.floor(Math.log10(unit * BitmapFont.lineHeight(TEXT_SCALE) / pxPerCell)));
    int[] mantissas = {1, 2, 5};
    for (int k = 0; ; k++) {
      double candidate = mantissas[k % 3] * step * Math.pow(10, k / 3);
      List<Tick> ticks = ticksEvery(candidate, extent, unit, pxPerCell);
      double gapPx = candidate / unit * pxPerCell;
      double needed = horizontal
          ? widest(ticks) + 3 * BitmapFont.ADVANCE * TEXT_SCALE / 2.0
          : 2 * BitmapFont.lineHeight(TEXT_SCALE);
      if (gapPx >= needed || candidate > extent) {
        return ticks;
      }
    }
  }

  private static List<Tick> ticksEvery(double step, double extent, double unit, double pxPerCell) {
    List<Tick> ticks = new ArrayList<>();
    // the small slack lets a tick land on the last cell despite rounding in k * step
    for (int k = 0; k * step <= extent * (1 + 1e-9); k++) {
      double value = k * step;
      ticks.add(new Tick((int) Math.floor((value / unit + 0.5) * pxPerCell), label(value)));
    }
    return ticks;
  }

  /** A short label: at most six significant digits, no trailing zeros, no exponent. */
  static String label(double value) {
    if (value == 0) {
      return "0";
    }
    return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
  }

  private static int widest(List<Tick> ticks) {
    int w = 0;
    for (Tick t : ticks) {
      w = Math.max(w, BitmapFont.width(t.label(), TEXT_SCALE));
    }
    return w;
  }

  /** Ticks with right-aligned labels left of {@code box}, and {@code title} written upwards at the left edge. */
  private static void leftAxis(RgbImage img, Box box, List<Tick> ticks, String title) {
    int gh = BitmapFont.height(TEXT_SCALE);
    for (Tick t : ticks) {
      img.fillRect(box.x() - 1 - TICK, box.y() + t.offset(), TICK, 1, INK);
      int w = BitmapFont.width(t.label(), TEXT_SCALE);
      img.drawText(box.x() - 1 - TICK - GAP - w, box.y() + t.offset() - gh / 2, t.label(), TEXT_SCALE, INK);
    }
    img.drawTextUp(PAD, Math.max(PAD, box.y() + (box.height() - BitmapFont.width(title, TEXT_SCALE)) / 2), title,
        TEXT_SCALE, INK);
  }

  private static void centred(RgbImage img, String text, int centreX, int y) {
    img.drawText(centreX - BitmapFont.width(text, TEXT_SCALE) / 2, y, text, TEXT_SCALE, INK);
  }

  /** A 1-pixel frame just outside {@code b}, so the data pixels stay untouched. */
  private static void frame(RgbImage img, Box b) {
    img.drawRect(b.x() - 1, b.y() - 1, b.width() + 2, b.height() + 2, INK);
  }
}
