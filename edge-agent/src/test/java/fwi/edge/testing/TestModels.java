package fwi.edge.testing;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One-node ONNX models written as protobuf by hand (the agent has no ONNX protobuf classes), with
 * a chosen shape and operator. Field numbers are those of onnx.proto: ModelProto ir_version 1,
 * graph 7, opset_import 8; GraphProto node 1, name 2, initializer 5, input 11, output 12;
 * NodeProto input 1, output 2, name 3, op_type 4; TensorProto dims 1, data_type 2, name 8,
 * raw_data 9; ValueInfoProto name 1, type 2; TypeProto tensor_type 1; Tensor elem_type 1, shape 2;
 * TensorShapeProto dim 1; Dimension dim_value 1, dim_param 2. A dimension of -1 is written as
 * the symbolic dimension "N".
 */
public final class TestModels {
  private TestModels() {}

  /** {@code y = x + c}; with c a velocity, every output is plausible for inputs near 0. */
  public static byte[] plus(float c, long... dims) {
    return binary("Add", c, dims);
  }

  /** {@code y = x / c}; with c = 0 the output is infinite or NaN. */
  public static byte[] dividedBy(float c, long... dims) {
    return binary("Div", c, dims);
  }

  /** {@code y = op(x)}, for example {@code Log} (NaN for negative input) or an operator ORT lacks. */
  public static byte[] unary(String op, long... dims) {
    byte[] node = message(o -> {
      o.writeString(1, "x");
      o.writeString(2, "y");
      o.writeString(3, "n");
      o.writeString(4, op);
    });
    return model(node, new byte[0], dims);
  }

  private static byte[] binary(String op, float c, long... dims) {
    byte[] node = message(o -> {
      o.writeString(1, "x");
      o.writeString(1, "c");
      o.writeString(2, "y");
      o.writeString(3, "n");
      o.writeString(4, op);
    });
    byte[] constant = message(o -> {
      o.writeInt32(2, 1); // FLOAT, scalar
      o.writeString(8, "c");
      o.writeByteArray(9, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(c).array());
    });
    return model(node, constant, dims);
  }

  private static byte[] model(byte[] node, byte[] initializer, long... dims) {
    byte[] graph = message(o -> {
      o.writeByteArray(1, node);
      o.writeString(2, "g");
      if (initializer.length > 0) {
        o.writeByteArray(5, initializer);
      }
      o.writeByteArray(11, value("x", dims));
      o.writeByteArray(12, value("y", dims));
    });
    byte[] opsetImport = message(o -> o.writeInt64(2, 17));
    return message(o -> {
      o.writeInt64(1, 8);
      o.writeByteArray(7, graph);
      o.writeByteArray(8, opsetImport);
    });
  }

  private static byte[] value(String name, long... dims) {
    byte[] shape = message(o -> {
      for (long d : dims) {
        o.writeByteArray(1, message(dim -> {
          if (d < 0) {
            dim.writeString(2, "N");
          } else {
            dim.writeInt64(1, d);
          }
        }));
      }
    });
    byte[] tensor = message(o -> {
      o.writeInt32(1, 1);
      o.writeByteArray(2, shape);
    });
    byte[] type = message(o -> o.writeByteArray(1, tensor));
    return message(o -> {
      o.writeString(1, name);
      o.writeByteArray(2, type);
    });
  }

  private interface Body {
    void write(CodedOutputStream o) throws IOException;
  }

  private static byte[] message(Body b) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream o = CodedOutputStream.newInstance(bytes);
      b.write(o);
      o.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
