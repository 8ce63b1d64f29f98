package fwi.edge.inference;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * One-node ONNX models {@code y = op(x)}, {@code x, y: float[N, 4]}, written as protobuf by hand:
 * the agent carries no ONNX protobuf classes, and its tests need only a model ONNX Runtime loads.
 * Field numbers are those of onnx.proto (ModelProto.ir_version 1, graph 7, opset_import 8; ...).
 */
final class TinyModels {
  private TinyModels() {}

  static byte[] unary(String op) {
    byte[] node = message(o -> {
      o.writeString(1, "x");
      o.writeString(2, "y");
      o.writeString(3, "n");
      o.writeString(4, op);
    });
    byte[] graph = message(o -> {
      o.writeByteArray(1, node);
      o.writeString(2, "g");
      o.writeByteArray(11, value("x"));
      o.writeByteArray(12, value("y"));
    });
    byte[] opset = message(o -> o.writeInt64(2, 17));
    return message(o -> {
      o.writeInt64(1, 8);
      o.writeByteArray(7, graph);
      o.writeByteArray(8, opset);
    });
  }

  private static byte[] value(String name) {
    byte[] batch = message(o -> o.writeString(2, "N"));
    byte[] four = message(o -> o.writeInt64(1, 4));
    byte[] shape = message(o -> {
      o.writeByteArray(1, batch);
      o.writeByteArray(1, four);
    });
    byte[] tensor = message(o -> {
      o.writeInt32(1, 1);
      o.writeByteArray(2, shape);
    });
    byte[] type = message(o -> o.writeByteArray(1, tensor));
    return message(o -> {
      o.writeString(1, name);
      o.writeBytes(2, ByteString.copyFrom(type));
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
