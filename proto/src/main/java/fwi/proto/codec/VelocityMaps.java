package fwi.proto.codec;

import com.google.protobuf.ByteString;
import fwi.proto.v1.VelocityEncoding;
import fwi.proto.v1.VelocityMap;
import fwi.proto.v1.VelocityStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Packs and unpacks {@link VelocityMap}s exactly as {@code inference_result.proto} specifies, so
 * the device that writes a map and the cloud that reads it share one implementation of the
 * contract. Values are m/s, row-major, little-endian.
 */
public final class VelocityMaps {
  private VelocityMaps() {
  }

  /**
   * Packs {@code values} of {@code shape} with {@code encoding}.
   *
   * @throws IllegalArgumentException if the count does not match the shape, a value is not finite,
   *     or the encoding is UNSPECIFIED/unknown
   */
  public static VelocityMap encode(float[] values, int[] shape, VelocityEncoding encoding) {
    long n = 1;
    VelocityMap.Builder b = VelocityMap.newBuilder().setEncoding(encoding);
    for (int d : shape) {
      if (d < 1) {
        throw new IllegalArgumentException("velocity map dimensions must be at least 1, but shape has " + d);
      }
      n *= d;
      b.addShape(d);
    }
    if (n != values.length) {
      throw new IllegalArgumentException("velocity map of shape " + java.util.Arrays.toString(shape) + " needs " + n
          + " values, but got " + values.length);
    }
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException("velocity map value " + i + " is " + values[i] + "; only finite values can be sent");
      }
    }
    switch (encoding) {
      case VELOCITY_ENCODING_FLOAT32 -> {
        ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        b.setData(ByteString.copyFrom(buf.array()));
      }
      case VELOCITY_ENCODING_FLOAT16 -> {
        ByteBuffer buf = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
          buf.putShort(toHalf(v));
        }
        b.setData(ByteString.copyFrom(buf.array()));
      }
      case VELOCITY_ENCODING_UINT16_SCALED -> {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        float scale = max > min ? (max - min) / 65535f : 1f;
        ByteBuffer buf = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
          long q = Math.round((v - min) / scale);
          buf.putShort((short) Math.max(0, Math.min(65535, q)));
        }
        b.setOffsetMPerS(min).setScaleMPerS(scale).setData(ByteString.copyFrom(buf.array()));
      }
      default -> throw new IllegalArgumentException("velocity encoding must be FLOAT32, FLOAT16 or UINT16_SCALED, but was "
          + encoding);
    }
    return b.build();
  }

  /**
   * Unpacks a map to float32 m/s.
   *
   * @throws IllegalArgumentException if the encoding is unknown or the data length does not match the shape
   */
  public static float[] decode(VelocityMap map) {
    long n = 1;
    for (int d : map.getShapeList()) {
      // stop at 2^31 so that the product of up to 2^32-sized dimensions cannot wrap around to a small count
      n = Math.min(n * Integer.toUnsignedLong(d), 1L << 31);
    }
    int width = switch (map.getEncoding()) {
      case VELOCITY_ENCODING_FLOAT32 -> 4;
      case VELOCITY_ENCODING_FLOAT16, VELOCITY_ENCODING_UINT16_SCALED -> 2;
      default -> throw new IllegalArgumentException("velocity map encoding " + map.getEncodingValue()
          + " is not one this reader knows (FLOAT32, FLOAT16, UINT16_SCALED)");
    };
    if (n * width != map.getData().size() || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("velocity map of shape " + map.getShapeList() + " in " + map.getEncoding()
          + " needs " + (n > Integer.MAX_VALUE ? "more than 2^31 values" : n * width + " data bytes") + ", but has "
          + map.getData().size());
    }
    float[] out = new float[(int) n];
    ByteBuffer buf = map.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (map.getEncoding()) {
        case VELOCITY_ENCODING_FLOAT32 -> buf.getFloat();
        case VELOCITY_ENCODING_FLOAT16 -> fromHalf(buf.getShort());
        default -> map.getOffsetMPerS() + map.getScaleMPerS() * Short.toUnsignedInt(buf.getShort());
      };
    }
    return out;
  }

  /** Min, max and mean of {@code values} (exact, on float32). */
  public static VelocityStats stats(float[] values) {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    double sum = 0;
    for (float v : values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    return VelocityStats.newBuilder().setMinMPerS(min).setMaxMPerS(max)
        .setMeanMPerS(values.length == 0 ? 0f : (float) (sum / values.length)).build();
  }

  /** IEEE 754 binary16 of {@code f}, rounded to nearest even; overflow gives infinity. */
  static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >> shift;
      int rem = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
      half++; // may carry into the exponent, which is the correct rounding (up to infinity)
    }
    return (short) (sign | half);
  }

  /** The float value of IEEE 754 binary16 {@code h}. */
  static float fromHalf(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }
}
