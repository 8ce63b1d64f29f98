package fwi.edge.ota;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.edge.inference.ModelInfo;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.proto.v1.SignedManifest;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether a received manifest may be installed on this device, following the procedure of
 * {@code model_manifest.proto} in this order, and stopping at the first failed check:
 * <ol>
 *   <li>parse the {@code SignedManifest} (MANIFEST_MALFORMED);
 *   <li>look up its key id among the trusted keys (UNKNOWN_KEY_ID);
 *   <li>verify the Ed25519 signature over {@code body} exactly as received (SIGNATURE_INVALID);
 *   <li>only then parse the body and check its own consistency: SHA-256 of 32 bytes, size and block
 *       size above 0, {@code block_count = ceil(size / block size)} of at most 2^20 blocks, {@code block_sha256} empty or
 *       one 32-byte digest per block, opset and IR version set, one input and one output described
 *       (MANIFEST_MALFORMED);
 *   <li>hardware profile (PROFILE_MISMATCH), target devices (NOT_TARGETED);
 *   <li>version rules: a normal manifest must be newer than the active model
 *       (VERSION_NOT_NEWER); a signed rollback applies only if
 *       {@code version < active <= rollback_from_version} (ROLLBACK_NOT_APPLICABLE);
 *   <li>opset and IR version within the runtime's (OPSET_UNSUPPORTED), block size within the
 *       device's (BLOCK_SIZE_UNSUPPORTED), free disk of twice the file size (INSUFFICIENT_DISK);
 *   <li>graph interface: one FLOAT input and one FLOAT output whose shapes are compatible with the
 *       active model's (same rank, equal fixed dimensions, -1 matches anything), so the agent's
 *       input sources keep feeding the new model (reason number 11, proposed
 *       {@code OTA_REASON_INTERFACE_MISMATCH}; see {@link OtaReasons}).
 * </ol>
 * Pure: no I/O, no clock. Immutable and thread-safe.
 */
public final class ManifestVerifier {
  /** Download space needed per byte of model: the partial file plus room for the next install. */
  static final long DISK_FACTOR = 2;
  private static final int SHA256_BYTES = 32;
  private static final int SIGNATURE_BYTES = 64;
  /**
   * Most blocks one file may have: a 1 GiB model at the registry's smallest block size (1 KiB) is
   * exactly this many; beyond it a signed but careless manifest would make the download's block
   * bookkeeping the allocation that breaks a Pi (2^32 - 1 blocks of 1 byte: a 512 MiB bit set, and a
   * negative int count past 2^31).
   */
  static final long MAX_BLOCK_COUNT = 1L << 20;

  /**
   * What the device runs now, against which a manifest is judged.
   *
   * @param active the active model; empty if the device serves none yet
   * @param activeInput the active model's declared input; empty if none
   * @param activeOutput the active model's declared output; empty if none
   * @param freeDiskBytes usable bytes on the model store's file system, at least 0
   */
  public record DeviceState(Optional<ModelInfo> active, Optional<fwi.runtime.ort.TensorSpec> activeInput,
      Optional<fwi.runtime.ort.TensorSpec> activeOutput, long freeDiskBytes) {
    public DeviceState {
      if (freeDiskBytes < 0) {
        throw new IllegalArgumentException("free disk bytes must be at least 0, but was " + freeDiskBytes);
      }
    }
  }

  /** The outcome of {@link #verify}: {@link Accepted} or {@link Rejection}. */
  public sealed interface Verdict permits Accepted, Rejection {
  }

  /**
   * The manifest passed every check.
   *
   * @param signed the envelope as received
   * @param body its verified body
   * @param model the model the body describes
   */
  public record Accepted(SignedManifest signed, ManifestBody body, ModelInfo model) implements Verdict {
  }

  /**
   * The manifest failed a check.
   *
   * @param reasonValue {@code OtaReason} number (see {@link OtaReasons} for numbers the proto does not name yet)
   * @param detail what failed, naming the offending value
   * @param body the body, present only if its signature verified (so it may be reported as {@code to_model})
   */
  public record Rejection(int reasonValue, String detail, Optional<ManifestBody> body) implements Verdict {
    /** The reason, or {@link OtaReason#UNRECOGNIZED} for a placeholder number. */
    public OtaReason reason() {
      return OtaReasons.of(reasonValue);
    }
  }

  private final TrustedKeys keys;
  private final String deviceId;
  private final String profile;
  private final int maxOpset;
  private final int maxIrVersion;
  private final int maxBlockSizeBytes;

