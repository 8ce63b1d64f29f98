package fwi.cloud.web;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.VelocityEncoding;
import fwi.proto.v1.VelocityMap;
import fwi.runtime.image.SeismicPictures;
import fwi.runtime.image.VelocityMapStyle;
import fwi.testing.Fuzz;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile inference results as the dashboard draws them ({@code GET /api/devices/{id}/velocity.png}):
 * a record that parses is drawn, or refused with the IllegalArgumentException {@link ResultsFeed#velocityPng}
 * documents (the resource answers 4xx); never another exception, and never an allocation the record's
 * own size does not pay for. {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class ResultsFeedFuzzTest {
  private static final int TRIES = 400;
  private static final VelocityMapStyle STYLE = VelocityMapStyle.of(1500, 4500);

  static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    float[] v = new float[12 * 9];
    for (int i = 0; i < v.length; i++) {
      v[i] = 1500 + 25 * i;
    }
    for (VelocityEncoding e : List.of(VelocityEncoding.VELOCITY_ENCODING_FLOAT32,
        VelocityEncoding.VELOCITY_ENCODING_FLOAT16, VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED)) {
      seeds.add(InferenceResult.newBuilder().setVelocityMap(VelocityMaps.encode(v, new int[] {1, 1, 12, 9}, e)).build()
          .toByteArray());
    }
    return seeds;
  }

  static Fuzz.Campaign drawing() {
    return Fuzz.campaign("dashboard-velocity-map", input -> {
      InferenceResult r = InferenceResult.parseFrom(input);
      if (r.hasVelocityMap()) {
        SeismicPictures.velocityMap(ResultsFeed.tensor(r.getVelocityMap()), STYLE);
      }
    }).documented(InvalidProtocolBufferException.class, IllegalArgumentException.class);
  }

  @Test
  void drawsOrRefusesHostileVelocityMaps() {
    drawing().seeds(seeds()).run(TRIES);
  }

  private static byte[] mapOfShape(int... shape) {
    VelocityMap.Builder m = VelocityMap.newBuilder().setEncoding(VelocityEncoding.VELOCITY_ENCODING_FLOAT32);
    for (int d : shape) {
      m.addShape(d);
    }
    return InferenceResult.newBuilder().setVelocityMap(m).build().toByteArray();
  }

  /** A 12-byte map claiming 70000 x 70000 behind a zero dimension, and one whose dimensions are above 2^31 as uint32. */
  @Test
  void refusesMapsWhoseShapeClaimsMoreThanTheirDataHolds() {
    drawing().check(mapOfShape(0, 70_000, 70_000));
    drawing().check(mapOfShape(1, 0x80000000, 2));
    drawing().check(mapOfShape(0x80000000, 0x80000000, 4));
  }
}
