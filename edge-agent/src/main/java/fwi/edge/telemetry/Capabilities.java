package fwi.edge.telemetry;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import fwi.proto.v1.DeviceCapabilities;
import fwi.proto.v1.VelocityEncoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/** What this device can do, measured at start-up, for its Birth message. */
public final class Capabilities {
  /** Highest ONNX opset and IR version the agent accepts (DESIGN.md: opset 17, IR 8). */
  public static final int MAX_OPSET = 17;
  public static final int MAX_IR_VERSION = 8;

  private Capabilities() {
  }

  /**
   * @param modelDir where models are stored (its free space is reported)
   * @param maxBlockBytes largest OTA block accepted
   * @param trustedKeyIds ids of the manifest-signing keys the agent trusts
   */
  public static DeviceCapabilities measure(Path modelDir, int maxBlockBytes, Collection<String> trustedKeyIds) {
    DeviceCapabilities.Builder b = DeviceCapabilities.newBuilder()
        .setOnnxruntimeVersion(OrtEnvironment.getEnvironment().getVersion())
        .setMaxOnnxOpset(MAX_OPSET)
        .setMaxOnnxIrVersion(MAX_IR_VERSION)
        .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_FLOAT32)
        .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_FLOAT16)
        .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED)
        .setMaxBlockSizeBytes(maxBlockBytes)
        .addAllTrustedKeyIds(trustedKeyIds.stream().sorted().toList())
        .setCpuCores(Runtime.getRuntime().availableProcessors())
        .setCpuDescription(SystemProbe.cpuDescription())
        .setCpuArch(System.getProperty("os.arch"))
        .setOsDescription(SystemProbe.osDescription())
        .setJavaVersion(System.getProperty("java.version"));
    for (OrtProvider p : OrtEnvironment.getAvailableProviders()) {
      b.addExecutionProviders(p.getName());
    }
    SystemProbe.totalBytes().ifPresent(b::setMemoryTotalBytes);
    try {
      Files.createDirectories(modelDir);
      b.setDiskFreeBytes(Files.getFileStore(modelDir).getUsableSpace());
    } catch (IOException e) {
      // leave 0: unknown
    }
    return b.build();
  }
}