  /**
   * @param deviceId this device's id, as in {@code target_device_ids}
   * @param profile this device's hardware profile name
   * @param maxOpset highest ONNX opset the runtime accepts (17)
   * @param maxIrVersion highest ONNX IR version the runtime accepts (8)
   * @param maxBlockSizeBytes largest block the device accepts
   */
  public ManifestVerifier(TrustedKeys keys, String deviceId, String profile, int maxOpset, int maxIrVersion,
      int maxBlockSizeBytes) {
    if (deviceId == null || deviceId.isEmpty()) {
      throw new IllegalArgumentException("device id must not be empty, but was '" + deviceId + "'");
    }
    if (profile == null || profile.isEmpty()) {
      throw new IllegalArgumentException("profile must not be empty, but was '" + profile + "'");
    }
    this.keys = keys;
    this.deviceId = deviceId;
    this.profile = profile;
    this.maxOpset = maxOpset;
    this.maxIrVersion = maxIrVersion;
    this.maxBlockSizeBytes = maxBlockSizeBytes;
  }

  /** Checks a manifest payload as received from the broker. */
  public Verdict verify(byte[] payload, DeviceState device) {
    SignedManifest signed;
    try {
      signed = SignedManifest.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      return reject(OtaReason.OTA_REASON_MANIFEST_MALFORMED,
          "payload of " + payload.length + " bytes is not a SignedManifest: " + e.getMessage());
    }
    Optional<PublicKey> key = keys.key(signed.getKeyId());
    if (key.isEmpty()) {
      return reject(OtaReason.OTA_REASON_UNKNOWN_KEY_ID,
          "key id '" + signed.getKeyId() + "' is not among the trusted keys " + keys.keyIds());
    }
    Optional<String> badSignature = checkSignature(key.get(), signed);
    if (badSignature.isPresent()) {
      return reject(OtaReason.OTA_REASON_SIGNATURE_INVALID, badSignature.get());
    }
    ManifestBody body;
    try {
      body = ManifestBody.parseFrom(signed.getBody());
    } catch (InvalidProtocolBufferException e) {
      return reject(OtaReason.OTA_REASON_MANIFEST_MALFORMED,
          "signed body of " + signed.getBody().size() + " bytes is not a ManifestBody: " + e.getMessage());
    }
    Optional<String> malformed = malformed(body);
    if (malformed.isPresent()) {
      return new Rejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED_VALUE, malformed.get(), Optional.empty());
    }
    Optional<Rejection> r = applicable(body, device);
    if (r.isPresent()) {
      return r.get();
    }
    return new Accepted(signed, body, model(body));
  }

  /** The model a (well-formed) body describes. */
  static ModelInfo model(ManifestBody body) {
    return new ModelInfo(body.getModelId(), body.getVersion(), DurableFiles.hex(body.getSha256().toByteArray()));
  }

  private static Optional<String> checkSignature(PublicKey key, SignedManifest signed) {
    ByteString sig = signed.getSignature();
    if (sig.size() != SIGNATURE_BYTES) {
      return Optional.of("signature must be " + SIGNATURE_BYTES + " bytes (Ed25519), but was " + sig.size());
    }
    try {
      Signature ed25519 = Signature.getInstance("Ed25519");
      ed25519.initVerify(key);
      ed25519.update(signed.getBody().asReadOnlyByteBuffer());
      if (ed25519.verify(sig.toByteArray())) {
        return Optional.empty();
      }
    } catch (GeneralSecurityException e) {
      return Optional.of("Ed25519 signature by key '" + signed.getKeyId() + "' cannot be checked: " + e.getMessage());
    }
    return Optional.of("Ed25519 signature by key '" + signed.getKeyId() + "' does not verify over the "
        + signed.getBody().size() + " body bytes");
  }

  private static Optional<String> malformed(ManifestBody b) {
    if (b.getSchemaVersion() < 1) {
      return Optional.of("schema_version must be at least 1, but was " + Integer.toUnsignedString(b.getSchemaVersion()));
    }
    try {
      new ModelInfo(b.getModelId(), Math.max(1, b.getVersion()), "0".repeat(64));
    } catch (IllegalArgumentException e) {
      return Optional.of("model_id: " + e.getMessage());
    }
    if (b.getVersion() < 1) {
      return Optional.of("version must be in [1, 2^63), but was " + Long.toUnsignedString(b.getVersion()));
    }
    if (b.getSha256().size() != SHA256_BYTES) {
      return Optional.of("sha256 must be " + SHA256_BYTES + " bytes, but was " + b.getSha256().size());
    }
    if (b.getSizeBytes() < 1) {
      return Optional.of("size_bytes must be in [1, 2^63), but was " + Long.toUnsignedString(b.getSizeBytes()));
    }
    long blockSize = Integer.toUnsignedLong(b.getBlockSizeBytes());
    if (blockSize < 1) {
      return Optional.of("block_size_bytes must be at least 1, but was 0");
    }
    long expectedCount = (b.getSizeBytes() - 1) / blockSize + 1;
    long count = Integer.toUnsignedLong(b.getBlockCount());
    if (expectedCount > MAX_BLOCK_COUNT) {
      return Optional.of("block_count ceil(size_bytes " + b.getSizeBytes() + " / block_size_bytes " + blockSize + ") = "
          + expectedCount + " must be at most " + MAX_BLOCK_COUNT + " (the download tracks every block in memory)");
    }
    if (count != expectedCount) {
      return Optional.of("block_count must be ceil(size_bytes " + b.getSizeBytes() + " / block_size_bytes " + blockSize
          + ") = " + expectedCount + ", but was " + count);
    }
    if (b.getBlockSha256Count() != 0 && b.getBlockSha256Count() != count) {
      return Optional.of("block_sha256 must be empty or have block_count = " + count + " entries, but has "
          + b.getBlockSha256Count());
    }
    for (int i = 0; i < b.getBlockSha256Count(); i++) {
      if (b.getBlockSha256(i).size() != SHA256_BYTES) {
        return Optional.of("block_sha256[" + i + "] must be " + SHA256_BYTES + " bytes, but was "
            + b.getBlockSha256(i).size());
      }
    }
    if (b.getOnnxOpset() == 0) {
      return Optional.of("onnx_opset must be at least 1, but was 0");
    }
    if (b.getOnnxIrVersion() == 0) {
      return Optional.of("onnx_ir_version must be at least 1, but was 0");
    }
    if (b.getInputsCount() == 0 || b.getOutputsCount() == 0) {
      return Optional.of("inputs and outputs must describe the graph interface, but the manifest lists "
          + b.getInputsCount() + " inputs and " + b.getOutputsCount() + " outputs");
    }
    for (fwi.proto.v1.TensorSpec t : concat(b.getInputsList(), b.getOutputsList())) {
      if (t.getDimsCount() == 0) {
        return Optional.of("tensor '" + t.getName() + "' must have at least one dimension, but has none");
      }
      for (long d : t.getDimsList()) {
        if (d < 1 && d != -1) {
          return Optional.of("tensor '" + t.getName() + "' dimensions must be -1 or at least 1, but were "
              + t.getDimsList());
        }
      }
    }
    return Optional.empty();
  }

  private Optional<Rejection> applicable(ManifestBody b, DeviceState device) {
    Optional<ManifestBody> signed = Optional.of(b);
    if (!b.getProfileName().equals(profile)) {
      return rejection(OtaReason.OTA_REASON_PROFILE_MISMATCH_VALUE, "manifest is for profile '" + b.getProfileName()
          + "', but this device is '" + profile + "'", signed);
    }
    if (b.getTargetDeviceIdsCount() > 0 && !b.getTargetDeviceIdsList().contains(deviceId)) {
      return rejection(OtaReason.OTA_REASON_NOT_TARGETED_VALUE, "device '" + deviceId + "' is not among the "
          + b.getTargetDeviceIdsCount() + " target devices " + abbreviate(b.getTargetDeviceIdsList()), signed);
    }
    long active = device.active().map(ModelInfo::version).orElse(0L);
    String activeText = device.active().map(m -> "the active version is " + m.version() + " (" + m.label() + ")")
        .orElse("no model is active");
    if (!b.getRollback()) {
      if (b.getVersion() <= active) {
        return rejection(OtaReason.OTA_REASON_VERSION_NOT_NEWER_VALUE, "version " + b.getVersion()
            + " must be above the active version, but " + activeText, signed);
      }
    } else {
      long from = b.getRollbackFromVersion();
      if (!(b.getVersion() < active && Long.compareUnsigned(active, from) <= 0)) {
        return rejection(OtaReason.OTA_REASON_ROLLBACK_NOT_APPLICABLE_VALUE, "rollback to version " + b.getVersion()
            + " applies only when " + b.getVersion() + " < active version <= rollback_from_version "
            + Long.toUnsignedString(from) + ", but " + activeText, signed);
      }
    }
    if (Integer.toUnsignedLong(b.getOnnxOpset()) > maxOpset) {
      return rejection(OtaReason.OTA_REASON_OPSET_UNSUPPORTED_VALUE, "onnx_opset must be at most " + maxOpset
          + " (the runtime's), but was " + Integer.toUnsignedString(b.getOnnxOpset()), signed);
    }
    if (Integer.toUnsignedLong(b.getOnnxIrVersion()) > maxIrVersion) {
      return rejection(OtaReason.OTA_REASON_OPSET_UNSUPPORTED_VALUE, "onnx_ir_version must be at most " + maxIrVersion
          + " (the runtime's), but was " + Integer.toUnsignedString(b.getOnnxIrVersion()), signed);
    }
    if (Integer.toUnsignedLong(b.getBlockSizeBytes()) > maxBlockSizeBytes) {
      return rejection(OtaReason.OTA_REASON_BLOCK_SIZE_UNSUPPORTED_VALUE, "block_size_bytes must be at most "
          + maxBlockSizeBytes + " on this device, but was " + Integer.toUnsignedString(b.getBlockSizeBytes()), signed);
    }
    long needed = diskNeeded(b.getSizeBytes());
    if (device.freeDiskBytes() < needed) {
      return rejection(OtaReason.OTA_REASON_INSUFFICIENT_DISK_VALUE, "the download needs " + DISK_FACTOR + " x "
          + b.getSizeBytes() + " = " + needed + " bytes free, but " + device.freeDiskBytes() + " are usable", signed);
    }
    Optional<String> iface = interfaceMismatch("input", b.getInputsList(), device.activeInput());
    if (iface.isEmpty()) {
      iface = interfaceMismatch("output", b.getOutputsList(), device.activeOutput());
    }
    return iface.map(d -> new Rejection(OtaReasons.INTERFACE_MISMATCH, d, signed));
  }

  static long diskNeeded(long sizeBytes) {
    return sizeBytes > Long.MAX_VALUE / DISK_FACTOR ? Long.MAX_VALUE : sizeBytes * DISK_FACTOR;
  }

  private static Optional<String> interfaceMismatch(String what, List<fwi.proto.v1.TensorSpec> offered,
      Optional<fwi.runtime.ort.TensorSpec> active) {
    if (offered.size() != 1) {
      return Optional.of("the agent feeds models with exactly one " + what + ", but the manifest lists "
          + offered.size() + ": " + offered.stream().map(fwi.proto.v1.TensorSpec::getName).toList());
    }
    fwi.proto.v1.TensorSpec t = offered.get(0);
    if (!"FLOAT".equals(t.getElementType())) {
      return Optional.of(what + " '" + t.getName() + "' must be FLOAT, but was '" + t.getElementType() + "'");
    }
    if (active.isPresent() && !compatible(active.get().dims(), t.getDimsList())) {
      return Optional.of(what + " must be compatible with the active model's " + what + " " + active.get()
          + " (same rank, equal fixed dimensions), but was " + describe(t));
    }
    return Optional.empty();
  }

  /** Same rank, and every pair of fixed dimensions equal; -1 (or any value below 1) matches anything. */
  static boolean compatible(long[] active, List<Long> offered) {
    if (active.length != offered.size()) {
      return false;
    }
    for (int i = 0; i < active.length; i++) {
      long a = active[i];
      long o = offered.get(i);
      if (a > 0 && o > 0 && a != o) {
        return false;
      }
    }
    return true;
  }

  /** For example {@code gathers[N, 5, 1000, 70]}, as the runtime's {@code TensorSpec} prints itself. */
  static String describe(fwi.proto.v1.TensorSpec t) {
    return new fwi.runtime.ort.TensorSpec(t.getName(), t.getDimsList().stream().mapToLong(Long::longValue).toArray())
        .toString();
  }

  private static String abbreviate(List<String> ids) {
    return ids.size() <= 5 ? ids.toString() : ids.subList(0, 5) + " and " + (ids.size() - 5) + " more";
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    java.util.ArrayList<T> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static Rejection reject(OtaReason reason, String detail) {
    return new Rejection(reason.getNumber(), detail, Optional.empty());
  }

  private static Optional<Rejection> rejection(int reason, String detail, Optional<ManifestBody> body) {
    return Optional.of(new Rejection(reason, detail, body));
  }
}
