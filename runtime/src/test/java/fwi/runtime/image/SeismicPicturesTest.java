package fwi.runtime.image;

import static fwi.runtime.image.SeismicPictures.GAP;
import static fwi.runtime.image.SeismicPictures.INK;
import static fwi.runtime.image.SeismicPictures.TEXT_SCALE;
import static fwi.runtime.image.SeismicPictures.TICK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.image.SeismicPictures.Box;
import fwi.runtime.image.SeismicPictures.GatherLayout;
import fwi.runtime.image.SeismicPictures.Tick;
import fwi.runtime.image.SeismicPictures.VelocityLayout;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeismicPicturesTest {
  private static final VelocityMapStyle OPENFWI = VelocityMapStyle.of(1500, 4500);

  @TempDir
  Path dir;

  /** A 70 x 70 model whose velocity rises linearly with depth from 1500 to 4500 m/s. */
  private static FloatTensor layered() {
    float[] v = new float[70 * 70];
    for (int r = 0; r < 70; r++) {
      for (int c = 0; c < 70; c++) {
        v[r * 70 + c] = 1500 + r * 3000f / 69;
      }
    }
    return new FloatTensor(Shape.of(70, 70), v);
  }

  private static int rgb(BufferedImage img, int x, int y) {
    return img.getRGB(x, y) & 0xFFFFFF;
  }

  private static int centreOfCell(Box map, int cellPx, int index, boolean x) {
    return (x ? map.x() : map.y()) + index * cellPx + cellPx / 2;
  }

  private static long inkIn(BufferedImage img, int x, int y, int w, int h) {
    long n = 0;
    for (int yy = y; yy < y + h; yy++) {
      for (int xx = x; xx < x + w; xx++) {
        if (rgb(img, xx, yy) == INK) {
          n++;
        }
      }
    }
    return n;
  }

  /** Asserts that {@code text} is drawn at ({@code x}, {@code y}), pixel for pixel. */
  private static void assertText(BufferedImage img, String text, int x, int y) {
    int w = BitmapFont.width(text, TEXT_SCALE);
    int h = BitmapFont.height(TEXT_SCALE);
    RgbImage expected = new RgbImage(w, h, 0xFFFFFF);
    expected.drawText(0, 0, text, TEXT_SCALE, INK);
    for (int yy = 0; yy < h; yy++) {
      for (int xx = 0; xx < w; xx++) {
        boolean ink = expected.get(xx, yy) == INK;
        assertEquals(ink, rgb(img, x + xx, y + yy) == INK,
            "'" + text + "' at (" + x + ", " + y + "), pixel (" + xx + ", " + yy + ")");
      }
    }
  }

  // ---- velocity maps ----

  @Test
  void openFwiVelocityMapIs420PixelsWideWithSixPixelCells() throws IOException {
    VelocityLayout l = SeismicPictures.velocityLayout(70, 70, OPENFWI);
    BufferedImage img = PngTest.decode(SeismicPictures.velocityMap(layered(), 1500, 4500));
    assertEquals(6, l.cellPx());
    assertEquals(420, l.map().width());
    assertEquals(420, l.map().height());
    assertEquals(l.width(), img.getWidth());
    assertEquals(l.height(), img.getHeight());
    assertTrue(img.getWidth() < 640 && img.getHeight() < 520, img.getWidth() + " x " + img.getHeight());
  }

  @Test
  void cellsAtTheEndsOfTheRangeTakeTheEndColoursOfTheVelocityMap() throws IOException {
    VelocityLayout l = SeismicPictures.velocityLayout(70, 70, OPENFWI);
    BufferedImage img = PngTest.decode(SeismicPictures.velocityMap(layered(), 1500, 4500));
    int x = centreOfCell(l.map(), 6, 35, true);
    assertEquals(ColourMap.VELOCITY.low(), rgb(img, x, centreOfCell(l.map(), 6, 0, false)));
    assertEquals(ColourMap.VELOCITY.high(), rgb(img, x, centreOfCell(l.map(), 6, 69, false)));
    // every pixel of a cell's block has the cell's colour
    Box m = l.map();
    assertEquals(ColourMap.VELOCITY.low(), rgb(img, m.x(), m.y()));
    assertEquals(ColourMap.VELOCITY.high(), rgb(img, m.x() + m.width() - 1, m.y() + m.height() - 1));
  }

  @Test
  void velocitiesOutsideTheRangeClampToTheEndColours() throws IOException {
    FloatTensor v = new FloatTensor(Shape.of(2, 2), new float[] {-100, 1e9f, 1499, 4501});
    VelocityLayout l = SeismicPictures.velocityLayout(2, 2, OPENFWI);
    BufferedImage img = PngTest.decode(SeismicPictures.velocityMap(v, 1500, 4500));
    int c = l.cellPx();
    assertEquals(ColourMap.VELOCITY.low(), rgb(img, centreOfCell(l.map(), c, 0, true), centreOfCell(l.map(), c, 0, false)));
    assertEquals(ColourMap.VELOCITY.high(), rgb(img, centreOfCell(l.map(), c, 1, true), centreOfCell(l.map(), c, 0, false)));
    assertEquals(ColourMap.VELOCITY.low(), rgb(img, centreOfCell(l.map(), c, 0, true), centreOfCell(l.map(), c, 1, false)));
    assertEquals(ColourMap.VELOCITY.high(), rgb(img, centreOfCell(l.map(), c, 1, true), centreOfCell(l.map(), c, 1, false)));
  }

  @Test
  void colourBarRunsFromTopColourDownToBottomColourGettingDarker() throws IOException {
    VelocityLayout l = SeismicPictures.velocityLayout(70, 70, OPENFWI);
    BufferedImage img = PngTest.decode(SeismicPictures.velocityMap(layered(), 1500, 4500));
    Box b = l.bar();
    assertEquals(l.map().height(), b.height());
    assertTrue(b.x() > l.map().x() + l.map().width());
    int x = b.x() + b.width() / 2;
    assertEquals(ColourMap.VELOCITY.high(), rgb(img, x, b.y()));
    assertEquals(ColourMap.VELOCITY.low(), rgb(img, x, b.y() + b.height() - 1));
    double above = Double.MAX_VALUE;
    for (int y = b.y(); y < b.y() + b.height(); y++) {
      assertEquals(rgb(img, b.x(), y), rgb(img, b.x() + b.width() - 1, y), "bar row " + y + " is not uniform");
      double lum = ColourMapTest.luminance(rgb(img, x, y));
      assertTrue(lum <= above + ColourMapTest.ROUNDING, "colour bar gets lighter at row " + y);
      above = lum;
    }
  }

  @Test
  void velocityMapHasColourBarLabelledInMetresPerSecond() throws IOException {
    VelocityLayout l = SeismicPictures.velocityLayout(70, 70, OPENFWI);
    BufferedImage img = PngTest.decode(SeismicPictures.velocityMap(layered(), 1500, 4500));
    assertEquals(List.of("1500", "2250", "3000", "3750", "4500"), l.barTicks().stream().map(Tick::label).toList());
    Box b = l.bar();
    int gh = BitmapFont.height(TEXT_SCALE);
    for (Tick t : l.barTicks()) {
      assertText(img, t.label(), b.x() + b.width() + 1 + TICK + GAP, b.y() + t.offset() - gh / 2);
      assertEquals(INK, rgb(img, b.x() + b.width() + 2, b.y() + t.offset()), "tick mark for " + t.label());
    }
    assertEquals(b.height() - 1, l.barTicks().get(0).offset());
    assertEquals(0, l.barTicks().get(4).offset());
    assertText(img, "m/s", b.x(), SeismicPictures.PAD + BitmapFont.lineHeight(TEXT_SCALE) + GAP);
  }

  @Test
  void axesAreLabelledInMetresFromTheCellSpacing() throws IOException {
    VelocityLayout l = SeismicPictures.velocityLayout(70, 70, OPENFWI);
    BufferedImage img = PngTest.decode(SeismicPictures.velocityMap(layered(), 1500, 4500));
    List<String> expected = List.of("0", "100", "200", "300", "400", "500", "600");
    assertEquals(expected, l.xTicks().stream().map(Tick::label).toList());
    assertEquals(expected, l.depthTicks().stream().map(Tick::label).toList());
    // 100 m is 10 cells of 6 px; cell 0 is centred at 0 m
    assertEquals(3, l.xTicks().get(0).offset());
    assertEquals(63, l.xTicks().get(1).offset());
    Box m = l.map();
    int gh = BitmapFont.height(TEXT_SCALE);
    assertText(img, "x (m)", m.x() + m.width() / 2 - BitmapFont.width("x (m)", TEXT_SCALE) / 2, SeismicPictures.PAD);
    Tick d = l.depthTicks().get(3);
    assertText(img, "300", m.x() - 1 - TICK - GAP - BitmapFont.width("300", TEXT_SCALE), m.y() + d.offset() - gh / 2);
    // "depth (m)" runs up the left edge
    assertTrue(inkIn(img, SeismicPictures.PAD, m.y(), BitmapFont.lineHeight(TEXT_SCALE), m.height()) > 100);
  }

  @Test
  void cellSpacingIsAParameter() {
    VelocityLayout l = SeismicPictures.velocityLayout(70, 70, new VelocityMapStyle(1500, 4500, 5));
    assertEquals(List.of("0", "50", "100", "150", "200", "250", "300"),
        l.xTicks().stream().map(Tick::label).toList());
  }

  @Test
  void leadingUnitDimensionsAreIgnored() {
    FloatTensor v = layered();
    byte[] plain = SeismicPictures.velocityMap(v, 1500, 4500);
    assertArrayEquals(plain, SeismicPictures.velocityMap(new FloatTensor(Shape.of(1, 70, 70), v.data()), 1500, 4500));
    assertArrayEquals(plain, SeismicPictures.velocityMap(new FloatTensor(Shape.of(1, 1, 70, 70), v.data()), 1500, 4500));
  }

  @Test
  void velocityMapRefusesBatchesAndVectors() {
    IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
        () -> SeismicPictures.velocityMap(FloatTensor.zeros(Shape.of(2, 3, 4, 5)), 1500, 4500));
    assertEquals("velocity map must have shape (H, W), (1, H, W) or (1, 1, H, W), but was [2, 3, 4, 5]",
        batch.getMessage());
    IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
        () -> SeismicPictures.velocityMap(FloatTensor.zeros(Shape.of(1, 2, 4, 5)), 1500, 4500));
    assertEquals("velocity map must have shape (H, W), (1, H, W) or (1, 1, H, W), but was [1, 2, 4, 5]",
        channels.getMessage());
    IllegalArgumentException vector = assertThrows(IllegalArgumentException.class,
        () -> SeismicPictures.velocityMap(FloatTensor.zeros(Shape.of(70)), 1500, 4500));
    assertEquals("velocity map must have shape (H, W), (1, H, W) or (1, 1, H, W), but was [70]", vector.getMessage());
  }

  @Test
  void velocityMapNamesTheIndexOfANonFiniteValue() {
    float[] v = new float[2 * 3];
    v[4] = Float.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SeismicPictures.velocityMap(new FloatTensor(Shape.of(1, 2, 3), v), 1500, 4500));
    assertEquals("velocity map value at [0, 1, 1] must be finite, but was NaN", e.getMessage());
  }

  @Test
  void velocityStyleRefusesAnEmptyRangeAndBadCells() {
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> VelocityMapStyle.of(4500, 1500));
    assertEquals("vMax (m/s) must be greater than vMin 4500.0, but was 1500.0", range.getMessage());
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> VelocityMapStyle.of(Double.NaN, 1));
    assertEquals("vMin (m/s) must be finite, but was NaN", nan.getMessage());
    IllegalArgumentException cell = assertThrows(IllegalArgumentException.class,
        () -> new VelocityMapStyle(1500, 4500, 0));
    assertEquals("cell size (m) must be finite and positive, but was 0.0", cell.getMessage());
  }

  // ---- shot gathers ----

  /** One shot of T samples x R receivers: sample t of every receiver is values[t]. */
  private static FloatTensor rowsOf(int receivers, float... values) {
    float[] d = new float[values.length * receivers];
    for (int t = 0; t < values.length; t++) {
      for (int r = 0; r < receivers; r++) {
        d[t * receivers + r] = values[t];
      }
    }
    return new FloatTensor(Shape.of(values.length, receivers), d);
  }

  private static int sampleColour(BufferedImage img, GatherLayout l, int shot, int sample, int samples) {
    Box p = l.panels().get(shot);
    int perSample = p.height() / samples;
    return rgb(img, p.x() + p.width() / 2, p.y() + sample * perSample + perSample / 2);
  }

  @Test
  void openFwiShotIs280By500PixelsWithReceiversFourPixelsWide() throws IOException {
    FloatTensor g = FloatTensor.zeros(Shape.of(1000, 70));
    g.data()[500 * 70 + 35] = 1;
    BufferedImage img = PngTest.decode(SeismicPictures.shotGather(g, 99));
    GatherLayout l = SeismicPictures.gatherLayout(1, 1000, 70, ShotGatherStyle.defaults(), "x");
    Box p = l.panels().get(0);
    assertEquals(4, l.receiverPx());
    assertEquals(new Box(p.x(), p.y(), 280, 500), p);
    assertTrue(img.getWidth() >= p.x() + 280 && img.getWidth() < p.x() + 400, "width " + img.getWidth());
    assertTrue(img.getHeight() > 500 && img.getHeight() < 640, "height " + img.getHeight());
    // the spike, averaged with its zero neighbour, still saturates red because the 99% clip is 0
    assertEquals(ColourMap.SEISMIC.high(), rgb(img, p.x() + 35 * 4 + 1, p.y() + 250));
    assertEquals(0xFFFFFF, rgb(img, p.x() + 34 * 4 + 1, p.y() + 250));
  }

  @Test
  void zeroIsWhiteAndTheClipLevelsAreTheEndsOfTheSeismicMap() throws IOException {
    // |a| is 0, 1.5, 3, 3, 4, 4 (ten receivers each), so the median is 3: +3 and -3 are the
    // ends of the map and +-4 saturate
    FloatTensor g = rowsOf(10, 0, 3, -3, 4, -4, 1.5f);
    assertEquals(3.0, SeismicPictures.amplitudeClip(g, 50), 1e-12);
    BufferedImage img = PngTest.decode(SeismicPictures.shotGather(g, 50));
    GatherLayout l = SeismicPictures.gatherLayout(1, 6, 10, ShotGatherStyle.clippedAt(50), "x");
    assertEquals(498, l.panels().get(0).height());
    assertEquals(0xFFFFFF, sampleColour(img, l, 0, 0, 6));
    assertEquals(ColourMap.SEISMIC.high(), sampleColour(img, l, 0, 1, 6));
    assertEquals(ColourMap.SEISMIC.low(), sampleColour(img, l, 0, 2, 6));
    assertEquals(ColourMap.SEISMIC.high(), sampleColour(img, l, 0, 3, 6));
    assertEquals(ColourMap.SEISMIC.low(), sampleColour(img, l, 0, 4, 6));
    assertEquals(ColourMap.SEISMIC.colour(0.75), sampleColour(img, l, 0, 5, 6));
  }

  @Test
  void clipIsTheLinearlyInterpolatedPercentileOfMagnitudes() {
    FloatTensor g = new FloatTensor(Shape.of(2, 2), new float[] {-1, 4, 2, -3});
    assertEquals(2.5, SeismicPictures.amplitudeClip(g, 50), 1e-12);
    assertEquals(4.0, SeismicPictures.amplitudeClip(g, 100), 1e-12);
    assertEquals(3.97, SeismicPictures.amplitudeClip(g, 99), 1e-6);
    float[] ramp = new float[101];
    for (int i = 0; i < ramp.length; i++) {
      ramp[i] = i % 2 == 0 ? i : -i;
    }
    assertEquals(99.0, SeismicPictures.amplitudeClip(new FloatTensor(Shape.of(101, 1), ramp), 99), 1e-9);
  }

  @Test
  void allZeroGatherRendersWhite() throws IOException {
    BufferedImage img = PngTest.decode(SeismicPictures.shotGather(FloatTensor.zeros(Shape.of(1000, 70))));
    Box p = SeismicPictures.gatherLayout(1, 1000, 70, ShotGatherStyle.defaults(), "x").panels().get(0);
    for (int y = p.y(); y < p.y() + p.height(); y += 7) {
      for (int x = p.x(); x < p.x() + p.width(); x += 5) {
        assertEquals(0xFFFFFF, rgb(img, x, y));
      }
    }
  }

  @Test
  void severalShotsAreDrawnSideBySideWithLabels() throws IOException {
    float[] d = new float[5 * 1000 * 70];
    for (int s = 0; s < 5; s++) {
      for (int i = 0; i < 1000 * 70; i++) {
        d[s * 1000 * 70 + i] = s % 2 == 0 ? 1 : -1;
      }
    }
    FloatTensor g = new FloatTensor(Shape.of(5, 1000, 70), d);
    byte[] png = SeismicPictures.shotGather(g);
    assertArrayEquals(png, SeismicPictures.shotGather(new FloatTensor(Shape.of(1, 5, 1000, 70), d)));
    BufferedImage img = PngTest.decode(png);
    GatherLayout l = SeismicPictures.gatherLayout(5, 1000, 70, ShotGatherStyle.defaults(), "x");
    for (int s = 0; s < 5; s++) {
      Box p = l.panels().get(s);
      if (s > 0) {
        Box before = l.panels().get(s - 1);
        assertTrue(p.x() > before.x() + before.width() + 2, "no gap before shot " + (s + 1));
        assertEquals(0xFFFFFF, rgb(img, before.x() + before.width() + 4, p.y() + 100));
      }
      assertEquals(s % 2 == 0 ? ColourMap.SEISMIC.high() : ColourMap.SEISMIC.low(), rgb(img, p.x() + 10, p.y() + 10));
      String label = "shot " + (s + 1);
      assertText(img, label, p.x() + p.width() / 2 - BitmapFont.width(label, TEXT_SCALE) / 2, SeismicPictures.PAD);
    }
    assertTrue(img.getWidth() >= l.panels().get(4).x() + 280 + SeismicPictures.PAD, "width " + img.getWidth());
  }

  @Test
  void timeAxisIsInMillisecondsAndReceiversByIndex() throws IOException {
    ShotGatherStyle half = new ShotGatherStyle(99, 0.5);
    GatherLayout l = SeismicPictures.gatherLayout(1, 1000, 70, half, "x");
    assertEquals(List.of("0", "50", "100", "150", "200", "250", "300", "350", "400", "450"),
        l.timeTicks().stream().map(Tick::label).toList());
    assertEquals(List.of("0", "10", "20", "30", "40", "50", "60"),
        l.receiverTicks().stream().map(Tick::label).toList());
    GatherLayout ms = SeismicPictures.gatherLayout(1, 1000, 70, ShotGatherStyle.defaults(), "x");
    assertEquals("900", ms.timeTicks().get(ms.timeTicks().size() - 1).label());
    BufferedImage img = PngTest.decode(SeismicPictures.shotGather(FloatTensor.zeros(Shape.of(1000, 70)), half));
    Box p = l.panels().get(0);
    int gh = BitmapFont.height(TEXT_SCALE);
    Tick t = l.timeTicks().get(2);
    assertText(img, "100", p.x() - 1 - TICK - GAP - BitmapFont.width("100", TEXT_SCALE), p.y() + t.offset() - gh / 2);
    Tick r = l.receiverTicks().get(3);
    assertText(img, "30", p.x() + r.offset() - BitmapFont.width("30", TEXT_SCALE) / 2, p.y() + p.height() + 1 + TICK + GAP);
    assertTrue(inkIn(img, 0, l.labelY(), img.getWidth(), BitmapFont.height(TEXT_SCALE)) > 50, "no 'receiver' label");
  }

  @Test
  void shotGatherRefusesVectorsAndBatches() {
    IllegalArgumentException vector = assertThrows(IllegalArgumentException.class,
        () -> SeismicPictures.shotGather(FloatTensor.zeros(Shape.of(70)), 99));
    assertEquals("shot gather must have shape (T, R), (S, T, R) or (1, S, T, R), but was [70]", vector.getMessage());
    IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
        () -> SeismicPictures.shotGather(FloatTensor.zeros(Shape.of(2, 5, 10, 7)), 99));
    assertEquals("shot gather must have shape (T, R), (S, T, R) or (1, S, T, R), but was [2, 5, 10, 7]",
        batch.getMessage());
  }

  @Test
  void shotGatherNamesTheIndexOfANonFiniteValue() {
    FloatTensor g = FloatTensor.zeros(Shape.of(2, 10, 7));
    g.data()[1 * 70 + 3 * 7 + 5] = Float.NEGATIVE_INFINITY;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SeismicPictures.shotGather(g, 99));
    assertEquals("shot gather value at [1, 3, 5] must be finite, but was -Infinity", e.getMessage());
  }

  @Test
  void clipPercentileMustBeInZeroToHundred() {
    FloatTensor g = FloatTensor.zeros(Shape.of(10, 7));
    IllegalArgumentException high = assertThrows(IllegalArgumentException.class, () -> SeismicPictures.shotGather(g, 120));
    assertEquals("clip percentile must be in (0, 100], but was 120.0", high.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> SeismicPictures.amplitudeClip(g, 0));
    assertEquals("clip percentile must be in (0, 100], but was 0.0", zero.getMessage());
    IllegalArgumentException dt = assertThrows(IllegalArgumentException.class, () -> new ShotGatherStyle(99, -1));
    assertEquals("sample interval (ms) must be finite and positive, but was -1.0", dt.getMessage());
  }

  // ---- files ----

  @Test
  void writesPicturesAtomicallyAndReadsThemBack() throws IOException {
    byte[] png = SeismicPictures.velocityMap(layered(), 1500, 4500);
    Path f = dir.resolve("velocity.png");
    SeismicPictures.write(f, png);
    assertArrayEquals(png, Files.readAllBytes(f));
    BufferedImage img = javax.imageio.ImageIO.read(f.toFile());
    assertEquals(SeismicPictures.velocityLayout(70, 70, OPENFWI).width(), img.getWidth());
    byte[] gather = SeismicPictures.shotGather(FloatTensor.zeros(Shape.of(100, 70)));
    SeismicPictures.write(f, gather);
    assertArrayEquals(gather, Files.readAllBytes(f));
  }
}
