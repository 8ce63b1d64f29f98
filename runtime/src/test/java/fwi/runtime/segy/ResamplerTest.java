package fwi.runtime.segy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ResamplerTest {
  @Test
  void copiesTraceWhenIntervalsMatch() {
    float[] in = {1, 2, 3, 4};
    Resampler.Result r = Resampler.resample(in, 1000, 1000, 4);
    assertArrayEquals(in, r.samples());
    assertEquals(0, r.zeroPadded());
    assertEquals(0, r.truncated());
  }

  @Test
  void boxFilterOfEvenWidthGivesEndTapsHalfWeight() {
    float[] out = Resampler.boxFilter(new float[] {0, 0, 4, 0, 0}, 2);
    assertArrayEquals(new float[] {0, 1, 2, 1, 0}, out);
  }

  @Test
  void boxFilterAveragesOnlyExistingTapsAtTheEnds() {
    float[] out = Resampler.boxFilter(new float[] {3, 6, 9}, 3);
    assertArrayEquals(new float[] {4.5f, 6, 7.5f}, out);
  }
}
