package fwi.cloud.sim;

import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.VelocityEncoding;
import fwi.proto.v1.VelocityMap;
import fwi.proto.v1.VelocityStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small pool of plausible velocity maps, [1, 1, 70, 70] in m/s, float16 as the agent sends them by
 * default (9,800 data bytes, ~9.9 KB per InferenceResult): 2 to 4 layers with curved interfaces,
 * velocity rising with depth from 1,500 to 4,500 m/s, as the OpenFWI "vel" families look. Made once
 * and shared by all devices (encoding a map per message would cost more CPU than the publish).
 */
final class ResultMaps {
  static final int SIDE = 70;
  private static final int[] SHAPE = {1, 1, SIDE, SIDE};

  /** One encoded map and its exact statistics. */
  record Encoded(VelocityMap map, VelocityStats stats) {
  }

  private final List<Encoded> pool;

  ResultMaps(int count, long seed) {
    Random r = new Random(seed);
    List<Encoded> maps = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      float[] v = layered(r);
      maps.add(new Encoded(VelocityMaps.encode(v, SHAPE, VelocityEncoding.VELOCITY_ENCODING_FLOAT16),
          VelocityMaps.stats(v)));
    }
    pool = List.copyOf(maps);
  }

  /** The map for message {@code sequence}. */
  Encoded get(long sequence) {
    return pool.get((int) Math.floorMod(sequence, (long) pool.size()));
  }

  private static float[] layered(Random r) {
    int layers = 2 + r.nextInt(3);
    double[] depth = new double[layers - 1];
    for (int i = 0; i < depth.length; i++) {
      depth[i] = 8 + (SIDE - 16) * (i + 0.5 + 0.4 * (r.nextDouble() - 0.5)) / depth.length;
    }
    float[] velocity = new float[layers];
    for (int i = 0; i < layers; i++) {
      velocity[i] = (float) (1500 + 3000 * (i + r.nextDouble()) / layers);
    }
    double amplitude = 1 + 5 * r.nextDouble();
    double wave = 2 * Math.PI / (40 + 60 * r.nextDouble());
    double phase = 2 * Math.PI * r.nextDouble();
    float[] v = new float[SIDE * SIDE];
    for (int x = 0; x < SIDE; x++) {
      double bend = amplitude * Math.sin(wave * x + phase);
      for (int z = 0; z < SIDE; z++) {
        int layer = 0;
        while (layer < depth.length && z > depth[layer] + bend) {
          layer++;
        }
        v[z * SIDE + x] = velocity[layer];
      }
    }
    return v;
  }
}
