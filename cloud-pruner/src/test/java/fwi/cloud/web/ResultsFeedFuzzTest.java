package fwi.cloud.web;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.VelocityEncoding;
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
}
